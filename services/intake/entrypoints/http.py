"""Intake's own HTTP routes for web forms and apps (``INTAKE_HTTP``).

The routes are in ``service.py``; this module is their translation (headers,
bodies, status codes), over ``handlers/tickets.py`` and ``handlers/lookups.py``::

    POST /tickets             a new request; answers the submitter's own number and lookup code
    GET  /tickets/<number>    its status, given proof: ``X-Lookup-Code`` or ``X-Phone-Last4``
                              (or the query parameters ``code`` / ``phone_last4``)
    GET  /openapi.json (and /health, /ready, /metrics from ``shared.platform.ops``)

A submission from another system (``source_system``) also sends that
system's key as ``X-Api-Key``. A repeat of an open ticket is linked
silently: the answer is the same as for a new ticket. A retried
``Idempotency-Key`` answers the first receipt only for the same body.
Lookups answer the same for an unknown number as for a wrong proof; a proof
not of its form (eight digits, four digits) is a 400 naming the field. Failed
proofs slow down the pair (number, client address) that failed, never the
number for everyone (``SLOWDOWNS.lookup``, ``shared.platform.slowdown``); the logs
name the number, never the code or the digits.
"""
import hashlib
import json

from services.intake.bootstrap import Deps
from services.intake.domain import public
from services.intake.entrypoints.schemas import HttpTicketRequest
from services.intake.handlers import keys, lookups
from services.intake.handlers.errors import IdempotencyConflict, TooManyRequests, ValidationFailed
from services.intake.handlers.tickets import accept
from shared.contract import field_errors
from shared.platform.web import BadBody, read_json

NOT_FOUND = {"errors": {"number": ["no ticket with this number and proof"]}}
NO_PROOF = {"errors": {"proof": ["give the lookup code from the receipt (X-Lookup-Code) or the last "
                                 "four digits of the caller's phone (X-Phone-Last4)"]}}


def idempotency_key(request, namespace):
    """``Idempotency-Key`` header as a stored key, or ValidationFailed."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise ValidationFailed({"Idempotency-Key": ["1 to 200 printable characters"]})
    return f"{namespace}:{key}"


def body_digest(body):
    """The same request sent again has the same digest (key order aside)."""
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def too_many(exc):
    return 429, {"Content-Type": "application/json; charset=utf-8", "Retry-After": str(exc.retry_after)}, \
        json.dumps({"errors": exc.errors}, ensure_ascii=False)


def as_json(value):
    return json.dumps(value, ensure_ascii=False, default=str)


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, as_json(body)


def submit(deps: Deps, request):
    """``POST /tickets``: 201 with the receipt (200 for a request accepted before)."""
    try:
        body = read_json(request)
    except BadBody as exc:
        return json_response(exc.status, {"errors": exc.errors})
    if isinstance(body, dict) and body.get("source_system") is not None:
        refusal = keys.source_refusal(deps, body["source_system"], request.headers.get("X-Api-Key"))
        if refusal:
            return json_response(403, {"errors": refusal})
    try:
        ticket = accept(deps, body, HttpTicketRequest, idempotency=idempotency_key(request, "http"),
                        request_digest=body_digest(body), public=True, viewed=False)
    except ValidationFailed as exc:  # the English by field, and the same coded (shared/contract/field_errors.py)
        return json_response(400, {"errors": exc.errors, "error_codes": field_errors.coded(exc.errors)})
    except IdempotencyConflict as exc:
        return json_response(409, {"errors": exc.errors})
    except TooManyRequests as exc:
        return too_many(exc)
    return json_response(200 if ticket["outcome"] == "existing" else 201, lookups.receipt(deps, ticket))


def status(deps: Deps, request, number):
    """``GET /tickets/<number>``: the public status, given proof."""
    try:
        code, tail = public.parse_proof(request.headers.get("X-Lookup-Code") or request.args.get("code"),
                                        request.headers.get("X-Phone-Last4") or request.args.get("phone_last4"))
    except public.BadProof as exc:
        return json_response(400, {"errors": exc.errors})
    if code is None and tail is None:
        return json_response(401, NO_PROOF)
    try:
        return json_response(200, lookups.lookup(deps, number, code, tail, request.remote_addr))
    except TooManyRequests as exc:
        return too_many(exc)
    except lookups.NotFound:
        return json_response(404, NOT_FOUND)
