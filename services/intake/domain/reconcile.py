"""The reconciler's rules: how long each step may take, what to ask for, when to give up.

Pure Python. A ticket owes three steps, and one agreement about the parts of
its case (see ``checks``); when one is overdue the reconciler asks the service
that owns the missing fact to publish it again from its own state (every
consumer is idempotent, so a second copy is harmless):

=========  ===========================================  ===========================
stage      first ask                                    if that one has nothing
=========  ===========================================  ===========================
dispatch   routing: publish the decision again          intake publishes
           (after a refusal: routing, then followup      ``ticket_created`` again
           publishes the refusal again)
case       followup: publish ``case_opened`` again      routing: publish the
                                                        assignment again
watch      notify: publish ``deadline_watched`` again   followup: publish
                                                        ``case_opened`` again
parts      followup: which parts are open               (agreed: the check goes)
           (``case_parts``); notify: which it watches
           (``part_watches``); for each part that
           differs, followup publishes its standing
           events again (``republish_part``: the
           opening and last step of an open part,
           ``assignment_ended`` of one that is over)
=========  ===========================================  ===========================

``compare_parts`` says which parts differ: an open part notify does not watch
(*missing*: its watch is absent or closed), or a watch still running for a part
that is over -- done, refused, withdrawn -- or that followup does not know
(*extra*). Every unit holds at most one watch per part (notify keys it
``<number>@<unit>``), so "exactly one watch" is "one, not closed".

After ``repairs`` attempts, or at once when nothing can repair it (the
number names another ticket downstream), the ticket is escalated to
supervisors (``intake.ticket_stalled``, which notify delivers) -- once -- and
looked at again, less often, until it heals.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .checks import STAGES

__all__ = ["STAGES", "WAITS_FOR", "PartsFinding", "ReconcileRules", "compare_parts", "stalled_reason"]
WAITS_FOR = {"dispatch": "a department or the dispatchers' queue",
             "case": "an open case for its assignment", "watch": "a deadline watch for its case",
             "parts": "one deadline watch for each open part of its case, and none for a part that is over"}
CLOSED_WATCH = "closed"  # notify's state of a watch nobody chases any more


@dataclass(frozen=True)
class ReconcileRules:
    interval: float = 60.0          # seconds between rounds
    dispatch_seconds: float = 120.0
    case_seconds: float = 120.0
    watch_seconds: float = 120.0
    parts_seconds: float = 120.0    # a part opened or ended -> notify's watches agree
    repairs: int = 3                # repairs before supervisors are told
    batch: int = 200                # tickets per stage per round
    rpc_timeout: float = 5.0
    escalated_every: float = 10.0   # an escalated ticket is looked at this many times less often

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReconcileRules:
        section = config.get("RECONCILE") or {}
        numbers = {key: float(section[key]) for key in ("dispatch_seconds", "case_seconds",
                                                        "watch_seconds", "parts_seconds", "rpc_timeout")
                   if section.get(key) is not None}
        return cls(interval=float(config.get("RECONCILE_INTERVAL") or 60.0),
                   repairs=int(section.get("repairs", 3)), batch=int(section.get("batch", 200)),
                   **numbers)

    def allowed(self, stage: str) -> dt.timedelta:
        return dt.timedelta(seconds={"dispatch": self.dispatch_seconds, "case": self.case_seconds,
                                     "watch": self.watch_seconds, "parts": self.parts_seconds}[stage])

    def due(self, stage: str, since: dt.datetime) -> dt.datetime:
        """When a step started at ``since`` is overdue."""
        return since + self.allowed(stage)

    def next_look(self, stage: str, now: dt.datetime, escalated: bool = False) -> dt.datetime:
        return now + self.allowed(stage) * (self.escalated_every if escalated else 1)

    def escalate(self, check: dict[str, Any], unrepairable: str | None = None) -> bool:
        """Whether to tell supervisors now: never twice, at once if nothing can repair it."""
        if check.get("escalated_at"):
            return False
        return bool(unrepairable) or (check.get("repairs") or 0) >= self.repairs


def stalled_reason(stage: str, check: dict[str, Any], tried: str | None, unrepairable: str | None = None) -> str:
    """What supervisors read: what is owed, since when, what was tried."""
    owed = f"waits for {WAITS_FOR[stage]} since {check['since'].isoformat(timespec='seconds')}"
    if unrepairable:
        return f"{owed}; {unrepairable}"
    return f"{owed}; {check.get('repairs') or 0} repair(s) tried, the last: {tried}"


@dataclass(frozen=True)
class PartsFinding:
    """Where notify's part watches and followup's parts differ, by unit code."""

    missing: tuple[str, ...] = ()   # open parts without a running watch
    extra: tuple[str, ...] = ()     # running watches of parts that are over, or unknown

    @property
    def agree(self) -> bool:
        return not (self.missing or self.extra)

    def units(self) -> tuple[str, ...]:
        """Every unit that differs, once: what to publish again."""
        return tuple(dict.fromkeys((*self.missing, *self.extra)))

    def say(self) -> str:
        """What supervisors read."""
        said = []
        if self.missing:
            said.append(f"no watch for the open part of {', '.join(self.missing)}")
        if self.extra:
            said.append(f"a watch still running for the finished part of {', '.join(self.extra)}")
        return "; ".join(said) or "parts and watches agree"


def compare_parts(parts: Sequence[Mapping[str, Any]], watches: Sequence[Mapping[str, Any]]) -> PartsFinding:
    """Compare followup's parts (``unit_code``, ``open``) with notify's part watches
    (``unit_code``, ``state``): which open part has no running watch, which running watch
    has no open part."""
    open_units = {str(p["unit_code"]) for p in parts if p.get("open")}
    watching = {str(w["unit_code"]) for w in watches if w.get("unit_code") and w.get("state") != CLOSED_WATCH}
    return PartsFinding(missing=tuple(sorted(open_units - watching)), extra=tuple(sorted(watching - open_units)))
