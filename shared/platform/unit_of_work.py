"""One unit of work: get, call, save, publish -- and again on a lost race.

Every change a service makes to an aggregate (a ticket, a case, a watch) goes
the same way (cosmicpython's ``handlers.py`` over ``unit_of_work.py``):

1. the handler loads the aggregate from its repository;
2. the domain checks the transition and returns the events it causes;
3. the repository saves the new state *and* those events (the aggregate's
   ``outbox`` array, ``shared.platform.outbox``) in one atomic update,
   conditional on the version it loaded -- and tells the unit of work with
   ``uow.saved(outbox, doc_id)``, or raises ``LostRace`` when another worker
   saved first. A repository that has the document's outbox as the write left
   it (an insert, or an update that returned the document) passes it as
   ``pending=``, and nothing is read again to publish it;
4. after the work returns, the unit of work publishes what was saved, best
   effort (the outbox timer publishes whatever a broker fault left behind).

``LostRace`` anywhere in the work runs it again from the start, with a fresh
load, up to ``retries`` times; then it propagates. Nothing is published for an
attempt that lost.

    def sign_for(uow, cases, number, actor, now):
        def work():
            case = cases.load(number)
            change = case.sign_for(actor, now)
            uow.saved(cases.outbox, cases.apply(case, change))
            return case
        return uow.run(work)
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from shared.platform.outbox import publish_saved

log = logging.getLogger(__name__)

T = TypeVar("T")


class LostRace(Exception):
    """Another worker changed the aggregate between this one's load and save."""


class Outbox(Protocol):
    def pending(self, doc_id: Any = None, older_than: Any = None, limit: int = 500) -> Any: ...
    def mark_published(self, doc_id: Any, event_id: str) -> None: ...


Dispatch = Callable[[str, dict[str, Any]], None]


class UnitOfWork:
    """Runs one piece of work on the store: retried on a lost race, published after."""

    def __init__(self, dispatch: Dispatch, retries: int = 3) -> None:
        self.dispatch = dispatch
        self.retries = retries
        self._saved: list[tuple[Outbox, Any, Any]] = []

    def saved(self, outbox: Outbox, doc_id: Any, pending: Any = None) -> None:
        """The repository wrote ``doc_id`` with its outbox: publish it after the work.

        ``pending``: the document's whole outbox as the write left it, when the
        repository has it (the document it inserted, or the one an update returned);
        without it, the outbox is read from the store first."""
        self._saved.append((outbox, doc_id, pending))

    def run(self, work: Callable[[], T], retries: int | None = None) -> T:
        """``work()``, again from the start while it raises ``LostRace``; then publish."""
        tries = retries or self.retries
        for attempt in range(1, tries + 1):
            self._saved = []
            try:
                result = work()
            except LostRace:
                if attempt == tries:
                    raise
                log.info("lost a race (attempt %d of %d); loading again", attempt, tries)
                continue
            self.publish()
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def publish(self) -> int:
        """Publish what the work saved; a broker fault leaves it to the outbox timer."""
        saved, self._saved = self._saved, []
        return sum(publish_saved(outbox, self.dispatch, doc_id, pending) for outbox, doc_id, pending in saved)
