"""The notifications an event about a case asks for, before anyone is chosen to get them.

``messages(kind, event)`` names each one by a unique key, a template and an
audience; ``notices.py`` then finds the recipients and renders the texts.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from shared.contract.messages import PROACTIVE

Event = Mapping[str, Any]


class Message(NamedTuple):
    """A notification an event asks for; ``audience`` is ``"citizen"``, ``"department"``
    (the case's) or ``"department:CODE"`` (another one). Its key makes it unique."""

    key: str
    template: str
    audience: str
    context: dict[str, Any]


def messages(kind: str, event: Event) -> list[Message]:
    """The notifications an event asks for (``_asked``); none to a citizen where there is none: a
    proactive case (主动治理, its ``request_type``) or an approval with no callback."""
    asked = _asked(kind, event)
    if event.get("request_type") == PROACTIVE or event.get("callback") is False:
        return [message for message in asked if message.audience != "citizen"]
    return asked


def _asked(kind: str, event: Event) -> list[Message]:
    """The notifications an event asks for: ``(key, template, audience, context)``.

    ``audience`` is ``"citizen"`` or ``"department"``. Keys make each one
    unique, so a redelivered event enqueues nothing new.
    """
    number = event["number"]
    if kind == "assigned":
        return [Message(f"{number}:receipt", "receipt", "citizen", {})]
    if kind == "opened":  # the case is open: its department can sign for it now
        attempt = event.get("attempt") or 1
        notes = [Message(f"{number}:receipt", "receipt", "citizen", {}),
                 Message(f"{number}:new_case:{attempt}", "new_case", "department", {})]
        if event.get("previous_department_code"):
            notes.append(Message(f"{number}:moved:{attempt}", "case_moved",
                          f"department:{event['previous_department_code']}",
                          {"new_department_code": event["department_code"]}))
        return notes
    if kind == "reopened":
        return [Message(f"{number}:reopened:{event['event_id']}", "case_reopened", "department",
                 {"reason": event.get("reason") or ""})]
    if kind == "reply_rejected":
        return [Message(f"{number}:rejected:{event['event_id']}", "reply_rejected", "department",
                 {"reason": event["reason"], "count": event["rejection_count"]})]
    if kind == "extension_decided":
        return [Message(f"{number}:extension:{event['event_id']}", "extension_decided", "department",
                 {"granted": event["granted"], "reason": event.get("reason") or ""})]
    if kind == "reply_approved":
        return [Message(f"{number}:reply:{event['event_id']}", "reply", "citizen",
                 {"reply": event.get("text") or ""})]
    if kind == "appeal_filed":  # the unit appealing, which may not hold the case any more
        return [Message(f"{number}:appeal:{event['appeal_id']}:filed", "appeal_filed",
                        f"department:{event['department_code']}", {"reason": event["reason"]})]
    if kind == "appeal_decided":
        return [Message(f"{number}:appeal:{event['appeal_id']}:decided", "appeal_decided",
                        f"department:{event['department_code']}",
                        {"appeal_accepted": event["outcome"] == "accepted", "reason": event["reason"]})]
    if kind == "callback_recorded":
        return [Message(f"{number}:callback:{event['event_id']}", "callback", "department",
                 {"reached": event["reached"], "resolved": event.get("resolved"),
                  "satisfaction": event.get("satisfaction") or "", "found": event.get("outcome")})]
    if kind in ("hold_decided", "unreasonable_decided"):
        return [Message(f"{number}:{kind}:{event['event_id']}", kind, "department",
                 {"granted": event["approved"], "reason": event.get("reason") or "",
                  "recheck_on": event.get("recheck_on") or "-"})]
    if kind == "hold_rechecked":
        return [Message(f"{number}:hold_rechecked:{event['event_id']}", "hold_rechecked", "department",
                 {"recheck_on": event.get("recheck_on") or "-"})]
    return []

