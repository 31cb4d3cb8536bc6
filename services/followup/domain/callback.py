"""The callback (回访) and what follows it: closed (办结), reopened (重办) or raised (提级).

After approval the operator calls the citizen: not reached -> try again
another day (up to ``callback_tries``, then the case closes as unreachable).
Reached, the operator records the outcome (已解决/部分解决/未解决/不属实:
``resolved``, ``partly_resolved``, ``unresolved``, ``untrue``) beside the
citizen's satisfaction; an older client saying only ``resolved`` true or
false means ``resolved`` or ``unresolved``. Resolved and not dissatisfied, or
untrue -> closed with that outcome; partly resolved, unresolved or
dissatisfied -> back to the same department with new deadlines from now --
unless the unit has had it reopened ``reopen_limit`` times already: then the
case is raised a level (提级办理, ``case_raised``) to the unit's parent, or to
the centre's leadership when it has none, and routing moves it.
:meth:`Case.record_callback` is the verb.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import services.followup.domain.tree as tree
from services.followup.domain.change import Change, free_text
from services.followup.domain.errors import InvalidRequest, TransitionRefused
from services.followup.domain.states import (
    APPROVED,
    ASSIGNED,
    CLOSED,
    OUTCOMES,
    RAISED,
    RESOLVED,
    SATISFACTIONS,
    UNRESOLVED,
    UNTRUE,
)
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds

if TYPE_CHECKING:
    from services.followup.domain.case import Case

PHONE = "phone"  # a callback agent called; the rating link's channel is ``sms_link`` (rating.py)
PROACTIVE_CLOSED = "proactive case: no citizen to call back, closed on the hotline's review"


def callback_outcome(reached: bool, resolved: object, outcome: object) -> tuple[str | None, dict[str, list[str]]]:
    """The outcome a callback records -- ``outcome`` as given, else what ``resolved`` says -- and
    the errors of what was given (by field)."""
    if not reached:
        return None, {}
    if outcome is not None:
        if outcome not in OUTCOMES:
            return None, {"outcome": [f"one of {', '.join(OUTCOMES)}"]}
        return str(outcome), {}
    if not isinstance(resolved, bool):
        return None, {"resolved": [f"true or false (or outcome: one of {', '.join(OUTCOMES)}) "
                                   "when the citizen was reached"]}
    return (RESOLVED if resolved else UNRESOLVED), {}


def record_callback(case: Case, operator: str, reached: object, resolved: object, satisfaction: object,
                    note: str, now: dt.datetime, clock: FollowupClock, outcome: object = None,
                    parent: str | None = None, channel: str = PHONE) -> Change:
    """The citizen called back (回访): close, reopen, raise, or try again another day.

    ``parent``: the code of the unit above the case's department (the directory's), if any.
    ``channel``: ``phone`` (a callback agent called) or ``sms_link`` (the citizen answered
    the rating link, ``rating.py``); said in the ledger and the event."""
    operator = free_text(operator, "operator")
    note = free_text(note, "note", bounds.REASON)
    case.expect(APPROVED, doing="record a callback")
    if not isinstance(reached, bool):
        raise InvalidRequest({"reached": ["true or false"]})
    tries = case.callback_attempts
    found, errors = callback_outcome(reached, resolved, outcome)
    if reached and satisfaction not in SATISFACTIONS:
        errors["satisfaction"] = [f"one of {', '.join(SATISFACTIONS)}"]
    if errors:
        raise InvalidRequest(errors)
    if not reached and any(clock.same_local_day(t, now) for t in tries):
        raise TransitionRefused(
            f"case {case.number}: the citizen was already tried today; try again on another working day")
    attempt = len(tries) + 1
    said = {"reached": reached, "resolved": (found == RESOLVED) if reached else None,
            "satisfaction": satisfaction if reached else None, "attempt": attempt, "outcome": found}
    if channel != PHONE:
        said["channel"] = channel
    body = {"number": case.number, "department_code": case.department_code, "recorded_at": now, **said}
    change = Change(events=[("callback_recorded", body)])
    change.ledger.append(case.entry(now, operator, "callback", note or "", **said))
    if not reached:
        if attempt < clock.callback_tries:
            change.set = {"callback_attempts": tries + [now]}
            return change
        return _close(case, change, now, operator, None, None, f"citizen not reached after {attempt} tries")
    if found == UNTRUE or (found == RESOLVED and satisfaction != "dissatisfied"):
        return _close(case, change, now, operator, found, satisfaction, note)
    reason = note or (str(found).replace("_", " ") if found != RESOLVED else "citizen dissatisfied")
    if case.reopen_count - case.reopen_base >= clock.reopen_limit:
        return _raise(case, change, now, operator, reason, parent, clock.reopen_limit)
    return _reopen(case, change, now, operator, clock, reason)


def close_on_review(case: Case, change: Change, now: dt.datetime, reviewer: str, reply: str) -> Change:
    """A proactive case (主动治理) has no citizen to call back: the reply the hotline approved
    closes it, with no callback outcome (``None``: it counts in no callback rate)."""
    closed = _close(case, change, now, reviewer, None, None, PROACTIVE_CLOSED)
    closed.set.update(approved_reply=reply, approved_at=now, extension=None)
    closed.events[-1][1]["reply"] = reply
    return closed


def _close(case: Case, change: Change, now: dt.datetime, operator: str, outcome: str | None,
           satisfaction: object, reason: str) -> Change:
    resolved = None if outcome is None else outcome == RESOLVED
    change.set = {"state": CLOSED, "closed_at": now, "callback_attempts": [], "outcome": outcome}
    _end_parts(case, change, now)
    change.ledger.append(case.entry(now, operator, "closed", reason or "",
                                    resolved=resolved, satisfaction=satisfaction, outcome=outcome))
    change.events.append(("case_closed", {
        "number": case.number, "department_code": case.department_code,
        "reply": case.approved_reply or "", "resolved": resolved,
        "satisfaction": satisfaction, "closed_at": now, "outcome": outcome}))
    return change


def _end_parts(case: Case, change: Change, now: dt.datetime) -> None:
    """A closing case ends the parts still open (each ``assignment_ended``, withdrawn)."""
    parts, ended = tree.withdraw_open_parts(case, now)
    if ended:
        change.set["assignments"] = parts
        change.events += ended


def _reopen(case: Case, change: Change, now: dt.datetime, operator: str, clock: FollowupClock,
            reason: str) -> Change:
    terms = clock.terms(now, case.time_limit_class, case.urgency, case.request_type)
    deadline, sign_for_deadline = terms.deadline, terms.sign_for_deadline
    change.set = {"state": ASSIGNED, "deadline": deadline, "sign_for_deadline": sign_for_deadline,
                  "round_started_at": now, "signed_at": None, "reply": None, "extension": None,
                  "extension_days_granted": 0, "callback_attempts": [], "reopened_at": now}
    change.inc = {"reopen_count": 1}
    change.ledger.append(case.entry(now, operator, "reopened", reason,
                                    deadline=deadline, sign_for_deadline=sign_for_deadline))
    if case.assignments:  # co-handlers work the new round too, each a dispatch to its unit (tree.py)
        co = tree.reopen_co_handlers(case, now, clock, deadline, operator, reason)
        change.set["assignments"] = co.set["assignments"]
        change.ledger += co.ledger
        change.events += co.events
    change.events.append(("case_reopened", {
        "number": case.number, "department_code": case.department_code, "reason": reason,
        "deadline": deadline, "sign_for_deadline": sign_for_deadline, "reopened_at": now,
        "reopen_count": case.reopen_count + 1}))
    return change


def _raise(case: Case, change: Change, now: dt.datetime, operator: str, reason: str,
           parent: str | None, limit: int) -> Change:
    """提级办理: reopened ``limit`` times already; the parent unit (or the centre) takes it."""
    to = parent or None
    why = f"reopened {case.reopen_count - case.reopen_base} times (limit {limit}): {reason}"
    change.set = {"state": RAISED, "raised_at": now, "callback_attempts": [], "extension": None,
                  "reopen_base": case.reopen_count, "raised_to": to}
    change.inc = {"raise_count": 1}
    change.ledger.append(case.entry(now, operator, "raised", why, to_department_code=to))
    change.events.append(("case_raised", {
        "number": case.number, "department_code": case.department_code, "reason": why,
        "raised_at": now, "to_department_code": to, "reopen_count": case.reopen_count,
        "attempt": case.attempt}))
    return change
