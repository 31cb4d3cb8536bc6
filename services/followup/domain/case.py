"""The case (工单 after dispatch) and its ledger (台账): every transition, checked.

A case walks::

           ┌──────── refuse (退单, within 2 wd) ───▶ refused ──┐
           │   ┌──── routing re-routes to another department ◀─┘
           │   ▼
    ──▶ assigned ─sign for─▶ signed_for ─reply─▶ replied ─approve─▶ approved ─callback─▶ closed
           ▲   (签收)         ▲  │  ▲    (回复)     │    (审核)       │   (回访)  resolved and
           │                  │  └──┘ extension     │                 │           (basically)
           │                  │       (延期)        │                 │           satisfied
           │                  └───── reject (打回) ─┘                 │
           └────────────────────── reopened (重办) ◀──────────────────┘
                                    unresolved or dissatisfied

A proactive case (主动治理: no citizen behind it) has no callback: the approval of its
reply closes it (``callback.close_on_review``).

The exits (``exits.py``, ``callback.py``)::

    signed_for ─propose─▶ unreasonable_proposed ─approve─▶ closed (unreasonable, 不合理诉求)
        ▲                        │ reject
        ├────────────────────────┘
        ├── propose ─▶ hold_proposed ─approve─▶ on_hold (挂账) ─recheck day─▶ signed_for
        └────────────────────┘ reject
    approved ─callback, reopened reopen_limit times already─▶ raised (提级) ─routing─▶ assigned

Each verb of :class:`Case` checks the transition makes sense and returns a
:class:`Change`: the fields to set, the counters to raise, the ledger entries
to append and the events to publish. It changes nothing itself; the
repository applies the change only if the case is still in the state (and
version) it was read in, so two people acting at once cannot corrupt it. A
transition that makes no sense raises :class:`TransitionRefused` and nothing
changes. The callback and what follows it (close, reopen or raise) are in
``callback.py``; 不合理诉求 and 挂账 in ``exits.py``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

import services.followup.domain.tree as tree
from services.followup.domain.callback import close_on_review, record_callback
from services.followup.domain.change import Change, Doc, Event, free_text, required_text
from services.followup.domain.errors import InvalidRequest, NotYourCase, NumberReused, TransitionRefused
from services.followup.domain.exits import (
    decide_hold,
    decide_unreasonable,
    propose_hold,
    propose_unreasonable,
    recheck_hold,
)
from services.followup.domain.quality import Finding, check_reply
from services.followup.domain.rebound import rebounded
from services.followup.domain.states import (
    APPROVED,
    ASSIGNED,
    RAISED,
    REFUSAL_REVIEW,
    REFUSED,
    REPLIED,
    SIGNED_FOR,
)
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds, numbering
from shared.contract.messages import PROACTIVE
from shared.contract.rebounds import ReboundTerms

MAX_ATTACHMENTS = bounds.ATTACHMENTS

# a typed view of the contract's helper (not annotated throughout yet)
same_instant = cast(Callable[[Any, Any], bool], numbering.same_instant)


def _assignment_fields(assignment: Doc) -> Doc:
    return {
        "department_code": assignment["department_code"],
        "department_name": assignment["department_name"],
        "urgency": assignment["urgency"],
        "asked_urgency": assignment.get("asked_urgency"),
        "time_limit_class": assignment["time_limit_class"],
        "deadline": assignment["deadline"],
        "sign_for_deadline": assignment["sign_for_deadline"],
        "assigned_at": assignment["assigned_at"],
        "round_started_at": assignment["assigned_at"],
        "assignment_event": assignment["event_id"],
        "title": assignment.get("title") or "", "category": assignment.get("category"),
        "request_type": assignment.get("request_type"),
        "signed_at": None, "extension": None, "extension_days_granted": 0, "reply": None,
    }


def co_handlers_named(assignment: Doc) -> list[tree.Unit]:
    """The co-handlers (协办) a ``ticket_assigned`` names, as units."""
    return [tree.Unit(str(u.get("department_code")), str(u.get("department_name") or ""))
            for u in assignment.get("co_handlers") or [] if u.get("department_code")]


def decided_by_id(assignment: Doc) -> Doc:
    """``{"actor_id": ...}`` of the dispatcher who decided an assignment (none for routing's own)."""
    return {"actor_id": assignment["decided_by_id"]} if assignment.get("decided_by_id") else {}


# Fields stored only once a transition sets them: absent from a document until then.
LATER = ("refused_at", "approved_reply", "approved_at", "callback_due", "closed_at", "reopened_at",
         "ticket", "refusal", "outcome", "proposal", "ruling", "hold", "last_hold", "held_at", "raised_at",
         "raised_to", "co_handlers_event", "rebounds")
# Counters stored only once they count something.
COUNTED_LATER = ("reopen_base", "raise_count")


@dataclass
class Case:
    """One ticket's case, as followup keeps it (``cases`` holds one document per case)."""

    number: str
    state: str
    department_code: str
    department_name: str = ""
    urgency: str = "normal"
    time_limit_class: str = "general"
    deadline: dt.datetime | None = None
    sign_for_deadline: dt.datetime | None = None
    assigned_at: dt.datetime | None = None
    round_started_at: dt.datetime | None = None
    version: int = 0
    opened_at: dt.datetime | None = None
    attempt: int = 1
    rejection_count: int = 0
    refusal_count: int = 0
    reopen_count: int = 0
    callback_attempts: list[dt.datetime] = field(default_factory=list)
    ticket_received_at: dt.datetime | None = None
    asked_urgency: str | None = None
    assignment_event: str | None = None
    title: str = ""
    category: str | None = None
    request_type: str | None = None  # 诉求类型, as routing assigned it (None: assigned before types were)
    signed_at: dt.datetime | None = None
    extension: Doc | None = None
    extension_days_granted: int = 0
    reply: Doc | None = None
    refused_at: dt.datetime | None = None
    approved_reply: str | None = None
    approved_at: dt.datetime | None = None
    callback_due: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    reopened_at: dt.datetime | None = None
    ticket: Doc | None = None
    refusal: Doc | None = None  # the lead's refusal waiting for the centre's review
    assignments: list[Doc] = field(default_factory=list)  # co-handling and passed-down parts (tree.py)
    co_handlers_event: str | None = None  # the assignment whose co-handlers the case has taken
    outcome: str | None = None          # how it closed: resolved ... untrue, unreasonable
    proposal: Doc | None = None         # an exit the department proposed, waiting (exits.py)
    ruling: Doc | None = None           # the approved 不合理诉求 proposal
    hold: Doc | None = None             # the approved 挂账, while on hold
    last_hold: Doc | None = None
    held_at: dt.datetime | None = None
    raised_at: dt.datetime | None = None
    raised_to: str | None = None
    reopen_base: int = 0                # reopenings before the unit that has it now (提级)
    raise_count: int = 0
    rebounds: list[Doc] | None = None  # requests that came back after it closed (防反弹, rebound.py)
    doc_id: Any = None  # the document's ``_id``
    ledger: list[Doc] = field(default_factory=list)  # entries not stored yet (a new case's)
    more: Doc = field(default_factory=dict)  # stored fields this class does not name, kept as they are

    # -- the document ---------------------------------------------------------------

    @classmethod
    def from_doc(cls, doc: Doc) -> Case:
        """The case a stored document holds (a missing counter reads as its default)."""
        given = {key: value for key, value in doc.items() if key in _STORED_NAMES}
        given["callback_attempts"] = list(doc.get("callback_attempts") or [])
        given["assignments"] = list(doc.get("assignments") or [])
        for key in ("attempt",):
            given[key] = doc.get(key) or 1
        for key in COUNTED_LATER:
            given[key] = doc.get(key) or 0
        return cls(**given, doc_id=doc.get("_id"), ledger=list(doc.get("ledger") or []),
                   more={key: value for key, value in doc.items() if key not in _NOT_MORE})

    def to_doc(self) -> Doc:
        """The document to store: the shape ``cases`` has always held (without the ledger)."""
        doc: Doc = {name: getattr(self, name) for name in _STORED
                    if not (name in LATER and getattr(self, name) is None)
                    and not (name in COUNTED_LATER and not getattr(self, name))}
        if self.doc_id is not None:
            doc["_id"] = self.doc_id
        return {**doc, **self.more}

    # A case reads like the document it came from (``case["state"]``, ``case.get("extension")``),
    # for code written against documents; only its verbs change it.

    def get(self, key: str, default: Any = None) -> Any:
        """A field by its stored name (``ledger``: the entries not stored yet)."""
        return self.ledger if key == "ledger" else self.to_doc().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.ledger if key == "ledger" else self.to_doc()[key]

    # -- opening and re-routing ------------------------------------------------------

    @classmethod
    def open(cls, assignment: Doc, now: dt.datetime) -> Case:
        """A new case for a ``ticket_assigned`` event (attempt 2 if followup never heard of 1)."""
        case = cls.from_doc({
            "number": assignment["number"], "state": ASSIGNED, "version": 0, "opened_at": now,
            "attempt": assignment.get("attempt") or 1, "rejection_count": 0, "refusal_count": 0,
            "reopen_count": 0, "callback_attempts": [], "ticket_received_at": assignment.get("received_at"),
            **_assignment_fields(assignment)})
        case.ledger = [case.entry(
            cast(dt.datetime, assignment["assigned_at"]), assignment["decided_by"], "assigned",
            "; ".join(assignment["reasons"]), to=assignment["department_name"],
            reason_codes=assignment.get("reason_codes") or [], **decided_by_id(assignment))]
        return case

    def co_handlers_at_open(self, assignment: Doc, clock: FollowupClock) -> Change | None:
        """The co-handlers (协办) routing dispatched with the case, once it is open; ``None`` if none,
        or if the case has taken this assignment's co-handlers already (a redelivery; a re-route
        takes them with the move, ``reassign``)."""
        units = [unit for unit in co_handlers_named(assignment) if unit.code != self.department_code]
        if not units or self.assignments or self.co_handlers_event == assignment.get("event_id"):
            return None
        change = tree.add_co_handlers(self, units, assignment.get("decided_by") or "", cast(
            dt.datetime, assignment["assigned_at"]), clock).by(assignment.get("decided_by_id"))
        change.set["co_handlers_event"] = assignment.get("event_id")
        return change

    def opened(self) -> Event:
        """The ``case_opened`` event of this case as it stands."""
        body = {"number": self.number, "department_code": self.department_code, "urgency": self.urgency,
                "deadline": self.deadline, "sign_for_deadline": self.sign_for_deadline,
                "opened_at": self.opened_at, "attempt": self.attempt,
                "time_limit_class": self.time_limit_class, "title": self.title or "",
                "received_at": self.ticket_received_at, "request_type": self.request_type}
        return "case_opened", body

    def check_same_ticket(self, assignment: Doc) -> None:
        """Raise ``NumberReused`` if ``assignment`` is for another ticket under this number."""
        held, given = self.ticket_received_at, assignment.get("received_at")
        if not same_instant(held, given):
            raise NumberReused(
                f"ticket number {self.number} names two tickets: the case holds the one received "
                f"at {held.isoformat() if held else held}, this assignment is for one received at "
                f"{given.isoformat() if given else given}")

    def reassign(self, assignment: Doc, now: dt.datetime, clock: FollowupClock) -> Change | None:
        """Routing sent the case to another department; ``None`` if this is a redelivery.

        Two ways: a refused (or raised) case re-routed (退单, 提级), or a case a
        dispatcher moved away from the department that holds it (``redispatched``,
        改派) while it is still with that department and not yet approved (or raised). Only a later attempt
        moves it: an earlier assignment heard late changes nothing.

        The parts move with it (``tree.rerouted``): the new lead's own part and all the
        former lead had or passed down are withdrawn, the co-handlers work on beside the new
        lead, and the co-handlers the assignment names that the case lacks are added -- in
        the same change, so a redelivery adds none twice.
        """
        self.check_same_ticket(assignment)
        if assignment["event_id"] == self.assignment_event:
            return None
        redispatch = bool(assignment.get("redispatched"))
        if redispatch:
            if self.state not in (ASSIGNED, SIGNED_FOR, REPLIED, REFUSAL_REVIEW, RAISED) or \
                    assignment.get("previous_department_code") != self.department_code:
                return None
        elif self.state not in (REFUSED, RAISED):
            return None
        if (assignment.get("attempt") or 0) and assignment["attempt"] <= self.attempt:
            return None
        fields_set = _assignment_fields(assignment)
        attempt = assignment.get("attempt") or self.attempt + 1
        moved = Case.from_doc({**self.to_doc(), **fields_set, "opened_at": now, "attempt": attempt})
        parts = tree.rerouted(self, moved, co_handlers_named(assignment), assignment["decided_by"],
                              assignment["assigned_at"], now, clock, refused=self.state == REFUSED)
        change = Change(set={**fields_set, "state": ASSIGNED, "attempt": attempt, **parts.set,
                             "co_handlers_event": assignment["event_id"]})
        change.ledger.append(moved.entry(
            assignment["assigned_at"], assignment["decided_by"], "assigned",
            "; ".join(assignment["reasons"]), to=assignment["department_name"],
            reason_codes=assignment.get("reason_codes") or [],
            previous_department_code=self.department_code, redispatched=redispatch, **decided_by_id(assignment)))
        change.ledger += [dict(entry, **decided_by_id(assignment)) for entry in parts.ledger]
        event_type, body = moved.opened()
        change.events.append((event_type, dict(body, previous_department_code=self.department_code)))
        change.events += parts.events
        return change

    # -- the department's verbs ------------------------------------------------------

    def held_by(self, department: str | None, part: bool = False) -> None:
        """Raise ``NotYourCase`` unless ``department`` (when given) leads the case -- or, with
        ``part``, holds or held a part of it (tree.py)."""
        if department is None or department == self.department_code:
            return
        if not (part and department in tree.units_on(self)):
            raise NotYourCase(f"case {self.number} is not with {department}")

    def is_lead(self, unit: str | None) -> bool:
        """Whether ``unit`` acts as the lead (``None``: the hotline's own staff, on the lead's part)."""
        return unit is None or unit == self.department_code

    def sign_for(self, actor: str, now: dt.datetime, unit: str | None = None) -> Change:
        if not self.is_lead(unit):
            return tree.sign_for(self, cast(str, unit), actor, now)
        actor = free_text(actor, "actor")
        self.expect(ASSIGNED, doing="sign for it")
        on_time = now <= self._due(self.sign_for_deadline)
        return Change(
            set={"state": SIGNED_FOR, "signed_at": now},
            ledger=[self.entry(now, actor, "signed_for", on_time=on_time)],
            events=[("case_signed_for", {"number": self.number, "department_code": self.department_code,
                                         "signed_at": now, "actor": actor, "on_time": on_time})])

    def refuse(self, actor: str, reason: str, now: dt.datetime, clock: FollowupClock,
               unit: str | None = None) -> Change:
        """The unit refuses (退单). The lead's refusal waits for the centre's review when the
        city reviews refusals (``FOLLOWUP.refusal_review``); otherwise routing re-routes at once."""
        if not self.is_lead(unit):
            return tree.refuse(self, cast(str, unit), actor, reason, now, clock)
        actor = free_text(actor, "actor")
        self.expect(ASSIGNED, SIGNED_FOR, doing="refuse it")
        reason = required_text(reason, "reason", bounds.REASON)
        window = clock.refusal_deadline(self._due(self.assigned_at))
        if now > window:
            raise TransitionRefused(
                f"case {self.number} was dispatched more than {clock.refusal_working_days} "
                f"working days ago (refusal window closed {window.isoformat()}): reply or ask for an extension")
        if clock.refusal_review:
            refusal = {"reason": reason, "actor": actor, "at": now, "state_before": self.state,
                       "reviewer": tree.CENTRE}
            return Change(
                set={"state": REFUSAL_REVIEW, "refusal": refusal},
                ledger=[self.entry(now, actor, "refused", reason, role="lead", reviewer=tree.CENTRE)],
                events=[("assignment_refused", {
                    "number": self.number, "department_code": self.department_code,
                    "unit_code": self.department_code, "role": "lead", "parent_unit_code": "",
                    "reason": reason, "refused_at": now, "actor": actor, "reviewer": tree.CENTRE})])
        return self._refused(actor, reason, now)

    def review_refusal(self, unit: str, reviewer_unit: str, approve: object, reason: str, actor: str,
                       now: dt.datetime) -> Change:
        """Approve a refusal (the lead's: routing re-routes the case) or send the part back."""
        if unit != self.department_code:
            return tree.review_refusal(self, unit, reviewer_unit, approve, reason, actor, now)
        actor = free_text(actor, "actor")
        self.expect(REFUSAL_REVIEW, doing="review a refusal")
        reason = tree.decided(approve, "approve", "true (approve the refusal) or false (reject it)", reason)
        if reviewer_unit != tree.CENTRE:
            raise NotYourCase(f"the refusal of case {self.number} is for the centre's dispatchers to review")
        refusal = self.refusal or {}
        reviewed: Event = ("refusal_reviewed", {
            "number": self.number, "department_code": self.department_code, "unit_code": self.department_code,
            "role": "lead", "parent_unit_code": "", "approved": approve, "reason": reason,
            "reviewer": tree.CENTRE, "actor": actor, "reviewed_at": now})
        entry = self.entry(now, actor, "refusal_approved" if approve else "refusal_rejected", reason,
                           reviewer=tree.CENTRE, reviewed_unit=self.department_code)
        if approve:
            change = self._refused(str(refusal.get("actor") or ""), str(refusal.get("reason") or ""),
                                   cast(dt.datetime, refusal.get("at") or now))
            change.set["refusal"] = None
            change.ledger.insert(0, entry)
            change.events.insert(0, reviewed)
            return change
        return Change(set={"state": str(refusal.get("state_before") or ASSIGNED), "refusal": None},
                      ledger=[entry], events=[reviewed])

    def _refused(self, actor: str, reason: str, now: dt.datetime) -> Change:
        return Change(
            set={"state": REFUSED, "refused_at": now, "extension": None},
            inc={"refusal_count": 1},
            ledger=[self.entry(now, actor, "refused", reason)],
            events=[("case_refused", {"number": self.number, "department_code": self.department_code,
                                      "reason": reason, "refused_at": now, "actor": actor,
                                      "refusal_count": self.refusal_count + 1, "attempt": self.attempt})])

    def request_extension(self, actor: str, working_days: object, reason: str, now: dt.datetime,
                          clock: FollowupClock, unit: str | None = None) -> Change:
        """The unit asks for more time (延期): the lead of the hotline; a co-handler or a child of
        whoever reviews its part (tree.py), never past its parent's reply deadline."""
        if not self.is_lead(unit):
            return tree.request_extension(self, cast(str, unit), actor, working_days, reason, now, clock)
        actor = free_text(actor, "actor")
        self.expect(SIGNED_FOR, doing="ask for an extension")
        if self.extension:
            raise TransitionRefused(f"case {self.number} already has an extension request waiting")
        reason = required_text(reason, "reason", bounds.REASON)
        left = clock.max_extension_working_days - self.extension_days_granted
        if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
            raise InvalidRequest({"working_days": ["a whole number of working days, at least 1"]})
        if working_days > left:
            raise InvalidRequest({"working_days": [
                f"at most {clock.max_extension_working_days} working days in all; {left} left for this case"]})
        extension = {"working_days": working_days, "reason": reason, "requested_at": now, "actor": actor}
        return Change(
            set={"extension": extension},
            ledger=[self.entry(now, actor, "extension_requested", reason, working_days=working_days)],
            events=[("extension_requested", {"number": self.number, "department_code": self.department_code,
                                             "working_days": working_days, "reason": reason,
                                             "requested_at": now})])

    def submit_reply(self, actor: str, text: str, attachments: object, now: dt.datetime,
                     files: Sequence[Doc] = (), unit: str | None = None) -> Change:
        """The unit's reply: text, links, and ``files`` it uploaded to the case. The lead's goes to
        the hotline with its co-handlers' replies; another unit's to the unit above it (tree.py)."""
        if not self.is_lead(unit):
            return tree.submit_reply(self, cast(str, unit), actor, text, attachments, now, files)
        actor = free_text(actor, "actor")
        self.expect(SIGNED_FOR, doing="reply")
        co_replies = tree.lead_may_reply(self)
        text = required_text(text, "text")
        links = tree.check_links(attachments)
        on_time = now <= self._due(self.deadline)
        kept = [{k: f[k] for k in ("id", "filename", "size", "content_type")} for f in files]
        reply = {"text": text, "attachments": links, "files": kept, "replied_at": now,
                 "actor": actor, "on_time": on_time, "deadline": self.deadline}
        if co_replies:
            reply["co_replies"] = co_replies
        return Change(
            set={"state": REPLIED, "reply": reply},
            ledger=[self.entry(now, actor, "replied", text, on_time=on_time, attachments=links,
                               files=[f["filename"] for f in kept])],
            events=[("reply_submitted", {"number": self.number, "department_code": self.department_code,
                                         "text": text, "attachments": links, "files": kept,
                                         "replied_at": now, "on_time": on_time})])

    # -- the tree: co-handlers, passing down, reviews of a child's reply (tree.py) -------------

    def add_co_handlers(self, units: Sequence[tree.Unit], actor: str, now: dt.datetime, clock: FollowupClock,
                        note: str = "") -> Change:
        return tree.add_co_handlers(self, units, actor, now, clock, note)

    def pass_down(self, by_unit: str, to: tree.Unit, actor: str, note: str, now: dt.datetime,
                  clock: FollowupClock) -> Change:
        return tree.pass_down(self, by_unit, to, actor, note, now, clock)

    def review_assignment_reply(self, unit: str, reviewer_unit: str, accept: object, reason: str, actor: str,
                                now: dt.datetime) -> Change:
        return tree.review_reply(self, unit, reviewer_unit, accept, reason, actor, now)

    def decide_part_extension(self, unit: str, reviewer_unit: str, grant: object, reason: str, actor: str,
                              now: dt.datetime, clock: FollowupClock) -> Change:
        """Grant or deny the extension a co-handler or a child asked for its part (tree.py)."""
        return tree.decide_extension(self, unit, reviewer_unit, grant, reason, actor, now, clock)

    # -- the operators' verbs ----------------------------------------------------------

    def decide_extension(self, operator: str, grant: object, reason: str, now: dt.datetime,
                         clock: FollowupClock) -> Change:
        operator = free_text(operator, "operator")
        reason = free_text(reason, "reason", bounds.REASON)
        self.expect(SIGNED_FOR, REPLIED, doing="decide an extension")
        if not self.extension:
            raise TransitionRefused(f"case {self.number} has no extension request waiting")
        if not isinstance(grant, bool):
            raise InvalidRequest({"grant": ["true (grant) or false (deny)"]})
        if not grant:  # the department is told why (notify's extension_decided notice)
            reason = required_text(reason, "reason", 1000)
        days = int(self.extension["working_days"])
        deadline = clock.extended_deadline(self._due(self.deadline), days) if grant else self.deadline
        change = Change(set={"extension": None, "deadline": deadline})
        if grant:
            change.inc["extension_days_granted"] = days
        change.ledger.append(self.entry(
            now, operator, "extension_granted" if grant else "extension_denied", reason,
            working_days=days, deadline=deadline))
        change.events.append(("extension_decided", {
            "number": self.number, "department_code": self.department_code, "granted": grant,
            "deadline": deadline, "decided_by": operator, "reason": reason, "decided_at": now}))
        return change

    def review_findings(self, ticket: Doc | None) -> list[Finding]:
        """What the quality gate finds in the reply waiting for review."""
        self.expect(REPLIED, doing="review a reply")
        return check_reply(self._reply_text(), ticket)

    def approve_reply(self, reviewer: str, ticket: Doc | None, now: dt.datetime, clock: FollowupClock,
                      reason: str = "") -> Change:
        reviewer = free_text(reviewer, "reviewer")
        reason = free_text(reason, "reason", bounds.REASON)
        findings = self.review_findings(ticket)
        handling = clock.working_days_between(self._due(self.round_started_at), now)
        text = self._reply_text()
        if self.request_type == PROACTIVE:  # no citizen to call back: the hotline's review closes it
            approved = Change(
                ledger=[self.entry(now, reviewer, "approved", reason, findings=findings, handling_working_days=handling)],
                events=[("reply_approved", {"number": self.number, "department_code": self.department_code,
                                            "text": text, "reviewer": reviewer, "callback_due": None,
                                            "approved_at": now, "callback": False})])
            return close_on_review(self, approved, now, reviewer, text)
        due = clock.callback_due(now)
        return Change(
            set={"state": APPROVED, "approved_reply": text, "approved_at": now,
                 "callback_due": due, "callback_attempts": [], "extension": None},
            ledger=[self.entry(now, reviewer, "approved", reason, findings=findings,
                               handling_working_days=handling, callback_due=due)],
            events=[("reply_approved", {"number": self.number, "department_code": self.department_code,
                                        "text": text, "reviewer": reviewer,
                                        "callback_due": due, "approved_at": now})])

    def reject_reply(self, reviewer: str, reason: str, ticket: Doc | None, now: dt.datetime) -> Change:
        reviewer = free_text(reviewer, "reviewer")
        findings = self.review_findings(ticket)
        reason = required_text(reason, "reason", bounds.REASON)
        count = self.rejection_count + 1
        return Change(
            set={"state": SIGNED_FOR},
            inc={"rejection_count": 1},
            ledger=[self.entry(now, reviewer, "rejected", reason, findings=findings, rejection_count=count)],
            events=[("reply_rejected", {"number": self.number, "department_code": self.department_code,
                                        "reason": reason, "reviewer": reviewer,
                                        "rejection_count": count, "rejected_at": now})])

    def record_callback(self, operator: str, reached: object, resolved: object, satisfaction: object,
                        note: str, now: dt.datetime, clock: FollowupClock, outcome: object = None,
                        parent: str | None = None, channel: str = "phone") -> Change:
        """The citizen called back (回访): close, reopen, raise or try again another day (``callback.py``);
        ``channel`` ``sms_link``: the citizen answered the rating link (``rating.py``)."""
        return record_callback(self, operator, reached, resolved, satisfaction, note, now, clock, outcome, parent,
                               channel)

    # -- the exits (exits.py) ------------------------------------------------------------

    def propose_unreasonable(self, actor: str, reason: object, evidence: object, now: dt.datetime,
                             files: Sequence[Doc] = ()) -> Change:
        """The department proposes 不合理诉求 with its evidence (``exits.py``)."""
        return propose_unreasonable(self, actor, reason, evidence, now, files)

    def decide_unreasonable(self, reviewer: str, approve: object, reason: object, now: dt.datetime) -> Change:
        """A reviewer rules: closed as ``unreasonable``, or back to the department (``exits.py``)."""
        return decide_unreasonable(self, reviewer, approve, reason, now)

    def propose_hold(self, actor: str, reason: object, recheck_on: object, now: dt.datetime,
                     clock: FollowupClock) -> Change:
        """The department proposes 挂账 until a recheck day (``exits.py``)."""
        return propose_hold(self, actor, reason, recheck_on, now, clock)

    def decide_hold(self, supervisor: str, approve: object, reason: object, now: dt.datetime) -> Change:
        """A supervisor approves the hold or rejects it with a reason (``exits.py``)."""
        return decide_hold(self, supervisor, approve, reason, now)

    def recheck_hold(self, recheck_at: object, now: dt.datetime, clock: FollowupClock) -> Change | None:
        """The hold's day came: back to the department (``exits.py``); ``None`` if not on that hold."""
        return recheck_hold(self, recheck_at, now, clock)

    def rebound(self, number: str, basis: str, reason: str, received_at: dt.datetime,
                terms: ReboundTerms, reason_codes: list[Doc] | None = None) -> Change | None:
        """A request came back after the case closed as solved (``rebound.py``); ``None`` if it
        does not count or was recorded already."""
        return rebounded(self, number, basis, reason, received_at, terms, reason_codes)

    # -- helpers -------------------------------------------------------------------------

    def entry(self, at: dt.datetime, actor: str, action: str, reason: str = "", **details: Any) -> Doc:
        """One line of the ledger: who did what, when and why, for which department."""
        return {"at": at, "actor": actor or "", "action": action, "reason": reason or "",
                "department_code": self.department_code, **details}

    def expect(self, *states: str, doing: str) -> None:
        if self.state not in states:
            raise TransitionRefused(
                f"case {self.number} is {self.state}: cannot {doing} "
                f"(only when {' or '.join(states)})")

    def _reply_text(self) -> str:
        return str((self.reply or {}).get("text") or "")

    def _due(self, moment: dt.datetime | None) -> dt.datetime:
        if moment is None:
            raise TransitionRefused(f"case {self.number} has no such time recorded")
        return moment


# The fields a case's document holds as they are, in their order (all but ``doc_id``,
# ``ledger`` and ``more``), worked out once: ``from_doc`` and ``to_doc`` run for every event
# and every verb.
_STORED = tuple(f.name for f in fields(Case) if f.name not in ("doc_id", "ledger", "more"))
_STORED_NAMES = frozenset(_STORED)
_NOT_MORE = _STORED_NAMES | {"_id", "ledger"}  # the keys of a document that do not go to ``more``
