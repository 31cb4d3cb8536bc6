"""Appeals (考核申诉): a unit contests a scored event of one of its cases.

The scorecard (``scorecard.py``) counts ledger entries against the unit they
name. Four of them count against it:

* ``late_sign_for``: a sign-for after its window (``signed_for``, not on time);
* ``late_reply``: a reply after its deadline (``replied``, not on time);
* ``reply_rejected``: a reply sent back (``rejected``);
* ``callback_unsatisfied``: a callback that reached the citizen and found the
  matter unresolved, or the citizen dissatisfied (``callback``).

The unit the entry is scored against -- and only it -- may appeal it, with a
reason and evidence (links, or files uploaded to the case), within
``FOLLOWUP.appeal_working_days`` working days (5) of the event. An event has
at most one appeal open; one accepted is final (the event is excused), one
rejected may be followed by another within the window. A supervisor accepts
or rejects an open appeal with a reason; an accepted appeal's event leaves
the scorecard's after-appeal figures (the raw figures keep it).

An :class:`Appeal` is an aggregate of its own (collection ``appeals``). Its
verbs check the transition and return an :class:`AppealChange`: the fields
to set, the ledger entries to append to the case's ledger (who, which unit)
and the events to publish (``appeal_filed``, ``appeal_decided``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from services.followup.domain.change import Doc, Event, free_text, required_text
from services.followup.domain.errors import InvalidRequest, NotYourCase, TransitionRefused
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
APPEAL_STATES = (OPEN, ACCEPTED, REJECTED)
SCORED = ("late_sign_for", "late_reply", "reply_rejected", "callback_unsatisfied")
MAX_LINKS = 10
MAX_FILES = 10
# what the appeal keeps of the contested entry: enough for the scorecard to take it out
ENTRY_KEPT = ("at", "action", "actor", "department_code", "on_time", "reached", "resolved", "satisfaction")


def scored(entry: Doc) -> str | None:
    """What a ledger entry counts against its unit, or ``None`` if nothing."""
    action = entry.get("action")
    if action == "signed_for" and entry.get("on_time") is False:
        return "late_sign_for"
    if action == "replied" and entry.get("on_time") is False:
        return "late_reply"
    if action == "rejected":
        return "reply_rejected"
    if action == "callback" and entry.get("reached") and (
            entry.get("resolved") is False or entry.get("satisfaction") == "dissatisfied"):
        return "callback_unsatisfied"
    return None


@dataclass
class AppealChange:
    """What a verb of an appeal does: fields to set, case ledger entries, events."""

    set: Doc = field(default_factory=dict)
    ledger: list[Doc] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def _links(value: object) -> list[str]:
    links = value or []
    if not isinstance(links, list) or len(links) > MAX_LINKS or [
            a for a in links if not (isinstance(a, str) and a.startswith(("http://", "https://"))
                                     and len(a) <= bounds.LINK)]:
        raise InvalidRequest({"links": [
            f"up to {MAX_LINKS} links, each starting with http:// or https:// "
            f"and at most {bounds.LINK} characters"]})
    return list(links)


@dataclass
class Appeal:
    """One appeal of one scored ledger entry (``appeals`` holds one document per appeal)."""

    appeal_id: str
    number: str
    entry_id: str
    scored: str
    department_code: str          # the unit the entry is scored against, which appeals
    entry: Doc                    # the contested entry as it was (``ENTRY_KEPT``)
    reason: str
    filed_by: str
    filed_at: dt.datetime
    window_closes: dt.datetime
    state: str = OPEN
    filed_by_id: str | None = None
    links: list[str] = field(default_factory=list)
    files: list[Doc] = field(default_factory=list)
    decided_by: str | None = None
    decided_by_id: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    version: int = 0

    # -- the document -----------------------------------------------------------------

    @classmethod
    def from_doc(cls, doc: Doc) -> Appeal:
        named = {f.name for f in fields(cls)} - {"appeal_id"}
        return cls(appeal_id=str(doc["_id"]), **{k: v for k, v in doc.items() if k in named})

    def to_doc(self) -> Doc:
        doc = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "appeal_id"}
        return {"_id": self.appeal_id, **doc}

    # -- filing --------------------------------------------------------------------------

    @classmethod
    def file(cls, appeal_id: str, number: str, entry_id: str, entry: Doc, department: str, actor: str,
             actor_id: str | None, reason: object, links: object, files: Sequence[Doc], now: dt.datetime,
             clock: FollowupClock, earlier: Sequence[Appeal] = ()) -> tuple[Appeal, AppealChange]:
        """``department`` appeals the ledger entry ``entry_id`` of case ``number``.

        ``earlier``: the entry's appeals so far. Raises ``InvalidRequest`` (not a
        scored event, no reason, bad links), ``NotYourCase`` (another unit's entry)
        or ``TransitionRefused`` (an appeal open or accepted already, window closed)."""
        actor = free_text(actor, "actor")
        what = scored(entry)
        if what is None:
            raise InvalidRequest({"entry": [
                f"entry {entry_id} of case {number} counts nothing against a unit: only a late "
                "sign-for, a late reply, a reply sent back or an unresolved or dissatisfied callback "
                "may be appealed"]})
        unit = str(entry.get("department_code") or "")
        if unit != department:
            raise NotYourCase(f"entry {entry_id} of case {number} is scored against {unit}, not {department}")
        reason = required_text(reason, "reason", bounds.REASON)
        kept_links = _links(links)
        if len(files) > MAX_FILES:
            raise InvalidRequest({"files": [f"at most {MAX_FILES} files"]})
        for other in earlier:
            if other.state == OPEN:
                raise TransitionRefused(f"entry {entry_id} of case {number} has an appeal open already "
                                        f"({other.appeal_id})")
            if other.state == ACCEPTED:
                raise TransitionRefused(f"entry {entry_id} of case {number} was appealed and excused "
                                        f"already ({other.appeal_id})")
        at = entry.get("at")
        if not isinstance(at, dt.datetime):
            raise InvalidRequest({"entry": [f"entry {entry_id} has no time"]})
        closes = clock.appeal_deadline(at)
        if now > closes:
            raise TransitionRefused(
                f"entry {entry_id} of case {number} may be appealed for {clock.appeal_working_days} "
                f"working days after it; that window closed {closes.isoformat()}")
        kept_files = [{k: f.get(k) for k in ("id", "filename", "size", "content_type")} for f in files]
        appeal = cls(appeal_id=appeal_id, number=number, entry_id=entry_id, scored=what, department_code=unit,
                     entry={k: entry.get(k) for k in ENTRY_KEPT if k in entry}, reason=reason,
                     filed_by=actor, filed_by_id=actor_id, filed_at=now, window_closes=closes,
                     links=kept_links, files=kept_files)
        change = AppealChange(
            ledger=[appeal._entry(now, actor, actor_id, "appeal_filed", reason, links=kept_links,
                                  files=[f["id"] for f in kept_files])],
            events=[("appeal_filed", {
                "appeal_id": appeal_id, "number": number, "entry_id": entry_id, "scored": what,
                "department_code": unit, "reason": reason, "links": kept_links, "files": kept_files,
                "filed_by": actor, "filed_at": now})])
        return appeal, change

    # -- deciding --------------------------------------------------------------------------

    def decide(self, supervisor: str, actor_id: str | None, accept: object, reason: object,
               now: dt.datetime) -> AppealChange:
        """Accept (the event is excused from the after-appeal figures) or reject, with a reason."""
        supervisor = free_text(supervisor, "supervisor")
        if not isinstance(accept, bool):
            raise InvalidRequest({"accept": ["true (accept) or false (reject)"]})
        reason = required_text(reason, "reason", bounds.REASON)
        if self.state != OPEN:
            raise TransitionRefused(f"appeal {self.appeal_id} was {self.state} already")
        outcome = ACCEPTED if accept else REJECTED
        return AppealChange(
            set={"state": outcome, "decided_by": supervisor, "decided_by_id": actor_id,
                 "decided_at": now, "decision_reason": reason},
            ledger=[self._entry(now, supervisor, actor_id, f"appeal_{outcome}", reason)],
            events=[("appeal_decided", {
                "appeal_id": self.appeal_id, "number": self.number, "entry_id": self.entry_id,
                "scored": self.scored, "department_code": self.department_code, "outcome": outcome,
                "reason": reason, "decided_by": supervisor, "decided_at": now})])

    def _entry(self, at: dt.datetime, actor: str, actor_id: str | None, action: str, reason: str,
               **details: Any) -> Doc:
        """A line of the case's ledger: who, which unit, which appeal of which entry."""
        return {"at": at, "actor": actor or "", "actor_id": actor_id, "action": action, "reason": reason,
                "department_code": self.department_code, "appeal_id": self.appeal_id,
                "entry_id": self.entry_id, "scored": self.scored, **details}


def excused_rows(appeals: Sequence[Doc]) -> list[Doc]:
    """The contested entries of accepted appeals as ledger-count rows (``scorecard.py``)."""
    return [{"department": (a.get("entry") or {}).get("department_code") or a.get("department_code"),
             "action": (a.get("entry") or {}).get("action"), "on_time": (a.get("entry") or {}).get("on_time"),
             "reached": (a.get("entry") or {}).get("reached"),
             "resolved": (a.get("entry") or {}).get("resolved"),
             "satisfaction": (a.get("entry") or {}).get("satisfaction"), "count": 1, "working_days": 0}
            for a in appeals if a.get("state") == ACCEPTED]
