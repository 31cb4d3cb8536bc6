"""followup's HTTP API (on ``FOLLOWUP_HTTP``): departments act on their cases.

A department sends its token as ``Authorization: Bearer TOKEN`` (created with
``hotline case token create DEPT``)::

    GET  /cases                          its open cases, soonest deadline first
    GET  /cases/<number>                 one case with its ledger, what the citizen said
                                         (title, description, place; caller masked) and files
    GET  /cases/<number>/contact         the citizen's full contact (every read is recorded)
    POST /cases/<number>/attachments?filename=NAME   the file's bytes as the body (or a
                                         multipart "file"); answers {"id", ...} for the reply
    GET  /cases/<number>/attachments/<id>            the file
    POST /cases/<number>/sign-for        {"actor"}
    POST /cases/<number>/refuse          {"reason", "actor"}
    POST /cases/<number>/extension       {"working_days", "reason", "actor"}: the lead's asks the
                                         hotline; a co-handler's or a child's, whoever reviews its part
    POST /cases/<number>/pass-down       {"unit", "note", "actor"} (下派, to a unit under yours)
    POST /cases/<number>/parts/<unit>/refusal    {"approve", "reason", "actor"}: a child's refusal
    POST /cases/<number>/parts/<unit>/reply      {"accept", "reason", "actor"}: a child's reply
    POST /cases/<number>/parts/<unit>/extension  {"grant", "reason", "actor"}: a child's extension
    POST /cases/<number>/reply           {"text", "attachments": [links], "files": [ids], "actor"}
    POST /cases/<number>/appeals         {"entry_id", "reason", "links": [links], "files": [ids], "actor"}:
                                         appeal a scored ledger entry (考核申诉); files uploaded with
                                         ``POST /cases/<number>/attachments?purpose=appeal``
    GET  /appeals?state=open|decided|accepted|rejected   the department's appeals
    GET  /appeals/<id>                   one of them
    GET  /scorecard?from=DATE&to=DATE[&format=csv]   (no token: the rates are public; at most a year)
    GET  /health, /ready, /metrics       (shared.platform.ops), GET /openapi.json

Errors: 400 with ``{"errors": {field: [...]}}``, 401 without a valid token (no
``Authorization``, another scheme, an empty or garbled token), 404 "no such case
for your unit" for an unknown case and another department's alike (the refusal
is logged), 409 when the case
is not in a state where the action makes sense (nothing changes), 413 for a
body over the limit, 429 past a rate limit (``shared.platform.web``), 503 with
``Retry-After`` while a case's events wait to be published.

The routes are ``FollowupService``'s ``http_*`` entrypoints (``service.py``); the
functions here translate a request into a handler's arguments and its answer (or
refusal) into a response.
"""
import base64
import json
import logging
import re
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.followup.adapters.cases import CaseBusy
from services.followup.domain import (
    CaseChanged,
    InvalidRequest,
    NotAuthorized,
    NotYourCase,
    TransitionRefused,
    UnknownCase,
)
from services.followup.domain.attachments import AttachmentRefused
from services.followup.domain.scorecard import as_csv
from services.followup.domain.tokens import well_formed_token
from services.followup.handlers import tree
from shared.platform.identity import NotAllowed
from shared.platform.web import BadBody, read_json

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 5 * 1024 * 1024 + 64 * 1024  # a 5 MB file and a multipart envelope


def file_response(found):
    """A stored file as a download that no browser runs or sniffs."""
    info = found["info"]
    response = Response(base64.b64decode(found["data_base64"]), content_type=info["content_type"])
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(info["filename"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, \
        json.dumps(body, ensure_ascii=False, default=str)


def error(status, field, message):
    return json_response(status, {"errors": {field: [message]}})


BEARER = re.compile(r"Bearer ([^ ]+)", re.IGNORECASE)
NO_SUCH_CASE = "no such case for your unit"


def bearer(request):
    """The token of ``Authorization: Bearer TOKEN``, or ``None`` without the header.

    Parsed strictly: another scheme, an empty or garbled token (not the form
    ``create_token`` hands out) is ``NotAuthorized`` -- never "no token".
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    found = BEARER.fullmatch(header.strip())
    if found is None or not well_formed_token(found.group(1)):
        raise NotAuthorized("Authorization: Bearer TOKEN, with a department token")
    return found.group(1)


def department_token(request):
    """The department's token, required: every case route of this door is a department's."""
    token = bearer(request)
    if token is None:
        raise NotAuthorized("a valid department token is required (Authorization: Bearer TOKEN)")
    return token


def read_body(request):
    """The JSON object sent, or raise InvalidRequest."""
    try:
        body = read_json(request, default={})
    except BadBody as exc:
        if exc.status == 413:
            raise TooLarge(exc.errors) from None
        raise InvalidRequest(exc.errors) from None
    if not isinstance(body, dict):
        raise InvalidRequest({"_body": ["a JSON object is expected"]})
    return body


class TooLarge(InvalidRequest):
    """The body is over the route's limit (413)."""


def answer(call, status=200):
    """Run ``call()`` and turn the service's refusals into HTTP errors."""
    try:
        return json_response(status, call())
    except TooLarge as exc:
        return json_response(413, {"errors": exc.errors})
    except (InvalidRequest, AttachmentRefused) as exc:
        return json_response(400, {"errors": exc.errors})
    except NotAllowed as exc:
        return error(403, "token", str(exc))
    except NotAuthorized as exc:
        return error(401, "token", str(exc))
    except NotYourCase as exc:  # the same answer as a missing case: no existence oracle
        log.warning("refused: %s", exc)
        return error(404, "number", NO_SUCH_CASE)
    except UnknownCase:
        return error(404, "number", NO_SUCH_CASE)
    except (TransitionRefused, CaseChanged) as exc:
        return error(409, "state", str(exc))
    except CaseBusy as exc:
        status, headers, body = error(503, "case", str(exc))
        return status, dict(headers, **{"Retry-After": "5"}), body


def actor(body):
    """Who in the department acts, as the body names them."""
    return str(body.get("actor") or "")


def file_appeal(request, number, handler, deps):
    """``POST /cases/<number>/appeals``: the body's fields as the handler's arguments."""
    body = read_body(request)
    return handler(deps, department_token(request), number, body.get("entry_id"), body.get("reason"),
                   body.get("links"), body.get("files"), actor(body))


def upload(request):
    """``(file name, bytes as base64)`` of an upload: a multipart ``file`` or the raw body."""
    length = request.content_length or 0
    if length > UPLOAD_LIMIT:
        raise AttachmentRefused({"file": ["at most 5 MB per file"]})
    request.max_content_length = UPLOAD_LIMIT
    sent = request.files.get("file")
    if sent is not None:
        name, data = sent.filename, sent.read(UPLOAD_LIMIT + 1)
    else:
        name, data = request.args.get("filename", ""), request.get_data()
    return name, base64.b64encode(data).decode("ascii")


def download(call):
    """A case's file as a download, or the refusal as JSON (as every call answers)."""
    try:
        found = call()
    except Exception:  # the same refusals as every call, as JSON
        return answer(call)
    return file_response(found)


def scorecard_answer(request, card):
    """``card(from, to)`` as JSON, or as CSV with ``format=csv``."""
    dates = request.args.get("from"), request.args.get("to")
    if request.args.get("format") == "csv":
        try:
            found = card(*dates)
        except InvalidRequest as exc:
            return json_response(400, {"errors": exc.errors})
        return 200, {"Content-Type": "text/csv; charset=utf-8"}, as_csv(found)
    return answer(lambda: card(*dates))


# -- the tree of a case (handlers/tree.py), for a unit with its token ---------------------------


def pass_down(deps, request, number):
    body = read_body(request)
    return tree.pass_down(deps, department_token(request), number, body.get("unit"), body.get("note") or "",
                          actor(body))


def review_refusal(deps, request, number, unit):
    body = read_body(request)
    return tree.review_refusal(deps, number, unit, body.get("approve"), body.get("reason") or "",
                               department_token(request), actor(body))


def decide_part_extension(deps, request, number, unit):
    body = read_body(request)
    return tree.decide_part_extension(deps, number, unit, body.get("grant"), body.get("reason") or "",
                                      department_token(request), actor(body))


def review_part_reply(deps, request, number, unit):
    body = read_body(request)
    return tree.review_assignment_reply(deps, department_token(request), number, unit, body.get("accept"),
                                        body.get("reason") or "", actor(body))
