"""The missed callers' queue: listed, claimed, worked (``domain.callbacks``)."""
from services.callcentre.adapters.callbacks import attempts_of, aware
from services.callcentre.bootstrap import Deps
from services.callcentre.domain.callbacks import Attempt, CannotWork, check_attempt, standing
from shared.platform.privacy import mask_phone

WORKERS = ("callback", "operator")   # who calls back, and so sees the number in full
VIEWERS = WORKERS + ("supervisor", "admin")


def view(doc, full, now):
    attempts = attempts_of(doc)
    due = aware(doc["due_at"])
    return {"key": doc["_id"], "caller_phone": doc["number"] if full else mask_phone(doc["number"]),
            "queue": doc.get("queue") or "", "calls": len(doc.get("call_ids") or ()),
            "call_ids": list(doc.get("call_ids") or ()),
            "missed_at": aware(doc["missed_at"]).isoformat(), "due_at": due.isoformat(),
            "claimed_by": doc.get("claimed_by"), "standing": standing(attempts, due, now),
            "attempts": [{"outcome": a.outcome, "by": a.by, "at": a.at.isoformat(), "note": a.note}
                         for a in attempts]}


def missed_callers(deps: Deps, open_only=True):
    person = deps.caller.require(*VIEWERS)
    now = deps.now()
    return [view(doc, person.has(*WORKERS), now) for doc in deps.calls.callbacks.listing(open_only=open_only)]


def claim(deps: Deps, key):
    person = deps.caller.require(*WORKERS)
    doc = deps.calls.callbacks.claim(key, person.user_id, deps.now())
    if doc is None:
        raise CannotWork("no open missed caller by that key, or someone else is calling back")
    return view(doc, True, deps.now())


def record_outcome(deps: Deps, key, outcome, note=""):
    person = deps.caller.require(*WORKERS)
    doc = deps.calls.callbacks.get(key)
    if doc is None:
        raise CannotWork("no missed caller by that key")
    attempts = attempts_of(doc)
    checked = check_attempt(outcome, attempts, doc.get("claimed_by"), person.user_id)
    attempt = Attempt(checked, person.user_id, deps.now(), str(note or "")[:500])
    if not deps.calls.callbacks.record(key, attempt, checked in ("reached", "wrong_number"), len(attempts)):
        raise CannotWork("the entry changed meanwhile: look again")
    return view(deps.calls.callbacks.get(key), True, deps.now())
