"""The honest ends of a case besides the callback: 不合理诉求 and 挂账.

* **不合理诉求 (unreasonable request).** The department holding the case (signed
  for) proposes it with a reason and its evidence (links, files uploaded to the
  case): ``unreasonable_proposed``. A reviewer of the hotline approves -- the case
  closes with the outcome ``unreasonable``, listed and counted, left out of the
  unit's rates -- or rejects it with a reason: back to ``signed_for``.
* **挂账 (on hold).** A problem that cannot be solved now (budget, planning): the
  department proposes a hold with a reason and a recheck day: ``hold_proposed``.
  A supervisor approves -- ``on_hold``: notify stops the supervision ladder and
  rechecks it on the day (``hold_recheck_due``), when the case is back with the
  department (``signed_for``) with a reply deadline from that day -- or rejects it
  with a reason: back to ``signed_for``.

Each function checks the transition and returns the :class:`Change`; the
one-line verbs of :class:`Case` call them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import services.followup.domain.tree as tree
from services.followup.domain.change import Change, Doc, free_text, required_text
from services.followup.domain.errors import InvalidRequest, TransitionRefused
from services.followup.domain.states import (
    CLOSED,
    HOLD_PROPOSED,
    ON_HOLD,
    SIGNED_FOR,
    UNREASONABLE,
    UNREASONABLE_PROPOSED,
)
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds

if TYPE_CHECKING:
    from services.followup.domain.case import Case


def evidence_links(links: object) -> list[str]:
    """Links as a reply carries them: ``http(s)://``, each within bounds, a few."""
    links = links or []
    bad = not isinstance(links, list) or len(links) > bounds.ATTACHMENTS or [
        a for a in links if not (isinstance(a, str) and a.startswith(("http://", "https://"))
                                 and len(a) <= bounds.LINK)]
    if bad or not isinstance(links, list):
        raise InvalidRequest({"evidence": [
            f"up to {bounds.ATTACHMENTS} links, each starting with http:// or https:// "
            f"and at most {bounds.LINK} characters"]})
    return [str(a) for a in links]


def kept_files(files: Sequence[Doc]) -> list[Doc]:
    return [{k: f[k] for k in ("id", "filename", "size", "content_type")} for f in files]


def _decision(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequest({"approve": ["true (approve) or false (reject)"]})
    return value


# -- 不合理诉求 --------------------------------------------------------------------------

def propose_unreasonable(case: Case, actor: str, reason: object, evidence: object, now: dt.datetime,
                         files: Sequence[Doc] = ()) -> Change:
    """The department asks the hotline to rule the request unreasonable, with its evidence."""
    actor = free_text(actor, "actor")
    case.expect(SIGNED_FOR, doing="propose it as an unreasonable request")
    text = required_text(reason, "reason", bounds.REASON)
    links = evidence_links(evidence)
    kept = kept_files(files)
    if not links and not kept:
        raise InvalidRequest({"evidence": ["at least one link or uploaded file"]})
    proposal = {"kind": UNREASONABLE, "reason": text, "evidence": links, "files": kept,
                "proposed_at": now, "actor": actor}
    return Change(
        set={"state": UNREASONABLE_PROPOSED, "proposal": proposal},
        ledger=[case.entry(now, actor, "unreasonable_proposed", text, evidence=links,
                           files=[f["filename"] for f in kept])],
        events=[("unreasonable_proposed", {"number": case.number, "department_code": case.department_code,
                                           "reason": text, "evidence": links, "files": kept,
                                           "actor": actor, "proposed_at": now})])


def decide_unreasonable(case: Case, reviewer: str, approve: object, reason: object,
                        now: dt.datetime) -> Change:
    """A reviewer rules on the proposal: approved closes the case (``unreasonable``);
    rejected (with a reason) sends it back to the department."""
    reviewer = free_text(reviewer, "reviewer")
    case.expect(UNREASONABLE_PROPOSED, doing="rule on an unreasonable request")
    approved = _decision(approve)
    text = (free_text(reason, "reason", bounds.REASON) if approved
            else required_text(reason, "reason", bounds.REASON))
    decided = {"number": case.number, "department_code": case.department_code, "approved": approved,
               "reason": text, "decided_by": reviewer, "decided_at": now}
    change = Change(ledger=[case.entry(now, reviewer, "unreasonable_approved" if approved
                                       else "unreasonable_rejected", text)],
                    events=[("unreasonable_decided", decided)])
    if not approved:
        change.set = {"state": SIGNED_FOR, "proposal": None}
        return change
    proposal = case.proposal or {}
    change.set = {"state": CLOSED, "closed_at": now, "outcome": UNREASONABLE, "proposal": None,
                  "ruling": dict(proposal, decided_by=reviewer, decided_at=now, decision_reason=text)}
    parts, ended = tree.withdraw_open_parts(case, now)  # a closed case has no part open
    if ended:
        change.set["assignments"] = parts
    change.ledger.append(case.entry(now, reviewer, "closed", text or str(proposal.get("reason") or ""),
                                    outcome=UNREASONABLE))
    change.events.append(("case_closed", {
        "number": case.number, "department_code": case.department_code,
        "reply": str(proposal.get("reason") or ""), "resolved": None, "satisfaction": None,
        "closed_at": now, "outcome": UNREASONABLE}))
    change.events += ended
    return change


# -- 挂账 ------------------------------------------------------------------------------

def recheck_day(value: object, now: dt.datetime, clock: FollowupClock) -> dt.date:
    """A recheck day: ``YYYY-MM-DD``, after today (local), at most ``max_hold_days`` ahead."""
    today = clock.local(now).date()
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidRequest({"recheck_on": ["a date like 2027-03-01"]})
    if day <= today:
        raise InvalidRequest({"recheck_on": ["a day after today"]})
    if day > today + dt.timedelta(days=clock.max_hold_days):
        raise InvalidRequest({"recheck_on": [f"at most {clock.max_hold_days} days ahead"]})
    return day


def propose_hold(case: Case, actor: str, reason: object, recheck_on: object, now: dt.datetime,
                 clock: FollowupClock) -> Change:
    """The department asks to put the case on hold (挂账) until a recheck day."""
    actor = free_text(actor, "actor")
    case.expect(SIGNED_FOR, doing="propose a hold")
    text = required_text(reason, "reason", bounds.REASON)
    day = recheck_day(recheck_on, now, clock)
    recheck_at = clock.start_of_day(day)
    proposal = {"kind": "hold", "reason": text, "recheck_on": day.isoformat(), "recheck_at": recheck_at,
                "proposed_at": now, "actor": actor}
    return Change(
        set={"state": HOLD_PROPOSED, "proposal": proposal},
        ledger=[case.entry(now, actor, "hold_proposed", text, recheck_on=day.isoformat())],
        events=[("hold_proposed", {"number": case.number, "department_code": case.department_code,
                                   "reason": text, "recheck_on": day.isoformat(), "recheck_at": recheck_at,
                                   "actor": actor, "proposed_at": now})])


def decide_hold(case: Case, supervisor: str, approve: object, reason: object, now: dt.datetime) -> Change:
    """A supervisor approves the hold (``on_hold``, rechecked on its day) or rejects it with a reason."""
    supervisor = free_text(supervisor, "supervisor")
    case.expect(HOLD_PROPOSED, doing="decide a hold")
    approved = _decision(approve)
    text = (free_text(reason, "reason", bounds.REASON) if approved
            else required_text(reason, "reason", bounds.REASON))
    proposal: dict[str, Any] = dict(case.proposal or {})
    recheck_at = proposal.get("recheck_at")
    if approved and not (isinstance(recheck_at, dt.datetime) and recheck_at > now):
        raise TransitionRefused(f"case {case.number}: the hold's recheck day has come already; "
                                "reject it and let the department propose another day")
    change = Change(
        ledger=[case.entry(now, supervisor, "hold_approved" if approved else "hold_rejected", text,
                           recheck_on=proposal.get("recheck_on"))],
        events=[("hold_decided", {"number": case.number, "department_code": case.department_code,
                                  "approved": approved, "reason": text,
                                  "recheck_on": proposal.get("recheck_on"), "recheck_at": recheck_at,
                                  "decided_by": supervisor, "decided_at": now})])
    if approved:
        change.set = {"state": ON_HOLD, "proposal": None, "held_at": now,
                      "hold": dict(proposal, decided_by=supervisor, decided_at=now, decision_reason=text)}
    else:
        change.set = {"state": SIGNED_FOR, "proposal": None}
    return change


def recheck_hold(case: Case, recheck_at: object, now: dt.datetime, clock: FollowupClock) -> Change | None:
    """notify says the hold's day has come: back to the department, a reply due from that day.

    ``None`` when the case is no longer on that hold (a redelivery, or another hold)."""
    hold = case.hold or {}
    if case.state != ON_HOLD or hold.get("recheck_at") != recheck_at or not isinstance(recheck_at, dt.datetime):
        return None
    start = min(recheck_at, now)
    terms = clock.terms(start, case.time_limit_class, case.urgency)
    change = Change(
        set={"state": SIGNED_FOR, "deadline": terms.deadline, "round_started_at": start,
             "extension": None, "hold": None, "last_hold": hold},
        ledger=[case.entry(now, "notify", "hold_rechecked", str(hold.get("reason") or ""),
                           deadline=terms.deadline, recheck_on=hold.get("recheck_on"))],
        events=[("hold_rechecked", {"number": case.number, "department_code": case.department_code,
                                    "deadline": terms.deadline, "sign_for_deadline": case.sign_for_deadline,
                                    "recheck_on": hold.get("recheck_on"), "rechecked_at": now,
                                    "attempt": case.attempt})])
    return change
