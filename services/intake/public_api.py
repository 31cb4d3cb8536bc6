"""Intake's own HTTP routes for web forms and apps (``INTAKE_HTTP``).

A mixin of ``IntakeService``::

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
import datetime as dt
import hashlib
import json
import logging

from services.intake import public
from services.intake.duplicates import phone_key
from services.intake.responses import IdempotencyConflict, TooManyRequests, ValidationFailed, json_response
from services.intake.schemas import HttpTicketRequest
from shared.contract import field_errors
from shared.platform import openapi
from shared.platform.doors import Public, door
from shared.platform.privacy import digest
from shared.platform.web import BadBody, http, read_json

log = logging.getLogger(__name__)
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


class PublicApi:

    def secret(self):
        return self.config.get("SECRET_KEY") or ""

    def phone_allowed(self, valid):
        """Raise ``TooManyRequests`` when the caller's phone has been named too often lately."""
        key = phone_key(valid.get("caller_phone"))
        if not key:
            return
        wait = self.limits.hit("phone", digest(self.secret(), key))
        if wait:
            raise TooManyRequests({"caller_phone": [f"too many requests for this phone number; "
                                                    f"try again in {wait} s"]}, wait)

    def public_receipt(self, ticket):
        """The receipt a public door answers with: the submitter's own ticket only."""
        own = self.tickets.get(ticket["received_as"]) or ticket
        return public.receipt(own, self.secret())

    @openapi.operation("Submit a request (web form, app)", tags=["tickets"],
                       body="TicketRequest", responses={201: "Receipt", 200: "Receipt"},
                       errors=(400, 403, 409, 413, 429), limits=("client", "submit", "phone"),
                       headers=("Idempotency-Key", "X-Api-Key"))
    @door(Public())
    @http("POST", "/tickets", limits=("client", "submit"))
    def http_submit(self, request):
        try:
            body = read_json(request)
        except BadBody as exc:
            return json_response(exc.status, {"errors": exc.errors})
        if isinstance(body, dict) and body.get("source_system") is not None:
            refusal = self.source_refusal(body["source_system"], request.headers.get("X-Api-Key"))
            if refusal:
                return json_response(403, {"errors": refusal})
        try:
            ticket = self.accept(body, HttpTicketRequest, idempotency=idempotency_key(request, "http"),
                                 request_digest=body_digest(body), public=True)
        except ValidationFailed as exc:  # the English by field, and the same coded (shared/contract/field_errors.py)
            return json_response(400, {"errors": exc.errors, "error_codes": field_errors.coded(exc.errors)})
        except IdempotencyConflict as exc:
            return json_response(409, {"errors": exc.errors})
        except TooManyRequests as exc:
            return too_many(exc)
        return json_response(200 if ticket["outcome"] == "existing" else 201, self.public_receipt(ticket))

    @openapi.operation("A ticket's status, for its requester", tags=["tickets"],
                       responses={200: "PublicStatus"}, errors=(400, 401, 404, 429),
                       limits=("client", "lookup"), headers=("X-Lookup-Code", "X-Phone-Last4"),
                       query={"code": {"type": "string", "maxLength": 64},
                              "phone_last4": {"type": "string", "maxLength": 16}})
    @door(Public())
    @http("GET", "/tickets/<string:number>")
    def http_status(self, request, number):
        try:
            code, tail = public.parse_proof(request.headers.get("X-Lookup-Code") or request.args.get("code"),
                                            request.headers.get("X-Phone-Last4") or request.args.get("phone_last4"))
        except public.BadProof as exc:
            return json_response(400, {"errors": exc.errors})
        if code is None and tail is None:
            return json_response(401, NO_PROOF)
        pairs, now = self.limits.pairs("lookup"), dt.datetime.now(dt.UTC)
        pair = digest(self.secret(), f"lookup:{number}|{request.remote_addr}")
        whole = digest(self.secret(), f"lookup:{number}")
        wait = pairs.wait(pair, now)  # refused before the proof is checked: no oracle while waiting
        if wait:
            log.info("a lookup of %s was refused: this client waits %s s after failed proofs", number, wait)
            return too_many(TooManyRequests({"number": [f"too many failed lookups of this number from here; "
                                                        f"try again in {wait} s"]}, wait))
        if not code and pairs.failures(whole, now) >= int(self.limits.setting("lookup", "weak_proof_after", 20)):
            wait = pairs.forgotten_in(whole, now)
            log.info("a lookup of %s by the phone's digits was refused: only the code proves it for now", number)
            return too_many(TooManyRequests({"proof": [f"too many failed lookups of this number: give the "
                                                       f"receipt's lookup code (X-Lookup-Code), or try the "
                                                       f"phone's digits again in {wait} s"]}, wait))
        ticket = self.tickets.get(number) if len(number) <= 64 else None
        if not public.proof_holds(self.secret(), number, ticket, code, tail):
            failures, wait = pairs.fail(pair, now)
            pairs.fail(whole, now)
            if wait:
                log.warning("lookups of %s from one client are slowed: %s failed proofs, %s s to wait",
                            number, failures, wait)
            return json_response(404, NOT_FOUND)
        cleared = pairs.succeed(pair)
        if cleared and pairs.policy.wait_after(int(cleared.get("count") or 0)):
            log.info("lookups of %s from one client are no longer slowed: the proof held", number)
        master = self.tickets.get(ticket["linked_to"]) if ticket.get("linked_to") else None
        return json_response(200, public.status_view(ticket, master))
