"""Wires followup's dependencies for its handlers, in one place.

``deps(service)`` builds, for one worker, the :class:`Deps` every handler
takes first: the repository, the clocks, who is calling, routing's directory,
the other services and a fresh unit of work. Handlers never see the service.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

from services.followup.adapters.appeals import AppealRepository
from services.followup.adapters.cases import CaseRepository
from services.followup.adapters.intake import INTAKE_TIMEOUT_SECONDS, Intake
from services.followup.adapters.ratings import RatingLinks
from services.followup.domain.timing import FollowupClock
from shared.platform import mirror as shared_mirror
from shared.platform.unit_of_work import UnitOfWork

RETRIES = 3  # a lost race on a case is run again this many times in all


class Rules(DependencyProvider):
    """followup's time rules, over the calendar the directory mirror keeps current."""

    def setup(self):
        mirror = next(d for d in self.container.dependencies if isinstance(d, shared_mirror.Mirror))
        self.clock = FollowupClock.from_config(self.container.config, mirror.calendar)

    def get_dependency(self, worker_ctx):
        return self.clock


@dataclass(frozen=True)
class Deps:
    cases: CaseRepository          # cases, ledger, tokens, files (adapters/cases.py)
    appeals: AppealRepository      # appeals of scored events (adapters/appeals.py)
    ratings: RatingLinks           # the citizen's rating links (adapters/ratings.py)
    clock: Any                     # now(): real time, or the demo clock (shared.platform.clock)
    deadlines: FollowupClock       # followup's time rules (domain/timing.py)
    caller: Any                    # who calls (shared.platform.identity.Identity)
    directory: Any                 # routing's departments and calendar (shared.platform.mirror)
    intake: Intake                 # intake's RPCs, each with its time limit (adapters/intake.py)
    routing: Any                   # RpcProxy("routing")
    dispatch: Callable[[str, dict[str, Any]], None]
    uow: UnitOfWork
    config: Any = None             # the service's configuration (FOLLOWUP.rating_link_days)


def intake_timeout(config: Any) -> float:
    """How long followup waits for intake's answer (``FOLLOWUP.intake_timeout_seconds``)."""
    return float(((config or {}).get("FOLLOWUP") or {}).get("intake_timeout_seconds") or INTAKE_TIMEOUT_SECONDS)


def deps(service: Any) -> Deps:
    """The dependencies of one worker of ``FollowupService``."""
    return Deps(cases=service.cases, appeals=service.cases.appeals, ratings=service.cases.ratings,
                clock=service.clock, deadlines=service.rules, caller=service.caller,
                directory=service.directory, intake=Intake(service.intake, intake_timeout(service.config)),
                routing=service.routing,
                dispatch=service.dispatch, uow=UnitOfWork(service.dispatch, retries=RETRIES),
                config=service.config)
