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
    POST /cases/<number>/extension       {"working_days", "reason", "actor"}
    POST /cases/<number>/reply           {"text", "attachments": [links], "files": [ids], "actor"}
    GET  /scorecard?from=DATE&to=DATE[&format=csv]   (no token: the rates are public; at most a year)
    GET  /health, /ready, /metrics       (shared.platform.ops), GET /openapi.json

Errors: 400 with ``{"errors": {field: [...]}}``, 401 without a valid token (no
``Authorization``, another scheme, an empty or garbled token), 404 "no such case
for your unit" for an unknown case and another department's alike (the refusal
is logged), 409 when the case
is not in a state where the action makes sense (nothing changes), 413 for a
body over the limit, 429 past a rate limit (``shared.platform.web``), 503 with
``Retry-After`` while a case's events wait to be published.
"""
import base64
import json
import logging
import re
from urllib.parse import quote

from werkzeug.wrappers import Response

from services.followup import api as followup_api
from services.followup.attachments import AttachmentRefused
from services.followup.domain import (
    InvalidRequest,
    NotAuthorized,
    NotYourCase,
    TransitionRefused,
    UnknownCase,
    well_formed_token,
)
from services.followup.scorecard import as_csv
from services.followup.store import CaseBusy, CaseChanged
from shared.platform import openapi
from shared.platform.doors import Bearer, Public, door
from shared.platform.identity import NotAllowed
from shared.platform.web import BadBody, http, read_json

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


class FollowupHttp:
    """HTTP entrypoints, mixed into ``FollowupService``; each calls its RPC twin."""

    @openapi.operation("The department's open cases, soonest deadline first", tags=["cases"],
                       responses={200: {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}},
                       errors=(401, 403), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases")
    def http_department_cases(self, request):
        return answer(lambda: self.department_cases(department_token(request)))

    @openapi.operation("One of the department's cases, with its ledger", tags=["cases"],
                       responses={200: "Case"}, errors=(401, 403, 404), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>")
    def http_department_case(self, request, number):
        return answer(lambda: self.department_case(department_token(request), number))

    @openapi.operation("Sign for a case (签收)", tags=["cases"], body="SignFor", responses={200: "Case"},
                       errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/sign-for")
    def http_sign_for(self, request, number):
        def call():
            body = read_body(request)
            return self.sign_for(department_token(request), number, str(body.get("actor") or ""))
        return answer(call)

    @openapi.operation("Refuse a case with a reason (退单)", tags=["cases"], body="Refusal",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/refuse")
    def http_refuse(self, request, number):
        def call():
            body = read_body(request)
            return self.refuse_case(department_token(request), number, body.get("reason"),
                                    str(body.get("actor") or ""))
        return answer(call)

    @openapi.operation("Ask for more working days (延期)", tags=["cases"], body="ExtensionRequest",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/extension")
    def http_extension(self, request, number):
        def call():
            body = read_body(request)
            return self.request_extension(department_token(request), number, body.get("working_days"),
                                          body.get("reason"), str(body.get("actor") or ""))
        return answer(call)

    @openapi.operation("Reply to the citizen's request (回复)", tags=["cases"], body="Reply",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/reply")
    def http_reply(self, request, number):
        def call():
            body = read_body(request)
            return self.submit_reply(department_token(request), number, body.get("text"),
                                     body.get("attachments"), str(body.get("actor") or ""),
                                     body.get("files"))
        return answer(call)

    @openapi.operation("The citizen's full contact (every read is recorded)", tags=["cases"],
                       responses={200: {"type": "object"}}, errors=(400, 401, 403, 404), headers=("Authorization",),
                       query={"purpose": {"type": "string", "maxLength": 200}})
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>/contact")
    def http_contact(self, request, number):
        return answer(lambda: self.case_contact(number, department_token(request), request.args.get("purpose", "")))

    @openapi.operation("Upload a file for the reply (at most 5 MB)", tags=["cases"],
                       body={"type": "string", "format": "binary"},
                       body_types=("application/octet-stream", "multipart/form-data"),
                       responses={201: {"type": "object", "required": ["id"]}},
                       errors=(400, 401, 403, 404, 409), headers=("Authorization",), query={"filename": {"type": "string", "maxLength": 200}})
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/attachments", max_body=UPLOAD_LIMIT)
    def http_add_attachment(self, request, number):
        def call():
            length = request.content_length or 0
            if length > UPLOAD_LIMIT:
                raise AttachmentRefused({"file": ["at most 5 MB per file"]})
            request.max_content_length = UPLOAD_LIMIT
            upload = request.files.get("file")
            if upload is not None:
                name, data = upload.filename, upload.read(UPLOAD_LIMIT + 1)
            else:
                name, data = request.args.get("filename", ""), request.get_data()
            return self.add_attachment(number, name, base64.b64encode(data).decode("ascii"),
                                       department_token(request))
        return answer(call, 201)

    @openapi.operation("A file of the case", tags=["cases"],
                       responses={200: {"application/octet-stream": {"type": "string", "format": "binary"}}},
                       errors=(400, 401, 403, 404), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>/attachments/<string:file_id>")
    def http_get_attachment(self, request, number, file_id):
        try:
            found = self.get_attachment(number, file_id, department_token(request))
        except Exception:  # the same refusals as every call, as JSON
            return answer(lambda: self.get_attachment(number, file_id, department_token(request)))
        return file_response(found)

    @openapi.operation("Each department's scorecard (三率) over local dates, at most a year", tags=["scorecard"],
                       responses={200: {"application/json": "Scorecard", "text/csv": {"type": "string"}}},
                       errors=(400,), query={"from": followup_api.DATE, "to": followup_api.DATE,
                                              "format": {"type": "string", "enum": ["json", "csv"]}})
    @door(Public())
    @http("GET", "/scorecard")
    def http_scorecard(self, request):
        if request.args.get("format") == "csv":
            try:
                card = self.scorecard(request.args.get("from"), request.args.get("to"))
            except InvalidRequest as exc:
                return json_response(400, {"errors": exc.errors})
            return 200, {"Content-Type": "text/csv; charset=utf-8"}, as_csv(card)
        return answer(lambda: self.scorecard(request.args.get("from"), request.args.get("to")))
