"""A case as a tree of assignments (主办, 协办, 下派).

The hotline dispatches a case to a **lead** unit (主办); the case's own fields
(``department_code``, ``state``, deadlines, reply) are the lead's assignment, as
they have always been. Beside it, the case holds ``assignments``: one per other
unit working on it::

    lead 市南区 (the case itself) ──────────────── replies to the hotline
      ├─ co  市住房和城乡建设局 (协办)               its reply travels with the lead's
      └─ down 八大关街道 (passed down by 市南区)      replies up; 市南区 reviews it
           └─ down 某社区 (passed down by 八大关街道) replies up; the street reviews it

Each assignment has its own state, sign-for and reply deadlines (a child's
inside its parent's), refusal window, extensions (延期) and ledger entries (under
its unit's code). A refusal waits for review: a child's by the unit that passed
it down, a co-handler's and the lead's by the centre's dispatchers (派单异议审核);
an extension is decided by whoever reviews the part's reply (the unit that passed
it down; the centre for a co-handler) and never moves the part's reply deadline
past its parent's. The
lead replies to the hotline only when every co-handler has replied and every
unit it passed the case to has finished; its reply carries the co-handlers'.

Every verb here returns a :class:`Change` that sets the whole ``assignments``
list: the repository applies it only if the case is still at the version it
was read in, so two units acting at once cannot lose each other's step.

A part that ends -- done, its refusal approved, or withdrawn when the lead
changes -- says so with ``assignment_ended`` besides its own step: notify stops
its watch, and intake's reconciler compares the parts with notify's watches
(``part_states``; ``standing_events`` says which events tell where a part stands,
for publishing again).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from services.followup.domain.change import Change, Doc, Event, free_text, required_text
from services.followup.domain.errors import InvalidRequest, NotYourCase, TransitionRefused
from services.followup.domain.states import (
    ASSIGNED,
    CLOSED,
    DONE,
    REFUSAL_REVIEW,
    REFUSED,
    REPLIED,
    SIGNED_FOR,
    WITHDRAWN,
)
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds, reasons

if TYPE_CHECKING:
    from services.followup.domain.case import Case

CO, DOWN = "co", "down"  # a co-handling unit (协办), a unit a case was passed down to (下派)
CENTRE = "centre"  # who reviews the lead's and the co-handlers' refusals: the centre's dispatchers
LIVE = (ASSIGNED, SIGNED_FOR, REPLIED, REFUSAL_REVIEW)  # an assignment still in the unit's hands
FINISHED = (DONE, REFUSED, WITHDRAWN)


@dataclass(frozen=True)
class Unit:
    """A unit as the directory names it: its code, name and parent (for pass-down)."""

    code: str
    name: str = ""
    parent: str = ""


@dataclass(frozen=True)
class Assignment:
    """One unit's part of a case (not the lead's: the lead's is the case itself)."""

    unit_code: str
    unit_name: str
    role: str  # CO or DOWN
    parent_unit_code: str  # who passed it down (DOWN), or the lead (CO)
    state: str
    assigned_at: dt.datetime
    sign_for_deadline: dt.datetime
    deadline: dt.datetime
    assigned_by: str = ""
    note: str = ""
    signed_at: dt.datetime | None = None
    reply: Doc | None = None
    refusal: Doc | None = None  # the refusal waiting for review: reason, actor, at, state before
    ended_at: dt.datetime | None = None
    extension: Doc | None = None  # the extension (延期) asked, waiting: working days, reason, reviewer
    extension_days_granted: int = 0

    @classmethod
    def from_doc(cls, doc: Doc) -> Assignment:
        given: dict[str, Any] = {key: doc[key] for key in cls.__dataclass_fields__ if key in doc}
        return cls(**given)

    def to_doc(self) -> Doc:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}

    @property
    def live(self) -> bool:
        return self.state in LIVE


def assignments_of(case: Case) -> list[Assignment]:
    return [Assignment.from_doc(doc) for doc in case.assignments]


def live_assignment(case: Case, unit: str) -> Assignment | None:
    """The unit's live assignment on ``case`` (a unit holds at most one at a time)."""
    return next((a for a in assignments_of(case) if a.unit_code == unit and a.live), None)


def units_on(case: Case) -> set[str]:
    """Every unit that holds or held a part of the case, the lead included."""
    return {case.department_code, *(a.unit_code for a in assignments_of(case))}


def _with(case: Case, changed: Assignment) -> list[Doc]:
    """The case's assignments with ``changed`` in place of its unit's live one (or added)."""
    docs, placed = [], False
    for current in assignments_of(case):
        if not placed and current.unit_code == changed.unit_code and current.live:
            docs.append(changed.to_doc())
            placed = True
        else:
            docs.append(current.to_doc())
    return docs if placed else [*docs, changed.to_doc()]


def _body(case: Case, assignment: Assignment, **more: Any) -> Doc:
    return {"number": case.number, "department_code": case.department_code,
            "unit_code": assignment.unit_code, "role": assignment.role,
            "parent_unit_code": assignment.parent_unit_code, **more}


def _ended(case: Case, assignment: Assignment, outcome: str, at: dt.datetime) -> Event:
    """``assignment_ended``: the part is over (``done``, ``refused`` or ``withdrawn``)."""
    return "assignment_ended", _body(case, assignment, outcome=outcome, ended_at=at)


def _entry(case: Case, unit: str, at: dt.datetime, actor: str, action: str, reason: str = "",
           **details: Any) -> Doc:
    return {**case.entry(at, actor, action, reason, **details), "department_code": unit}


def _mine(case: Case, unit: str) -> Assignment:
    found = live_assignment(case, unit)
    if found is None:
        raise NotYourCase(f"case {case.number} has no part for {unit} now")
    return found


def _expect(case: Case, assignment: Assignment, *states: str, doing: str) -> None:
    if assignment.state not in states:
        raise TransitionRefused(
            f"case {case.number}: {assignment.unit_code}'s part is {assignment.state}: cannot {doing} "
            f"(only when {' or '.join(states)})")


def _terms_within(case: Case, now: dt.datetime, clock: FollowupClock,
                  outer_deadline: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """(sign-for deadline, reply deadline) of a new assignment: its own, inside ``outer_deadline``."""
    terms = clock.terms(now, case.time_limit_class, case.urgency)
    deadline = min(terms.deadline, outer_deadline) if outer_deadline else terms.deadline
    return min(terms.sign_for_deadline, deadline), deadline


def _opened(case: Case, assignment: Assignment, actor: str) -> Change:
    body = _body(case, assignment, unit_name=assignment.unit_name, assigned_at=assignment.assigned_at,
                 sign_for_deadline=assignment.sign_for_deadline, deadline=assignment.deadline,
                 urgency=case.urgency, time_limit_class=case.time_limit_class, title=case.title or "",
                 assigned_by=actor, note=assignment.note)
    return Change(
        set={"assignments": _with(case, assignment)},
        # "assigned" names the unit given the part (as the lead's does); "passed_down" the unit passing it
        ledger=[_entry(case, assignment.unit_code if assignment.role == CO else assignment.parent_unit_code,
                       assignment.assigned_at, actor, "co_assigned" if assignment.role == CO else "passed_down",
                       assignment.note, to=assignment.unit_name, to_unit=assignment.unit_code)],
        events=[("assignment_opened", body)])


# -- the centre adds co-handlers (协办, 加派) -------------------------------------------------


def add_co_handlers(case: Case, units: Sequence[Unit], actor: str, now: dt.datetime,
                    clock: FollowupClock, note: str = "") -> Change:
    """Co-handling units for ``case``, each with its own deadlines inside the lead's."""
    actor = free_text(actor, "actor")
    note = free_text(note, "note", bounds.REASON)
    if case.state in (CLOSED, REFUSED):
        raise TransitionRefused(f"case {case.number} is {case.state}: no co-handler can be added")
    wanted = _not_on(case, units)
    if not wanted:
        raise InvalidRequest({"co_handlers": ["each unit named already works on this case"]})
    return _co_parts(case, wanted, actor, now, clock, note)


def _not_on(case: Case, units: Sequence[Unit], also: Collection[str] = ()) -> list[Unit]:
    """The units of ``units`` that do not work on ``case`` now (nor are in ``also``), once each:
    never the lead, never a unit holding a live part."""
    taken = {case.department_code, *(a.unit_code for a in assignments_of(case) if a.live), *also}
    wanted: dict[str, Unit] = {}
    for unit in units:
        if unit.code not in taken:
            wanted.setdefault(unit.code, unit)
    return list(wanted.values())


def _co_parts(case: Case, units: Sequence[Unit], actor: str, now: dt.datetime, clock: FollowupClock,
              note: str = "") -> Change:
    """A co-handling part for each of ``units`` (none on the case), with deadlines inside the lead's."""
    change = Change()
    for unit in units:
        sign_for_deadline, deadline = _terms_within(case, now, clock, case.deadline)
        added = Assignment(unit_code=unit.code, unit_name=unit.name or unit.code, role=CO,
                           parent_unit_code=case.department_code, state=ASSIGNED, assigned_at=now,
                           sign_for_deadline=sign_for_deadline, deadline=deadline, assigned_by=actor,
                           note=note)
        step = _opened(case, added, actor)
        case = replace_assignments(case, step.set["assignments"])
        change.ledger += step.ledger
        change.events += step.events
    change.set = {"assignments": case.assignments}
    return change


def replace_assignments(case: Case, docs: list[Doc]) -> Case:
    """A copy of ``case`` holding ``docs`` as its assignments (to chain steps in one change)."""
    return replace(case, assignments=docs)


# -- passing down (下派) -------------------------------------------------------------------


def pass_down(case: Case, by_unit: str, to: Unit, actor: str, note: str, now: dt.datetime,
              clock: FollowupClock) -> Change:
    """``by_unit`` (the lead or a unit holding a part) hands its part on to its child ``to``."""
    actor = free_text(actor, "actor")
    note = free_text(note, "note", bounds.REASON)
    if to.parent != by_unit:
        raise InvalidRequest({"unit": [f"{to.name or to.code} is not a unit under {by_unit}"]})
    if to.code in units_on(case) and (to.code == case.department_code or live_assignment(case, to.code)):
        raise InvalidRequest({"unit": [f"{to.name or to.code} already works on this case"]})
    if by_unit == case.department_code:
        case.expect(SIGNED_FOR, doing="pass it down (sign for it first)")
        outer = case.deadline
    else:
        mine = _mine(case, by_unit)
        _expect(case, mine, SIGNED_FOR, doing="pass it down (sign for it first)")
        outer = mine.deadline
    sign_for_deadline, deadline = _terms_within(case, now, clock, outer)
    child = Assignment(unit_code=to.code, unit_name=to.name or to.code, role=DOWN, parent_unit_code=by_unit,
                       state=ASSIGNED, assigned_at=now, sign_for_deadline=sign_for_deadline,
                       deadline=deadline, assigned_by=actor, note=note)
    return _opened(case, child, actor)


# -- a unit's verbs on its own part ----------------------------------------------------------


def sign_for(case: Case, unit: str, actor: str, now: dt.datetime) -> Change:
    actor = free_text(actor, "actor")
    mine = _mine(case, unit)
    _expect(case, mine, ASSIGNED, doing="sign for it")
    on_time = now <= mine.sign_for_deadline
    return Change(set={"assignments": _with(case, replace(mine, state=SIGNED_FOR, signed_at=now))},
                  ledger=[_entry(case, unit, now, actor, "signed_for", on_time=on_time, role=mine.role)],
                  events=[("assignment_signed_for", _body(case, mine, signed_at=now, actor=actor,
                                                          on_time=on_time))])


def refuse(case: Case, unit: str, actor: str, reason: str, now: dt.datetime, clock: FollowupClock) -> Change:
    """A co-handler or a child refuses its part: it waits for review (派单异议审核)."""
    actor = free_text(actor, "actor")
    mine = _mine(case, unit)
    _expect(case, mine, ASSIGNED, SIGNED_FOR, doing="refuse it")
    reason = required_text(reason, "reason", bounds.REASON)
    window = clock.refusal_deadline(mine.assigned_at)
    if now > window:
        raise TransitionRefused(
            f"case {case.number} came to {unit} more than {clock.refusal_working_days} working days ago "
            f"(refusal window closed {window.isoformat()}): reply")
    reviewer = mine.parent_unit_code if mine.role == DOWN else CENTRE
    refusal = {"reason": reason, "actor": actor, "at": now, "state_before": mine.state, "reviewer": reviewer}
    return Change(set={"assignments": _with(case, replace(mine, state=REFUSAL_REVIEW, refusal=refusal))},
                  ledger=[_entry(case, unit, now, actor, "refused", reason, role=mine.role, reviewer=reviewer)],
                  events=[("assignment_refused", _body(case, mine, reason=reason, refused_at=now, actor=actor,
                                                       reviewer=reviewer))])


def review_refusal(case: Case, unit: str, reviewer_unit: str, approve: object, reason: str, actor: str,
                   now: dt.datetime) -> Change:
    """The reviewer (the parent unit, or ``CENTRE``) approves the refusal or sends the part back."""
    actor = free_text(actor, "actor")
    reason = decided(approve, "approve", "true (approve the refusal) or false (reject it)", reason)
    mine = _mine(case, unit)
    _expect(case, mine, REFUSAL_REVIEW, doing="review a refusal")
    refusal = mine.refusal or {}
    if refusal.get("reviewer") != reviewer_unit:
        raise NotYourCase(f"the refusal of {unit} on case {case.number} is for "
                          f"{refusal.get('reviewer')} to review")
    if approve:
        changed = replace(mine, state=REFUSED, ended_at=now, extension=None)
    else:
        changed = replace(mine, state=str(refusal.get("state_before") or ASSIGNED), refusal=None)
    return Change(
        set={"assignments": _with(case, changed)},
        ledger=[_entry(case, unit, now, actor, "refusal_approved" if approve else "refusal_rejected", reason,
                       reviewer=reviewer_unit, reviewed_unit=unit)],
        events=[("refusal_reviewed", _body(case, mine, approved=approve, reason=reason, reviewer=reviewer_unit,
                                           actor=actor, reviewed_at=now)),
                *([_ended(case, mine, "refused", now)] if approve else [])])


def decided(decision: object, name: str, meaning: str, reason: str) -> str:
    """The reason of a yes-or-no review, checked: ``decision`` must be a bool (``meaning``
    says which), and a no needs a reason."""
    if not isinstance(decision, bool):
        raise InvalidRequest({name: [meaning]})
    return free_text(reason, "reason", bounds.REASON) if decision else required_text(reason, "reason", bounds.REASON)


# -- extensions (延期) of a part ----------------------------------------------------------------


def extension_reviewer(part: Assignment) -> str:
    """Who decides the part's extensions: whoever reviews its reply and its refusal -- the unit
    that passed it down, or the centre for a co-handler (whose reply goes out with the lead's)."""
    return part.parent_unit_code if part.role == DOWN else CENTRE


def parent_terms(case: Case, part: Assignment) -> tuple[str, dt.datetime | None]:
    """``(name, reply deadline)`` of the part's parent: the lead (the case) for a co-handler and
    for what the lead passed down, else the part of the unit that passed it down."""
    if part.role == CO or part.parent_unit_code == case.department_code:
        return case.department_name or case.department_code, case.deadline
    held = [a for a in assignments_of(case) if a.unit_code == part.parent_unit_code]
    parent = next((a for a in held if a.live), held[-1] if held else None)
    if parent is None:  # its parent's part is gone: the lead's deadline bounds every part
        return case.department_name or case.department_code, case.deadline
    return parent.unit_name, parent.deadline


def _days_that_fit(part: Assignment, outer: dt.datetime | None, most: int, clock: FollowupClock) -> int:
    """The most working days (up to ``most``) the part's deadline can move without passing ``outer``."""
    if outer is None:
        return most
    return max((n for n in range(1, most + 1) if clock.extended_deadline(part.deadline, n) <= outer), default=0)


def _past_parent(case: Case, part: Assignment, days: int, clock: FollowupClock) -> str | None:
    """Why ``days`` more would take the part past its parent's reply deadline; ``None`` if they fit."""
    name, outer = parent_terms(case, part)
    if outer is None or clock.extended_deadline(part.deadline, days) <= outer:
        return None
    fit = _days_that_fit(part, outer, days, clock)
    return (f"a part's reply deadline never passes its parent's: {name} must reply by "
            f"{clock.local(outer).isoformat(timespec='minutes')}, so {part.unit_name}'s part "
            f"(due {clock.local(part.deadline).isoformat(timespec='minutes')}) can move "
            + (f"at most {fit} working day(s)" if fit else f"no further until {name}'s own deadline moves"))


def request_extension(case: Case, unit: str, actor: str, working_days: object, reason: str, now: dt.datetime,
                      clock: FollowupClock) -> Change:
    """The unit holding a part asks for more time (延期) for its part's reply, with a reason."""
    actor = free_text(actor, "actor")
    mine = _mine(case, unit)
    _expect(case, mine, SIGNED_FOR, doing="ask for an extension")
    if mine.extension:
        raise TransitionRefused(f"case {case.number}: {unit}'s part already has an extension request waiting")
    reason = required_text(reason, "reason", bounds.REASON)
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
        raise InvalidRequest({"working_days": ["a whole number of working days, at least 1"]})
    left = clock.max_extension_working_days - mine.extension_days_granted
    if working_days > left:
        raise InvalidRequest({"working_days": [
            f"at most {clock.max_extension_working_days} working days in all; {left} left for this part"]})
    past = _past_parent(case, mine, working_days, clock)
    if past:
        raise InvalidRequest({"working_days": [past]})
    reviewer = extension_reviewer(mine)
    extension = {"working_days": working_days, "reason": reason, "requested_at": now, "actor": actor,
                 "reviewer": reviewer}
    return Change(
        set={"assignments": _with(case, replace(mine, extension=extension))},
        ledger=[_entry(case, unit, now, actor, "extension_requested", reason, working_days=working_days,
                       role=mine.role, reviewer=reviewer)],
        events=[("assignment_extension_requested", _body(
            case, mine, working_days=working_days, reason=reason, requested_at=now, actor=actor,
            reviewer=reviewer, deadline=mine.deadline))])


def decide_extension(case: Case, unit: str, reviewer_unit: str, grant: object, reason: str, actor: str,
                     now: dt.datetime, clock: FollowupClock) -> Change:
    """The part's reviewer (the unit that passed it down, or ``CENTRE`` for a co-handler) grants the
    extension -- the part's reply deadline moves, never past its parent's -- or denies it with a reason."""
    mine = _mine(case, unit)
    asked = mine.extension or {}
    deciding = asked.get("reviewer") or extension_reviewer(mine)
    if deciding != reviewer_unit:  # before anything else: another unit learns nothing of the part
        raise NotYourCase(f"the extensions of {unit}'s part of case {case.number} are for {deciding} to decide")
    actor = free_text(actor, "actor")
    reason = decided(grant, "grant", "true (grant) or false (deny)", reason)
    _expect(case, mine, SIGNED_FOR, REPLIED, doing="decide an extension")
    if not asked:
        raise TransitionRefused(f"case {case.number}: {unit}'s part has no extension request waiting")
    days = int(asked["working_days"])
    if grant:
        past = _past_parent(case, mine, days, clock)
        if past:
            raise TransitionRefused(f"case {case.number}: cannot grant {days} working day(s): {past}")
    deadline = clock.extended_deadline(mine.deadline, days) if grant else mine.deadline
    changed = replace(mine, extension=None, deadline=deadline,
                      extension_days_granted=mine.extension_days_granted + (days if grant else 0))
    return Change(
        set={"assignments": _with(case, changed)},
        ledger=[_entry(case, unit, now, actor, "extension_granted" if grant else "extension_denied", reason,
                       working_days=days, deadline=deadline, role=mine.role, reviewer=reviewer_unit,
                       reviewed_unit=unit)],
        events=[("assignment_extension_decided", _body(
            case, mine, granted=grant, working_days=days, deadline=deadline, reason=reason,
            reviewer=reviewer_unit, actor=actor, decided_at=now))])


def open_children(case: Case, unit: str) -> list[Assignment]:
    """The parts ``unit`` passed down that are not finished (replied and accepted, or refused)."""
    return [a for a in assignments_of(case) if a.role == DOWN and a.parent_unit_code == unit and a.live]


def submit_reply(case: Case, unit: str, actor: str, text: str, attachments: object, now: dt.datetime,
                 files: Sequence[Doc] = ()) -> Change:
    """A co-handler's or a child's reply: to the lead (co) or up to its parent (down)."""
    actor = free_text(actor, "actor")
    mine = _mine(case, unit)
    _expect(case, mine, SIGNED_FOR, doing="reply")
    waiting = open_children(case, unit)
    if waiting:
        raise TransitionRefused(f"case {case.number}: {', '.join(a.unit_name for a in waiting)} "
                                f"has not finished the part {unit} passed down")
    text = required_text(text, "text")
    links = check_links(attachments)
    on_time = now <= mine.deadline
    kept = [{k: f[k] for k in ("id", "filename", "size", "content_type")} for f in files]
    reply = {"text": text, "attachments": links, "files": kept, "replied_at": now, "actor": actor,
             "on_time": on_time, "deadline": mine.deadline}
    # a co-handler's reply is its part done: the lead carries it to the hotline, which reviews both
    state = DONE if mine.role == CO else REPLIED
    changed = replace(mine, state=state, reply=reply, ended_at=now if state == DONE else None,
                      extension=None if state == DONE else mine.extension)
    return Change(set={"assignments": _with(case, changed)},
                  ledger=[_entry(case, unit, now, actor, "replied", text, on_time=on_time, role=mine.role,
                                 attachments=links, files=[f["filename"] for f in kept])],
                  events=[("assignment_replied", _body(case, mine, replied_at=now, on_time=on_time, actor=actor,
                                                       text=text)),
                          *([_ended(case, mine, "done", now)] if state == DONE else [])])


def review_reply(case: Case, unit: str, reviewer_unit: str, accept: object, reason: str, actor: str,
                 now: dt.datetime) -> Change:
    """The unit that passed the case down accepts its child's reply or sends it back."""
    actor = free_text(actor, "actor")
    reason = decided(accept, "accept", "true (accept the reply) or false (send it back)", reason)
    mine = _mine(case, unit)
    _expect(case, mine, REPLIED, doing="review its reply")
    if mine.parent_unit_code != reviewer_unit:
        raise NotYourCase(f"the reply of {unit} on case {case.number} is for {mine.parent_unit_code} to review")
    changed = replace(mine, state=DONE, ended_at=now, extension=None) if accept else \
        replace(mine, state=SIGNED_FOR)
    return Change(
        set={"assignments": _with(case, changed)},
        ledger=[_entry(case, reviewer_unit, now, actor, "reply_accepted" if accept else "reply_sent_back",
                       reason, reviewed_unit=unit)],
        events=[("assignment_reviewed", _body(case, mine, accepted=accept, reason=reason, reviewer=reviewer_unit,
                                              actor=actor, reviewed_at=now)),
                *([_ended(case, mine, "done", now)] if accept else [])])


def check_links(attachments: object) -> list[str]:
    links = attachments or []
    bad = not isinstance(links, list) or [
        a for a in links if not (isinstance(a, str) and a.startswith(("http://", "https://"))
                                 and len(a) <= bounds.LINK)]
    if bad or not isinstance(links, list) or len(links) > bounds.ATTACHMENTS:
        raise InvalidRequest({"attachments": [
            f"up to {bounds.ATTACHMENTS} links, each starting with http:// or https:// "
            f"and at most {bounds.LINK} characters"]})
    return list(links)


# -- what the lead's own steps need of the tree ------------------------------------------------


def lead_may_reply(case: Case) -> list[Doc]:
    """The co-handlers' replies the lead's reply carries; ``TransitionRefused`` while a part is open."""
    waiting = [a for a in assignments_of(case) if a.live and (a.role == CO or a.parent_unit_code ==
                                                              case.department_code)]
    if waiting:
        raise TransitionRefused(
            f"case {case.number}: waiting for {', '.join(a.unit_name for a in waiting)} "
            "(co-handlers reply, and units the case was passed down to finish, before the lead replies)")
    return [{"unit_code": a.unit_code, "unit_name": a.unit_name, "text": (a.reply or {}).get("text", ""),
             "actor": (a.reply or {}).get("actor", ""), "replied_at": (a.reply or {}).get("replied_at")}
            for a in assignments_of(case) if a.role == CO and a.state == DONE and a.reply]


# -- another unit leads the case (a refusal re-routed, 改派, 提级) ------------------------------


def rerouted(before: Case, after: Case, named: Sequence[Unit], actor: str, moved_at: dt.datetime,
             now: dt.datetime, clock: FollowupClock, refused: bool = False) -> Change:
    """The parts once routing hands the case from ``before``'s lead to ``after``'s (``after``: the
    case with the new lead's fields and ``before``'s parts). A unit leads a case or works on a
    part of it, never both, and the former lead keeps nothing:

    * the part the new lead holds (a co-handler is the natural next lead; or a unit the case
      was passed down to) is withdrawn -- what it passed down stays, the new lead's children now;
    * the former lead's own part, if it holds one, is withdrawn, and so is every part it passed
      down and what was passed down from those in turn;
    * the other co-handlers work on, beside the new lead (it is their ``parent_unit_code`` now),
      and so does what they passed down;
    * the co-handlers the new assignment names (``named``) that the case does not have are added,
      once each, opened ``now``: never the lead, never a unit holding a live part, never a
      co-handler that has replied already, nor a unit whose refusal stands -- a part's refusal
      approved, or the former lead's when its refusal is what re-routed the case (``refused``).

    A withdrawn part ends when the lead changed (``moved_at``, or its own opening if later):
    a ledger entry ``part_withdrawn`` under its unit says why (``reason_codes``), and its
    ``assignment_ended`` (``withdrawn``) stops notify's watch of it.
    """
    old, new = before.department_code, after.department_code
    parts = assignments_of(before)
    why: dict[str, Doc] = {}  # unit -> why its live part is withdrawn
    if old != new:
        for a in parts:
            if a.live and a.unit_code == new:
                why[new] = reasons.reason("leads_now", department=after.department_name or new)
            elif a.live and a.unit_code == old:
                why[old] = reasons.reason("former_lead", department=before.department_name or old)
        above = {old}  # the former lead and the units under it whose parts go with it
        while True:
            under = {a.unit_code for a in parts if a.live and a.role == DOWN and a.parent_unit_code in above
                     and a.unit_code not in above and a.unit_code != new}
            if not under:
                break
            for unit in under:
                why[unit] = reasons.reason("with_former_lead", department=before.department_name or old)
            above |= under
    docs: list[Doc] = []
    change = Change()
    for a in parts:
        if a.live and a.unit_code in why:
            at = max(moved_at, a.assigned_at)
            coded = why[a.unit_code]
            change.ledger.append(_entry(after, a.unit_code, at, actor, "part_withdrawn", reasons.sentence(coded),
                                        reason_codes=[coded], role=a.role, lead=new))
            change.events.append(_ended(after, a, "withdrawn", at))
            a = replace(a, state=WITHDRAWN, ended_at=at, extension=None)
        elif a.live and a.role == CO:
            a = replace(a, parent_unit_code=new)
        docs.append(a.to_doc())
    after = replace_assignments(after, docs)
    stands = {a.unit_code for a in parts if a.state == REFUSED or (a.role == CO and a.state == DONE)}
    wanted = _not_on(after, named, also=stands | ({old} if refused else set()))
    added = _co_parts(after, wanted, actor, now, clock)
    change.set = added.set
    change.ledger += added.ledger
    change.events += added.events
    return change


def withdraw_open_parts(case: Case, now: dt.datetime) -> tuple[list[Doc], list[Event]]:
    """The assignments once the case closes: a part still open (a co-handler added after the
    lead replied) is withdrawn, with its ``assignment_ended``: a closed case has none open."""
    return _withdraw(case, now, lambda a: True)


def _withdraw(case: Case, now: dt.datetime, which: Callable[[Assignment], bool]) -> tuple[list[Doc], list[Event]]:
    docs, ended = [], []
    for a in assignments_of(case):
        if a.live and which(a):
            ended.append(_ended(case, a, "withdrawn", now))
            a = replace(a, state=WITHDRAWN, ended_at=now, extension=None)
        docs.append(a.to_doc())
    return docs, ended


def reopen_co_handlers(case: Case, now: dt.datetime, clock: FollowupClock, deadline: dt.datetime,
                       actor: str = "", reason: str = "") -> Change:
    """On reopening (重办), each co-handler that finished works a new round inside the lead's.

    The round is a dispatch to its unit, as the lead's is: a ledger entry ``reopened`` under
    the co-handler (the scorecard counts it, so the round's sign-for has a dispatch to answer)."""
    docs: list[Doc] = []
    change = Change()
    for a in assignments_of(case):
        if a.role == CO and a.state == DONE:
            sign_for_deadline, own = _terms_within(case, now, clock, deadline)
            a = replace(a, state=ASSIGNED, assigned_at=now, sign_for_deadline=sign_for_deadline, deadline=own,
                        signed_at=None, reply=None, ended_at=None, extension=None, extension_days_granted=0)
            change.ledger.append(_entry(case, a.unit_code, now, actor, "reopened", reason, role=CO,
                                        deadline=own, sign_for_deadline=sign_for_deadline))
            change.events.append(("assignment_opened", _body(
                case, a, unit_name=a.unit_name, assigned_at=now, sign_for_deadline=sign_for_deadline,
                deadline=own, urgency=case.urgency, time_limit_class=case.time_limit_class,
                title=case.title or "", assigned_by="", note="reopened")))
        docs.append(a.to_doc())
    change.set = {"assignments": docs}
    return change


# -- what intake's reconciler asks of the tree -------------------------------------------------


def part_states(case: Case) -> list[Doc]:
    """Each unit's part as the reconciler compares it with notify's watches: its latest
    assignment (the live one, if any), and whether it is open. The lead's is the case itself."""
    latest: dict[str, Assignment] = {}
    for a in assignments_of(case):
        held = latest.get(a.unit_code)
        if held is None or not held.live:
            latest[a.unit_code] = a
    return [{"unit_code": a.unit_code, "role": a.role, "state": a.state, "open": a.live}
            for a in latest.values()]


def standing_events(case: Case, unit: str) -> tuple[str, ...] | None:
    """The event types that say where ``unit``'s part stands, in order (``None``: the unit has
    no part): an open part's opening and its last step, or a finished part's end."""
    part = live_assignment(case, unit) or next(
        (a for a in reversed(assignments_of(case)) if a.unit_code == unit), None)
    if part is None:
        return None
    if not part.live:
        return ("assignment_ended",)
    step = {SIGNED_FOR: ("assignment_signed_for",), REPLIED: ("assignment_signed_for", "assignment_replied"),
            REFUSAL_REVIEW: ("assignment_refused",)}.get(part.state, ())
    if part.state == REFUSAL_REVIEW and part.signed_at:
        step = ("assignment_signed_for", *step)
    # the last extension decided carries the reply deadline in force (if any was decided in this round)
    return ("assignment_opened", *step, "assignment_extension_decided")
