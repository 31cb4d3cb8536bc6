"""Reply files: a department keeps a file for its coming reply; whoever may see the case reads it."""
import base64
import binascii
import logging

from services.followup.bootstrap import Deps
from services.followup.domain import InvalidRequest, NotYourCase, TransitionRefused, UnknownCase, attachments
from services.followup.domain.states import SIGNED_FOR
from services.followup.handlers import access
from shared.contract import events
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)


def load(deps: Deps, number):
    """The case's document, or ``UnknownCase``."""
    case = deps.cases.document(number)
    if case is None:
        raise UnknownCase(f"no case {number}")
    return case


def add_attachment(deps: Deps, number, filename, data_base64, token=None, purpose="reply"):
    """Keep a file for the department's coming reply (or, ``purpose="appeal"``, its appeal of
    one of the case's scored events, in any state); returns its ``id`` for the reply or appeal."""
    department, _actor, actor_id = access.department_actor(deps, token)
    case = load(deps, number)
    if purpose not in ("reply", "appeal"):
        raise InvalidRequest({"purpose": ["reply or appeal"]})
    if purpose == "appeal":
        if not deps.cases.scored_against(number, department):
            raise NotYourCase(f"case {number} scores nothing against {department}")
    elif case["department_code"] != department:
        raise NotYourCase(f"case {number} is not with {department}")
    elif case["state"] != SIGNED_FOR:
        raise TransitionRefused(f"case {number} is {case['state']}: files go with a reply")
    try:
        data = base64.b64decode(data_base64 or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise attachments.AttachmentRefused({"file": ["the file's bytes, base64-encoded"]}) from None
    name, kind = attachments.check(filename, data, deps.cases.count_files(number))
    info = deps.cases.add_file(number, name, kind, data, actor_id, events.utcnow())
    log.info("file %s (%s, %d bytes) added to %s by %s", info["id"], kind, len(data), number, actor_id)
    return jsonable(info)


def get_attachment(deps: Deps, number, file_id, token=None):
    """``{info, data_base64}`` of a case's file, for whoever may see the case."""
    case = load(deps, number)
    if token is None:
        deps.caller.require()
    access.may_see(deps, case, token)
    found = deps.cases.read_file(number, file_id)
    if found is None:
        raise UnknownCase(f"no file {file_id} in case {number}")
    info, data = found
    return {"info": jsonable(info), "data_base64": base64.b64encode(data).decode("ascii")}


def files_named(deps: Deps, number, file_ids):
    """The case's files ``file_ids`` names, for a reply; ``InvalidRequest`` for any other."""
    if not file_ids:
        return []
    if not isinstance(file_ids, list) or not all(isinstance(i, str) for i in file_ids):
        raise InvalidRequest({"files": ["a list of file ids"]})
    known = {f["id"]: f for f in deps.cases.files_of(number)}
    missing = [i for i in file_ids if i not in known]
    if missing:
        raise InvalidRequest({"files": [f"not files of case {number}: {', '.join(missing)}"]})
    return [known[i] for i in file_ids]
