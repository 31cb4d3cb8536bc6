"""Notify's own record of a case (a *watch*), built only from events.

Pure Python. ``Watch`` is the aggregate: ``Watch.learn(kind, event, now)``
checks what an event changes and returns it as ``Learned`` -- the fields it
sets (``None`` when it changes nothing), the notifications it asks for
(``messages.py``), and, once the ladder says when it looks next, the
``DeadlineWatched`` event to announce. ``take_steps`` records the ladder's
steps that came due and returns their ``TicketEscalated`` events. The
repository converts the stored document to a ``Watch`` (``from_doc``) and
writes only the fields a transition returns. The ladder (``ladder.py``) then
reads the watch to decide what is due. A re-route after a refusal and a
reopening start a new *round*: the ladder's steps may then happen again,
against the new deadlines.

Events of a case reach notify on different queues, so in any order, and a
redelivery may come late: an event about an earlier assignment (a smaller
``attempt``), another department, or a time before the round began changes
nothing (``of_this_round``), so a late refusal never stops the chase of the
department that has the case now.

A case on hold (挂账, ``hold_decided`` approved) is not chased: its watch is
``on_hold`` until the recheck day, when the ladder's one step is
``hold_recheck`` (``HoldRecheckDue``: followup takes the case back); the case
back with its department (``hold_rechecked``) starts a new round.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.notify.domain.ladder import HOLD_RECHECK, WATCHING, Step
from services.notify.domain.messages import Message, messages

Doc = Mapping[str, Any]       # a watch's stored fields, as the ladder and the notices read them
Changes = dict[str, Any]      # the fields a transition sets
Event = Mapping[str, Any]     # an event's body, as consumed

REFUSED = "refused"      # the department refused it; waiting for the new one
ANSWERED = "answered"    # the reply was approved; nothing more to chase
CLOSED = "closed"

# The events notify learns from: (source, type) -> short name.
KINDS: dict[tuple[str, str], str] = {
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
    ("followup", "appeal_filed"): "appeal_filed",      # a notice to the unit; the watch is unchanged
    ("followup", "appeal_decided"): "appeal_decided",
    ("followup", "hold_decided"): "hold_decided",
    ("followup", "hold_rechecked"): "hold_rechecked",
    ("followup", "unreasonable_decided"): "unreasonable_decided",
}

# The steps of a co-handling or passed-down unit's part (followup's tree of assignments): each
# part has a watch of its own, keyed ``<number>@<unit>`` (``part_key``), chased up the same
# ladder, and its steps are told as the ticket's (``ticket_number``) against that unit.
PART_EVENTS = ("assignment_opened", "assignment_signed_for", "assignment_refused", "refusal_reviewed",
               "assignment_replied", "assignment_reviewed", "assignment_extension_decided", "assignment_ended")


def part_key(number: str, unit_code: str) -> str:
    return f"{number}@{unit_code}"


def part_event(event_type: str, event: Event) -> tuple[str, dict[str, Any]] | None:
    """``(kind, event as the part's watch reads it)`` of a part's step; ``None`` for the lead's own
    (its watch follows the case's events)."""
    if event.get("role") == "lead" or not event.get("unit_code"):
        return None
    base = dict(event, number=part_key(event["number"], event["unit_code"]), ticket_number=event["number"],
                department_code=event["unit_code"])
    if event_type == "assignment_opened":
        return "opened", dict(base, opened_at=event["assigned_at"], attempt=None)
    if event_type == "assignment_signed_for":
        return "signed_for", base
    if event_type == "assignment_refused":
        return "refused", dict(base, attempt=None)
    if event_type == "refusal_reviewed":
        if event["approved"]:
            return "closed", dict(base, closed_at=event["reviewed_at"])
        return "resumed", base
    if event_type == "assignment_replied":
        if event.get("role") == "co":  # a co-handler's reply is its part done
            return "closed", dict(base, closed_at=event["replied_at"])
        return "replied", base
    if event_type == "assignment_reviewed":
        if event["accepted"]:
            return "closed", dict(base, closed_at=event["reviewed_at"])
        return "reply_rejected", dict(base, rejected_at=event["reviewed_at"], rejection_count=0)
    if event_type == "assignment_extension_decided":  # the part's reply deadline now in force
        return "extension_decided", base
    if event_type == "assignment_ended":  # done, refused or withdrawn: nobody chases it any more
        return "closed", dict(base, closed_at=event["ended_at"])
    return None


def part_unit(watch: Doc) -> str | None:
    """The unit whose part ``watch`` follows (``None``: the watch is a case's own)."""
    ticket = watch.get("ticket_number")
    number = str(watch.get("number") or "")
    if ticket and number.startswith(f"{ticket}@"):
        return number[len(ticket) + 1:]
    return None


# deadline_watched follows these (not routing's ticket_assigned, which followup's
# case_opened confirms: the watch is announced after the case is open).
RESCHEDULING = ("opened", "reopened", "extension_decided", "hold_rechecked")

# When each event happened, by kind: an event older than the round it would
# change belongs to an earlier round.
EVENT_TIME: dict[str, str] = {
    "assigned": "assigned_at", "opened": "opened_at", "signed_for": "signed_at",
    "refused": "refused_at", "extension_decided": "decided_at", "replied": "replied_at",
    "reply_rejected": "rejected_at", "reply_approved": "approved_at",
    "callback_recorded": "recorded_at", "reopened": "reopened_at", "closed": "closed_at",
    "resumed": "reviewed_at", "appeal_filed": "filed_at", "appeal_decided": "decided_at",
    "hold_decided": "decided_at", "hold_rechecked": "rechecked_at", "unreasonable_decided": "decided_at"}


def new_watch(number: str, now: dt.datetime | None) -> dict[str, Any]:
    """The document of a watch no event has changed yet."""
    return {"number": number, "state": WATCHING, "round": 0, "revision": 0,
            "steps_done": [], "applied": [], "rejection_count": 0,
            "next_check_at": None, "watched_at": now}


# -- the events a watch causes ---------------------------------------------------------

@dataclass(frozen=True)
class DeadlineWatched:
    """The watch (re)started its ladder: when the case is due, when notify looks next."""

    number: str
    deadline: dt.datetime
    next_check_at: dt.datetime
    department_code: str | None
    attempt: int | None


@dataclass(frozen=True)
class TicketEscalated:
    """A step of the ladder was taken (a card, a supervision order)."""

    number: str
    department_code: str
    level: str              # the step: sign_for_reminder, yellow_card, red_card, supervision_2...
    reason: str
    deadline: dt.datetime | None
    escalated_at: dt.datetime
    step_key: str           # "<round>:<step>": each step once per round


@dataclass(frozen=True)
class HoldRecheckDue:
    """The recheck day of a hold came (the ladder's ``hold_recheck`` step)."""

    number: str
    department_code: str
    recheck_at: dt.datetime
    due_at: dt.datetime
    step_key: str
    level: str = "hold_recheck"


@dataclass
class Learned:
    """What one event did to a watch: ``changes`` (``None``: nothing), the watch's
    fields after them (``after``), and the notifications the event asks for."""

    kind: str
    changes: Changes | None
    after: dict[str, Any]
    messages: list[Message]

    @property
    def reschedules(self) -> bool:
        """True when the watch's deadline is (re)set: ``deadline_watched`` is announced."""
        return (self.changes is not None and self.kind in RESCHEDULING and not self.after.get("ticket_number")
                and bool(self.after.get("deadline")) and self.after.get("state") == WATCHING)

    def watched(self, next_check_at: dt.datetime | None) -> DeadlineWatched:
        """The ``deadline_watched`` event of a rescheduling change."""
        after = self.after
        return DeadlineWatched(number=after["number"], deadline=after["deadline"],
                               next_check_at=next_check_at or after["deadline"],
                               department_code=after.get("department_code"), attempt=after.get("attempt"))


# -- the aggregate -----------------------------------------------------------------------

@dataclass
class Watch:
    """notify's record of one case: what its transitions read, typed; the rest as stored.

    ``stored`` is the document as loaded (the ladder and the notices read it);
    the typed fields are what the transitions decide on. ``revision`` is the
    version the repository saves against.
    """

    number: str
    id: Any = None
    revision: int = 0
    state: str | None = WATCHING
    round: int = 0
    attempt: int | None = None
    refused_attempt: int | None = None
    department_code: str | None = None
    deadline: dt.datetime | None = None
    signed_for: bool = False
    replied: bool = False
    rejection_count: int = 0
    round_began_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    applied: list[str] = field(default_factory=list)
    steps_done: list[str] = field(default_factory=list)
    stored: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Doc) -> Watch:
        return cls(number=doc["number"], id=doc.get("_id"), revision=int(doc.get("revision") or 0),
                   state=doc.get("state"), round=int(doc.get("round") or 0),
                   attempt=doc.get("attempt"), refused_attempt=doc.get("refused_attempt"),
                   department_code=doc.get("department_code"), deadline=doc.get("deadline"),
                   signed_for=bool(doc.get("signed_for")), replied=bool(doc.get("replied")),
                   rejection_count=int(doc.get("rejection_count") or 0),
                   round_began_at=doc.get("round_began_at"), closed_at=doc.get("closed_at"),
                   applied=list(doc.get("applied") or ()), steps_done=list(doc.get("steps_done") or ()),
                   stored=dict(doc))

    def has_applied(self, event_id: str) -> bool:
        """A redelivered event changes nothing the second time."""
        return event_id in self.applied

    # -- learning from events ----------------------------------------------------------

    def learn(self, kind: str, event: Event, now: dt.datetime | None) -> Learned:
        """Check what ``event`` (of ``kind``) changes; the watch itself is not touched."""
        changes = self.changes(kind, event, now)
        return Learned(kind, changes, dict(self.stored, **(changes or {})), messages(kind, event))

    def changes(self, kind: str, event: Event, now: dt.datetime | None) -> Changes | None:
        """The fields ``event`` changes, or ``None``. A part's watch names its ticket from the
        first event that changes it, whichever that is."""
        changes = self._changes(kind, event, now)
        if changes is not None and event.get("ticket_number") and not self.stored.get("ticket_number"):
            changes = dict(changes, ticket_number=event["ticket_number"])
        return changes

    def _changes(self, kind: str, event: Event, now: dt.datetime | None) -> Changes | None:
        if kind == "assigned":
            return self._assigned(event, now, kind)
        if kind == "opened":  # followup's word on the same assignment: notify announces its watch
            if event.get("ticket_number") and self.state == CLOSED:
                return self._part_again(event, now)
            changes = self._assigned(event, now, kind)
            if changes is None and event.get("attempt") is not None \
                    and event["attempt"] < (self.attempt or 0):
                return None  # an earlier department's case
            changes = dict(changes or {}, case_opened_at=event["opened_at"])
            if event.get("ticket_number"):  # a part's watch
                changes.update(ticket_number=event["ticket_number"], role=event.get("role"),
                               parent_unit_code=event.get("parent_unit_code"))
            return changes
        if kind == "refused":
            return self._refused(event) if self.state != CLOSED else None
        if kind == "resumed":  # a part's refusal rejected: the unit works on, chased again
            return {"state": WATCHING} if self.state == REFUSED else None
        if kind == "reopened":
            reopened_at = event.get("reopened_at")
            if self.closed_at and reopened_at and reopened_at < self.closed_at:
                return None  # the reopening came before the close that ended the case
            if not self.of_this_round(kind, event):
                return None
            return self._new_round(event, now, reopened_at)
        if self.state == CLOSED or not self.of_this_round(kind, event):
            return None
        if kind == "hold_decided":
            if not event.get("approved") or not event.get("recheck_at"):
                return None  # rejected: the chase goes on
            return {"on_hold": True, "recheck_at": event["recheck_at"], "held_at": event["decided_at"]}
        if kind == "hold_rechecked":
            if not self.stored.get("on_hold"):
                return None  # heard again, after its new round began
            return dict(self._new_round(event, now, event.get("rechecked_at")), signed_for=True)
        if kind == "signed_for":
            return {"signed_for": True, "signed_at": event["signed_at"]}
        if kind == "extension_decided":
            return {"deadline": event["deadline"]}
        if kind == "replied":
            return {"replied": True, "signed_for": True, "replied_at": event["replied_at"]}
        if kind == "reply_rejected":
            if (event["rejection_count"] or 0) < self.rejection_count:
                return None  # an earlier rejection, heard after a later one
            return {"replied": False, "rejection_count": event["rejection_count"],
                    "rejected_at": event["rejected_at"]}
        if kind == "reply_approved":
            return {"replied": True, "state": ANSWERED, "approved_at": event["approved_at"]}
        if kind == "closed":
            return {"state": CLOSED, "closed_at": event["closed_at"]}
        return None

    def of_this_round(self, kind: str, event: Event) -> bool:
        """True when ``event`` concerns the department and round the watch follows.

        A sign-for, reply or decision of the department that refused, or of the
        round before a reopening, arriving late, must not mark the new round.
        """
        code = event.get("department_code")
        if code and self.department_code and code != self.department_code:
            return False
        at, began = event.get(EVENT_TIME[kind]), self.round_began_at
        return not (at and began and at < began)

    def _new_round(self, event: Event, now: dt.datetime | None, began_at: Any = None) -> Changes:
        # Old rounds' steps are done with: only this round's keys are kept.
        changes: Changes = {
            "round": self.round + 1, "state": WATCHING,
            "department_code": event["department_code"],
            "deadline": event["deadline"], "sign_for_deadline": event["sign_for_deadline"],
            "signed_for": False, "replied": False, "rejection_count": 0,
            "rejected_at": None, "round_started_at": now, "steps_done": [], "on_hold": False,
            "round_began_at": began_at,
            # the warning is shared out from here (ladder.warning)
            "dispatched_at": event.get("assigned_at") or event.get("reopened_at")
            or event.get("opened_at") or event.get("rechecked_at") or now}
        for key in ("time_limit_class", "title", "department_name"):
            if event.get(key):
                changes[key] = event[key]
        return changes

    def _part_again(self, event: Event, now: dt.datetime | None) -> Changes | None:
        """A part whose watch ended is opened again -- a co-handler's new round on reopening, a
        unit given a part once more -- if it opened after the end; else it is the opening
        of the part that ended, heard late."""
        began, ended = event.get("opened_at"), self.closed_at
        if not (began and ended and began > ended):
            return None
        return dict(self._new_round(event, now, began), closed_at=None, case_opened_at=began,
                    ticket_number=event["ticket_number"], role=event.get("role"),
                    parent_unit_code=event.get("parent_unit_code"))

    def _assigned(self, event: Event, now: dt.datetime | None, kind: str) -> Changes | None:
        """A department was given the case: a new round, unless notify knows it already
        (the same assignment from routing and from followup) or knows better.

        Attempts count the assignments (1, then 2 after a refusal...): one older
        than the watch's is history, and one that notify has already heard
        refused (the refusal came first) is not chased.
        """
        attempt, known = event.get("attempt"), self.attempt
        if attempt is not None and known is not None and attempt < known:
            return None  # an earlier department's assignment, heard late
        first = not self.deadline
        moved = self.department_code != event["department_code"]
        newer = attempt is not None and known is not None and attempt > known
        refused_already = attempt is not None and attempt <= (self.refused_attempt or 0)
        if attempt is None and event.get("ticket_number") and self.state == REFUSED:
            # a part's refusal heard before its opening: the part waits for the review
            refused_at, began = self.stored.get("refused_at"), event.get(EVENT_TIME[kind])
            refused_already = bool(refused_at and began and began <= refused_at)
        if not (first or moved or newer or (self.state == REFUSED and not refused_already)):
            return None  # the same assignment heard twice (routing's and followup's)
        changes = self._new_round(event, now, event.get(EVENT_TIME[kind]))
        if attempt is not None:
            changes["attempt"] = attempt
        if refused_already:
            changes["state"] = REFUSED
        if first:  # facts heard before the assignment (out of order) still hold
            changes.update({key: True for key, known_fact in (("signed_for", self.signed_for),
                                                              ("replied", self.replied),
                                                              ("on_hold", bool(self.stored.get("on_hold"))))
                            if known_fact})
        if event.get("urgency"):
            changes["urgency"] = event["urgency"]
        return changes

    def _refused(self, event: Event) -> Changes | None:
        """A department refused the case (退单) -- unless the case has left it already.

        The refusal of attempt N is history once notify watches attempt N+1 (the
        new department's case may open before the refusal is handled here);
        without attempts, a refusal by a department the case is not with is.
        """
        attempt = event.get("attempt")
        if attempt is not None:
            if attempt < (self.attempt or 0):
                return None
            return {"state": REFUSED, "refused_at": event["refused_at"],
                    "refused_attempt": max(attempt, self.refused_attempt or 0)}
        if self.department_code and event.get("department_code") not in (None, self.department_code):
            return None
        return {"state": REFUSED, "refused_at": event["refused_at"]}

    # -- the ladder's steps --------------------------------------------------------------

    def take_steps(self, due: list[Step], now: dt.datetime) -> list[TicketEscalated | HoldRecheckDue]:
        """The ladder's steps that came due, as the events they cause (``ladder.due``
        leaves out the steps this round took already)."""
        round_ = self.stored.get("round", 1)
        number = self.stored.get("ticket_number") or self.number  # a part's watch: its ticket's number
        return [HoldRecheckDue(number=number, department_code=self.department_code or "",
                               recheck_at=step.at, due_at=now, step_key=step.key(round_))
                if step.name == HOLD_RECHECK else
                TicketEscalated(number=number, department_code=self.department_code or "",
                                level=step.name, reason=step.reason, deadline=self.deadline,
                                escalated_at=now, step_key=step.key(round_))
                for step in due]

    def after_steps(self, taken: list[TicketEscalated | HoldRecheckDue]) -> dict[str, Any]:
        """The watch's fields once ``taken`` are recorded (for the ladder's next check)."""
        return dict(self.stored, steps_done=self.steps_done + [e.step_key for e in taken])


def apply(watch: Doc, kind: str, event: Event, now: dt.datetime | None) -> Changes | None:
    """The fields ``event`` changes in the stored ``watch``, or ``None``."""
    return Watch.from_doc(watch).changes(kind, event, now)
