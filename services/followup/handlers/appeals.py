"""Appeals (考核申诉): a unit contests a scored event; a supervisor decides.

* ``file_appeal``: the unit the ledger entry is scored against (its token, or its
  signed-in staff) appeals it with a reason, links and files uploaded to the case;
* ``decide_appeal``: a supervisor accepts or rejects it, with a reason;
* ``list_appeals``: the open ones (the supervisors' queue, oldest first) or the
  decided ones (newest first); department staff and tokens see their own unit's.

Each is load -> the :class:`~services.followup.domain.appeal.Appeal`'s verb -> save
with its events and its lines in the case's ledger (``adapters/appeals.py``).
"""
import logging
import uuid

from services.followup.bootstrap import Deps
from services.followup.domain import CaseChanged, InvalidRequest, UnknownCase
from services.followup.domain.appeal import ACCEPTED, APPEAL_STATES, OPEN, REJECTED, Appeal, scored
from services.followup.handlers import access
from services.followup.handlers.files import files_named, load
from services.followup.handlers.views import listed, page
from shared.platform.identity import STAFF_ROLES
from shared.platform.jsonable import jsonable
from shared.platform.unit_of_work import LostRace

log = logging.getLogger(__name__)

DECIDED = "decided"


def file_appeal(deps: Deps, token, number, entry_id, reason, links=None, file_ids=None, actor=""):
    """Appeal the ledger entry ``entry_id`` of case ``number`` for the unit it is scored against."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    case = load(deps, number)
    entry = deps.cases.ledger_entry(number, entry_id)
    if entry is None:
        raise InvalidRequest({"entry_id": [f"no entry {entry_id} in case {number}'s ledger"]})
    files = files_named(deps, number, file_ids)
    now = deps.clock.now()
    appeal, change = Appeal.file(uuid.uuid4().hex, number, entry_id, entry, department, actor, actor_id,
                                 reason, links, files, now, deps.deadlines, deps.appeals.of_entry(entry_id))
    doc = deps.uow.run(lambda: deps.appeals.add(deps.uow, appeal, change, case.get("version") or 0))
    log.info("appeal %s of %s (%s) filed by %s", appeal.appeal_id, entry_id, appeal.scored, actor_id)
    return appeal_view(doc)


def decide_appeal(deps: Deps, appeal_id, accept, reason=""):
    """Accept or reject an open appeal with a reason, as the signed-in supervisor."""
    supervisor, actor_id = access.staff(deps, "supervisor")
    now = deps.clock.now()

    def work():
        appeal = deps.appeals.load(appeal_id)
        if appeal is None:
            raise UnknownCase(f"no appeal {appeal_id}")
        change = appeal.decide(supervisor, actor_id, accept, reason, now)
        case = deps.cases.document(appeal.number) or {}
        return deps.appeals.save(deps.uow, appeal, change, case.get("version") or 0)
    try:
        doc = deps.uow.run(work)
    except LostRace as exc:
        raise CaseChanged(str(exc)) from None
    log.info("appeal %s %s by %s", appeal_id, doc["state"], actor_id)
    return appeal_view(doc)


def list_appeals(deps: Deps, token=None, state=OPEN, offset=0, limit=20):
    """One page of appeals: ``open`` (oldest first), ``decided``, ``accepted`` or ``rejected``
    (newest decision first); a unit's own only, for its token or its staff."""
    offset, limit = page(offset, limit)
    query: dict = {}
    if token is not None:
        query["department_code"] = access.department(deps, token)
    else:
        person = deps.caller.require(*STAFF_ROLES, "department")
        if person.is_department_only:
            query["department_code"] = access.department_actor(deps, None)[0]
    state = state or OPEN
    if state == DECIDED:
        query["state"] = {"$in": [ACCEPTED, REJECTED]}
    elif state in APPEAL_STATES:
        query["state"] = state
    else:
        raise InvalidRequest({"state": [f"one of {', '.join((*APPEAL_STATES, DECIDED))}"]})
    sort = [("filed_at", 1)] if state == OPEN else [("decided_at", -1)]
    found, total = deps.appeals.page(query, sort, offset, limit)
    return listed([appeal_view(doc) for doc in found], total)


def get_appeal(deps: Deps, appeal_id, token=None):
    """One appeal, for whoever may see its case."""
    doc = deps.appeals.get(appeal_id)
    if doc is None:
        raise UnknownCase(f"no appeal {appeal_id}")
    if token is not None and access.department(deps, token) != doc["department_code"]:
        raise UnknownCase(f"no appeal {appeal_id}")
    if token is None:
        person = deps.caller.require(*STAFF_ROLES, "department")
        if person.is_department_only and person.department != doc["department_code"]:
            raise UnknownCase(f"no appeal {appeal_id}")
    return appeal_view(doc)


def appeal_view(doc):
    return jsonable({("appeal_id" if k == "_id" else k): v for k, v in doc.items()
                     if k not in ("outbox", "ledger_pending", "open_entry")})


def mark_ledger(deps: Deps, number, ledger, department=None):
    """Each scored entry of a case's ledger with what it counts (``scored``), its appeal
    window (``appeal_by``), its appeals' state (``appeal_state``) and whether
    ``department`` may appeal it now (``appealable``); the case's appeals."""
    appeals = deps.appeals.of_case(number)
    by_entry: dict[str, list] = {}
    for appeal in appeals:
        by_entry.setdefault(appeal["entry_id"], []).append(appeal)
    now = deps.clock.now()
    for entry in ledger:
        what = scored(entry)
        if what is None or not entry.get("entry_id"):
            continue
        closes = deps.deadlines.appeal_deadline(entry["at"]) if entry.get("at") else None
        states = [a["state"] for a in by_entry.get(entry["entry_id"], [])]
        entry.update(scored=what, appeal_by=closes, appeal_state=states[-1] if states else None,
                     appealable=bool(department and department == entry.get("department_code")
                                     and closes and now <= closes
                                     and OPEN not in states and ACCEPTED not in states))
    return [appeal_view(a) for a in appeals]
