"""Routing's timers: reload what other instances changed, publish what the broker left."""
from __future__ import annotations

from typing import TYPE_CHECKING

from shared.platform.outbox import republish_stale

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps


def refresh_knowledge(deps: Deps):
    """Reload the directory, the calendar or the model when another instance changed them."""
    deps.knowledge.refresh(deps.decisions)


def republish_outbox(deps: Deps):
    deps.known()  # a fresh store is seeded at start, its events queued
    republish_stale(deps.decisions.outbox, deps.dispatch)
    # directory and calendar announcements at once (the seed's among them): a copy
    # published twice is absorbed by its consumers, who keep only newer versions
    for outbox in (deps.directory.outbox, deps.calendar.outbox):
        republish_stale(outbox, deps.dispatch, grace_seconds=0)
