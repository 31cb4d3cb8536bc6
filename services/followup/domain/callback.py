"""The callback (回访) and what follows it: closed (办结) or reopened (重办).

After approval the operator calls the citizen: not reached -> try again
another day (up to ``callback_tries``, then the case closes as unreachable);
reached, resolved and satisfied or basically satisfied -> closed with the
approved reply; unresolved or dissatisfied -> back to the same department
with new deadlines from now. :meth:`Case.record_callback` is the verb.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import services.followup.domain.tree as tree
from services.followup.domain.change import Change, free_text
from services.followup.domain.errors import InvalidRequest, TransitionRefused
from services.followup.domain.states import APPROVED, ASSIGNED, CLOSED, SATISFACTIONS
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds

if TYPE_CHECKING:
    from services.followup.domain.case import Case


def record_callback(case: Case, operator: str, reached: object, resolved: object, satisfaction: object,
                    note: str, now: dt.datetime, clock: FollowupClock) -> Change:
    """The citizen called back (回访): close, reopen, or try again another day."""
    operator = free_text(operator, "operator")
    note = free_text(note, "note", bounds.REASON)
    case.expect(APPROVED, doing="record a callback")
    if not isinstance(reached, bool):
        raise InvalidRequest({"reached": ["true or false"]})
    tries = case.callback_attempts
    if reached and (not isinstance(resolved, bool) or satisfaction not in SATISFACTIONS):
        raise InvalidRequest({k: v for k, v in {
            "resolved": None if isinstance(resolved, bool) else ["true or false when the citizen was reached"],
            "satisfaction": None if satisfaction in SATISFACTIONS else [f"one of {', '.join(SATISFACTIONS)}"],
        }.items() if v})
    if not reached and any(clock.same_local_day(t, now) for t in tries):
        raise TransitionRefused(
            f"case {case.number}: the citizen was already tried today; try again on another working day")
    attempt = len(tries) + 1
    outcome = {"reached": reached, "resolved": resolved if reached else None,
               "satisfaction": satisfaction if reached else None, "attempt": attempt}
    body = {"number": case.number, "department_code": case.department_code, "recorded_at": now, **outcome}
    change = Change(events=[("callback_recorded", body)])
    change.ledger.append(case.entry(now, operator, "callback", note or "", **outcome))
    if not reached:
        if attempt < clock.callback_tries:
            change.set = {"callback_attempts": tries + [now]}
            return change
        return _close(case, change, now, operator, None, None, f"citizen not reached after {attempt} tries")
    if resolved and satisfaction != "dissatisfied":
        return _close(case, change, now, operator, resolved, satisfaction, note)
    return _reopen(case, change, now, operator, clock,
                   note or ("unresolved" if not resolved else "citizen dissatisfied"))


def _close(case: Case, change: Change, now: dt.datetime, operator: str, resolved: object,
           satisfaction: object, reason: str) -> Change:
    change.set = {"state": CLOSED, "closed_at": now, "callback_attempts": []}
    change.ledger.append(case.entry(now, operator, "closed", reason or "",
                                    resolved=resolved, satisfaction=satisfaction))
    change.events.append(("case_closed", {
        "number": case.number, "department_code": case.department_code,
        "reply": case.approved_reply or "", "resolved": resolved,
        "satisfaction": satisfaction, "closed_at": now}))
    return change


def _reopen(case: Case, change: Change, now: dt.datetime, operator: str, clock: FollowupClock,
            reason: str) -> Change:
    terms = clock.terms(now, case.time_limit_class, case.urgency, case.request_type)
    deadline, sign_for_deadline = terms.deadline, terms.sign_for_deadline
    change.set = {"state": ASSIGNED, "deadline": deadline, "sign_for_deadline": sign_for_deadline,
                  "round_started_at": now, "signed_at": None, "reply": None, "extension": None,
                  "extension_days_granted": 0, "callback_attempts": [], "reopened_at": now}
    change.inc = {"reopen_count": 1}
    if case.assignments:  # co-handlers work the new round too (tree.py)
        change.set["assignments"], opened = tree.reopen_co_handlers(case, now, clock, deadline)
        change.events += opened
    change.ledger.append(case.entry(now, operator, "reopened", reason,
                                    deadline=deadline, sign_for_deadline=sign_for_deadline))
    change.events.append(("case_reopened", {
        "number": case.number, "department_code": case.department_code, "reason": reason,
        "deadline": deadline, "sign_for_deadline": sign_for_deadline, "reopened_at": now,
        "reopen_count": case.reopen_count + 1}))
    return change
