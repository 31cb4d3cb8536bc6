"""The reconciler's rules: how long each step may take, what to ask for, when to give up.

Pure Python. A ticket owes three steps (see ``checks``); when one is
overdue the reconciler asks the service that owns the missing fact to publish
it again from its own state (every consumer is idempotent, so a second copy
is harmless):

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
=========  ===========================================  ===========================

After ``repairs`` attempts, or at once when nothing can repair it (the
number names another ticket downstream), the ticket is escalated to
supervisors (``intake.ticket_stalled``, which notify delivers) -- once -- and
looked at again, less often, until it heals.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .checks import STAGES

__all__ = ["STAGES", "WAITS_FOR", "ReconcileRules", "stalled_reason"]
WAITS_FOR = {"dispatch": "a department or the dispatchers' queue",
             "case": "an open case for its assignment", "watch": "a deadline watch for its case"}


@dataclass(frozen=True)
class ReconcileRules:
    interval: float = 60.0          # seconds between rounds
    dispatch_seconds: float = 120.0
    case_seconds: float = 120.0
    watch_seconds: float = 120.0
    repairs: int = 3                # repairs before supervisors are told
    batch: int = 200                # tickets per stage per round
    rpc_timeout: float = 5.0
    escalated_every: float = 10.0   # an escalated ticket is looked at this many times less often

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReconcileRules:
        section = config.get("RECONCILE") or {}
        numbers = {key: float(section[key]) for key in ("dispatch_seconds", "case_seconds",
                                                        "watch_seconds", "rpc_timeout")
                   if section.get(key) is not None}
        return cls(interval=float(config.get("RECONCILE_INTERVAL") or 60.0),
                   repairs=int(section.get("repairs", 3)), batch=int(section.get("batch", 200)),
                   **numbers)

    def allowed(self, stage: str) -> dt.timedelta:
        return dt.timedelta(seconds={"dispatch": self.dispatch_seconds, "case": self.case_seconds,
                                     "watch": self.watch_seconds}[stage])

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
