"""Notify's own record of a case (a *watch*), built only from events.

Pure Python. ``apply(watch, kind, event)`` returns the fields an event
changes (``None`` when it changes nothing) and ``messages(kind, event)`` the
notifications it asks for. The ladder (``ladder.py``) then reads the watch to
decide what is due. A re-route after a refusal and a reopening start a new
*round*: the ladder's steps may then happen again, against the new deadlines.
"""
from services.notify.ladder import WATCHING

REFUSED = "refused"      # the department refused it; waiting for the new one
ANSWERED = "answered"    # the reply was approved; nothing more to chase
CLOSED = "closed"

# The events notify learns from: (source, type) -> short name.
KINDS = {
    ("routing", "ticket_assigned"): "assigned",
    ("followup", "case_opened"): "opened",
    ("followup", "case_signed_for"): "signed_for",
    ("followup", "case_refused"): "refused",
    ("followup", "extension_decided"): "extension_decided",
    ("followup", "reply_submitted"): "replied",
    ("followup", "reply_approved"): "reply_approved",
    ("followup", "reply_rejected"): "reply_rejected",
    ("followup", "callback_recorded"): "callback_recorded",
    ("followup", "case_reopened"): "reopened",
    ("followup", "case_closed"): "closed",
}


def new_watch(number, now):
    return {"number": number, "state": WATCHING, "round": 0, "revision": 0,
            "steps_done": [], "applied": [], "rejection_count": 0,
            "next_check_at": None, "watched_at": now}


def _new_round(watch, event, now):
    changes = {"round": watch.get("round", 0) + 1, "state": WATCHING,
               "department_code": event["department_code"],
               "deadline": event["deadline"], "sign_for_deadline": event["sign_for_deadline"],
               "signed_for": False, "replied": False, "rejection_count": 0,
               "rejected_at": None, "round_started_at": now,
               # the warning is shared out from here (ladder.warning)
               "dispatched_at": event.get("assigned_at") or event.get("reopened_at")
               or event.get("opened_at") or now}
    for key in ("time_limit_class", "title", "department_name"):
        if event.get(key):
            changes[key] = event[key]
    return changes


def _assigned(watch, event, now):
    first = not watch.get("deadline")
    moved = watch.get("department_code") != event["department_code"]
    if first or moved or watch.get("state") == REFUSED:
        changes = _new_round(watch, event, now)
        if first:  # facts heard before the assignment (out of order) still hold
            changes.update({key: watch[key] for key in ("signed_for", "replied")
                            if watch.get(key)})
        if event.get("urgency"):
            changes["urgency"] = event["urgency"]
        return changes
    return None  # the same assignment heard twice (routing's and followup's)


def apply(watch, kind, event, now):
    """The fields ``event`` changes in ``watch``, or ``None``."""
    if kind == "assigned":
        return _assigned(watch, event, now)
    if kind == "opened":  # followup's word on the same assignment: notify announces its watch
        changes = _assigned(watch, event, now) or {}
        return dict(changes, case_opened_at=event["opened_at"])
    if watch.get("state") == CLOSED and kind != "reopened":
        return None
    if kind == "signed_for":
        return {"signed_for": True, "signed_at": event["signed_at"]}
    if kind == "refused":
        return {"state": REFUSED, "refused_at": event["refused_at"]}
    if kind == "extension_decided":
        return {"deadline": event["deadline"]}
    if kind == "replied":
        return {"replied": True, "signed_for": True, "replied_at": event["replied_at"]}
    if kind == "reply_rejected":
        return {"replied": False, "rejection_count": event["rejection_count"],
                "rejected_at": event["rejected_at"]}
    if kind == "reply_approved":
        return {"replied": True, "state": ANSWERED, "approved_at": event["approved_at"]}
    if kind == "reopened":
        return _new_round(watch, event, now)
    if kind == "closed":
        return {"state": CLOSED, "closed_at": event["closed_at"]}
    return None


def messages(kind, event):
    """The notifications an event asks for: ``(key, template, audience, context)``.

    ``audience`` is ``"citizen"`` or ``"department"``. Keys make each one
    unique, so a redelivered event enqueues nothing new.
    """
    number = event["number"]
    if kind == "assigned":
        return [(f"{number}:receipt", "receipt", "citizen", {})]
    if kind == "opened":  # the case is open: its department can sign for it now
        attempt = event.get("attempt") or 1
        notes = [(f"{number}:receipt", "receipt", "citizen", {}),
                 (f"{number}:new_case:{attempt}", "new_case", "department", {})]
        if event.get("previous_department_code"):
            notes.append((f"{number}:moved:{attempt}", "case_moved",
                          f"department:{event['previous_department_code']}",
                          {"new_department_code": event["department_code"]}))
        return notes
    if kind == "reopened":
        return [(f"{number}:reopened:{event['event_id']}", "case_reopened", "department",
                 {"reason": event.get("reason") or ""})]
    if kind == "reply_rejected":
        return [(f"{number}:rejected:{event['event_id']}", "reply_rejected", "department",
                 {"reason": event["reason"], "count": event["rejection_count"]})]
    if kind == "extension_decided":
        return [(f"{number}:extension:{event['event_id']}", "extension_decided", "department",
                 {"granted": event["granted"], "reason": event.get("reason") or ""})]
    if kind == "reply_approved":
        return [(f"{number}:reply:{event['event_id']}", "reply", "citizen",
                 {"reply": event.get("text") or ""})]
    if kind == "callback_recorded":
        return [(f"{number}:callback:{event['event_id']}", "callback", "department",
                 {"reached": event["reached"], "resolved": event.get("resolved"),
                  "satisfaction": event.get("satisfaction") or ""})]
    return []
