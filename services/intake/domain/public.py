"""What the public may learn of a ticket, and how a requester proves who they are.

Pure Python. A citizen looking a ticket up over HTTP gives its number and a
proof: the lookup code printed in the receipt, or the last four digits of the
phone they called from. The code is an HMAC of the number under the
platform's ``SECRET_KEY``, so intake stores nothing more and notify can print
it in the receipt SMS; changing the key voids every code (the phone's digits
still work).

The answer shows the status, the department, the request type, the dates and the published
reply (scrubbed of identifiers); never the description, address, history or
another system's ids. A repeat (合并工单) shows its own number with the
progress of the ticket it was linked to, which it never names.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from .shared import Doc, jsonable, scrub

CODE_DIGITS = 8
PHONE_TAIL = 4

# Intake's statuses in the words a citizen reads.
PUBLIC_STATUS = {
    "received": "received", "awaiting_dispatch": "received", "refused": "received",
    "linked": "received", "assigned": "assigned", "signed_for": "in_progress",
    "reopened": "in_progress", "reply_rejected": "in_progress", "replied": "in_progress",
    "reply_approved": "replied", "closed": "closed", "answered": "closed", "on_hold": "on_hold",
    "transferred": "closed",  # handed to another line (110, 119 ...): closed here
}
PUBLIC_STATUSES = sorted(set(PUBLIC_STATUS.values()))


def lookup_code(secret: Any, number: Any) -> str:
    """The number's lookup code: eight digits, the same every time it is asked for."""
    mac = hmac.new(str(secret).encode("utf-8"), str(number).encode("utf-8"), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10 ** CODE_DIGITS:0{CODE_DIGITS}d}"


def phone_tail(phone: str | None) -> str | None:
    digits = re.sub(r"[^0-9]", "", phone or "")
    return digits[-PHONE_TAIL:] if len(digits) >= PHONE_TAIL else None


class BadProof(ValueError):
    """A proof that is not of its form: ``errors`` by field, for a 400."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


_PROOF_FORMS = {"code": (re.compile(r"[0-9]{%d}" % CODE_DIGITS), f"the receipt's {CODE_DIGITS} digits"),
                "phone_last4": (re.compile(r"[0-9]{%d}" % PHONE_TAIL), f"exactly {PHONE_TAIL} digits 0-9")}


def parse_proof(code: Any = None, tail: Any = None) -> tuple[str | None, str | None]:
    """``(code, tail)`` as given, each ``None`` if absent; ``BadProof`` for anything else.

    Parsed strictly: the code is exactly its ASCII digits, the phone's tail
    exactly four; spaces around them are dropped, nothing else is forgiven.
    """
    found: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for field, value in (("code", code), ("phone_last4", tail)):
        if value is None or value == "":
            found[field] = None
            continue
        form, says = _PROOF_FORMS[field]
        value = str(value).strip(" ")
        if form.fullmatch(value) is None:
            errors[field] = [f"not a proof: {says}"]
        found[field] = value
    if errors:
        raise BadProof(errors)
    return found["code"], found["phone_last4"]


def proof_holds(secret: Any, number: str, ticket: Doc | None, code: str | None = None,
                tail: str | None = None) -> bool:
    """Does ``code`` (or ``tail``) prove the requester of ``number``?

    ``code`` and ``tail`` come through ``parse_proof``. A ticket without a
    phone is never proven by a tail. The same work is done whether or not
    ``ticket`` exists, so neither the answer nor its time tells a stranger
    which numbers are real.
    """
    expected_code = lookup_code(secret, number)
    phone = ((ticket or {}).get("caller") or {}).get("phone")
    expected_tail = phone_tail(phone)
    code_ok = hmac.compare_digest(expected_code.encode(), str(code or "").encode("utf-8", "replace"))
    tail_ok = hmac.compare_digest((expected_tail or "-" * PHONE_TAIL).encode(),
                                  str(tail or "").encode("utf-8", "replace"))
    tail_ok = tail_ok and expected_tail is not None and tail is not None
    return ticket is not None and (code_ok or tail_ok)


def status_view(ticket: Doc, master: Doc | None = None) -> Any:
    """The answer to a proven lookup: ``ticket``'s number, the progress of ``master`` if linked."""
    shown = master if ticket.get("linked_to") and master else ticket
    status = PUBLIC_STATUS.get(str(shown.get("status")), "received")
    department = shown.get("department") or {}
    reply = shown.get("reply") if status in ("replied", "closed") else None
    return jsonable({
        "number": ticket["number"],
        "status": status,
        "department": department.get("name"),
        "request_type": ticket.get("request_type") or shown.get("request_type"),
        "received_at": ticket.get("received_at"),
        "updated_at": shown.get("updated_at") or ticket.get("updated_at"),
        "deadline": shown.get("deadline") if status not in ("closed",) else None,
        "closed_at": shown.get("closed_at") if status == "closed" else None,
        "reply": scrub(reply) if reply else None,
        # how it ended (已解决/部分解决/未解决/不属实/不合理诉求), once closed
        "outcome": shown.get("outcome") if status == "closed" else None,
    })


def receipt(ticket: Doc, secret: Any) -> Any:
    """What the submitter is told: their own number and how to look it up, nothing else."""
    return jsonable({"number": ticket["number"], "lookup_code": lookup_code(secret, ticket["number"]),
                     "status": "received", "received_at": ticket["received_at"]})
