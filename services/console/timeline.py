"""A ticket's whole story, for the ticket page: intake's history and the case's
ledger (台账) merged in time order, each entry with who, when and why."""
from services.console.filters import as_datetime

# intake history entries that the case's ledger tells better (with the person)
TOLD_BY_LEDGER = {"assigned", "signed_for", "refused", "replied", "reply_approved", "reply_rejected",
                  "callback", "reopened", "closed", "extension_requested", "extension_granted",
                  "extension_denied", "case_opened", "deadline_watched", "raised", "on_hold", "hold_rechecked"}


def merged(ticket, case):
    events = []
    for entry in (ticket or {}).get("history") or []:
        if case and entry.get("status") in TOLD_BY_LEDGER:
            continue
        if entry.get("status") in ("case_opened", "deadline_watched"):
            continue
        events.append({"at": as_datetime(entry["at"]), "kind": "status", "action": entry.get("status"),
                       "actor": "", "reason": entry.get("note") or "", "entry": entry})
    for entry in (case or {}).get("ledger") or []:
        events.append({"at": as_datetime(entry["at"]), "kind": "ledger", "action": entry["action"],
                       "actor": entry.get("actor") or "", "actor_id": entry.get("actor_id") or "",
                       "reason": entry.get("reason") or "", "entry": entry})
    events.sort(key=lambda e: e["at"] or 0)
    return events
