"""Routing's wiring, in one place: what the handlers get (:class:`Deps`), built from what
nameko injects into a worker of :class:`services.routing.service.RoutingService`.

Handlers take ``deps`` as their first argument, never the service: the
repositories, the knowledge (directory, model, calendar), the clock, who calls,
the event dispatcher and the unit of work that publishes what they saved.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.routing.adapters.calendar import CalendarRepository
from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.directory import DirectoryRepository
from services.routing.adapters.knowledge import Knowledge
from services.routing.adapters.learning import LearningRepository
from services.routing.adapters.numbers import NumberRepository
from services.routing.adapters.proposals import CatalogueProposalRepository
from shared.platform.unit_of_work import UnitOfWork

RACE_RETRIES = 20  # a directory version, calendar version or model version taken at once: again


@dataclass(frozen=True)
class Deps:
    decisions: DecisionRepository
    directory: DirectoryRepository
    calendar: CalendarRepository
    learning: LearningRepository
    numbers: NumberRepository
    proposals: CatalogueProposalRepository
    knowledge: Knowledge
    clock: Any                      # shared.platform.clock: .now()
    caller: Any                     # shared.platform.identity: who calls
    dispatch: Callable[[str, dict[str, Any]], None]
    uow: UnitOfWork
    config: Mapping[str, Any]

    def known(self) -> Knowledge:
        """What routing knows, loaded (and the directory seeded) on first use."""
        return self.knowledge.ready(self.decisions)


def deps(service: Any) -> Deps:
    """The handlers' dependencies, from a worker's injected attributes."""
    store = service.decisions
    return Deps(decisions=store, directory=store.directory, calendar=store.calendar, learning=store.learning,
                numbers=store.numbers, proposals=store.proposals, knowledge=service.knowledge, clock=service.clock, caller=service.caller,
                dispatch=service.dispatch, uow=UnitOfWork(service.dispatch, RACE_RETRIES), config=service.config)
