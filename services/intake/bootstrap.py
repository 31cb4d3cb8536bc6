"""What intake's handlers work with, wired in one place.

``deps(service)`` builds a ``Deps`` from what nameko injected into the worker
(``service.py`` declares the providers); every handler takes it as its first
argument and never sees the service instance. A test builds a ``Deps`` of its
own (an in-memory repository, a fixed clock, a list for the dispatch).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from services.intake.adapters.catalogue import Catalogue
from services.intake.adapters.keys import KeyRepository
from services.intake.adapters.knowledge import KnowledgeRepository
from services.intake.adapters.number_fence import NumberFence
from services.intake.adapters.quality_checks import QualityCheckRepository
from services.intake.adapters.reconciling import Reconciling
from services.intake.adapters.tickets import TicketRepository
from services.intake.domain.rebounds import ReboundRules
from shared.platform.unit_of_work import UnitOfWork

NUMBER_TRIES = 3  # a number taken meanwhile is skipped; a third loss is a fault


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


@dataclass(frozen=True)
class Deps:
    """Everything a handler of intake may use."""

    tickets: TicketRepository          # the tickets (adapters/tickets.py)
    keys: KeyRepository                 # API keys (adapters/keys.py)
    clock: Clock                        # the platform's clock (real time, or the demo clock)
    config: Mapping[str, Any]           # the service's configuration
    city: Mapping[str, Any]             # the city's directory (districts, departments)
    catalogue: Catalogue                # the service catalogue (routing's, or the file's)
    fence: NumberFence                  # numbers issued once (adapters/number_fence.py)
    reconciling: Reconciling            # the reconciler's rules and RPC settings
    dispatch: Callable[..., Any]        # publish an event (after the unit of work)
    dead_letters: Callable[..., Any]    # a message that cannot be handled, with the reason
    receipts: Callable[..., Any]        # publish to ``hotline.inbound`` (receipts to other systems)
    limits: Any                         # rate limits and slowdowns (shared.platform.ratelimit)
    caller: Any                         # who calls (shared.platform.identity)
    metrics: Any                        # the service's metrics, or None
    knowledge: KnowledgeRepository      # the knowledge base (adapters/knowledge.py)
    quality: QualityCheckRepository | None = None  # the quality queue (adapters/quality_checks.py)
    rebounds: ReboundRules = ReboundRules()  # what a new ticket may come back to (REBOUNDS)

    def uow(self, retries: int = NUMBER_TRIES) -> UnitOfWork:
        """A unit of work: saved with the outbox, again on a lost race, published after."""
        return UnitOfWork(self.dispatch, retries)

    @property
    def secret(self) -> str:
        return str(self.config.get("SECRET_KEY") or "")


def deps(service: Any) -> Deps:
    """The ``Deps`` of the worker running ``service``'s entrypoint."""
    operations = getattr(service, "operations", None)
    return Deps(tickets=service.tickets, keys=service.tickets.keys, clock=service.clock,
                config=service.config, city=service.city, catalogue=service.catalogue, fence=service.fence, reconciling=service.reconciling,
                dispatch=service.dispatch, dead_letters=service.dead_letters, receipts=service.receipts,
                limits=service.limits, caller=service.caller,
                metrics=getattr(operations, "metrics", None), quality=getattr(service.tickets, "quality", None),
                rebounds=service.rebounds, knowledge=service.tickets.knowledge)
