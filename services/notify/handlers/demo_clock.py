"""The demo clock, which notify owns (``shared.platform.clock``): read it, move it.

A move is one unit of work: the new offset and its ``clock_moved`` event are
saved as the next version (again on a lost race), then published; every
service follows the event.
"""
import logging

from shared.contract import events
from shared.platform.clock import ClockRefused, check_offset

log = logging.getLogger(__name__)

CLOCK_RETRIES = 10


def get_clock(deps):
    """The shared clock: real time, or real time plus the demo offset."""
    clock = deps.clock
    return {"now": clock.now().isoformat(), "offset_seconds": clock.offset.total_seconds(),
            "version": clock.version, "demo": clock.demo}


def set_clock_offset(deps, seconds, by=""):
    """Demo mode: the clock is real time plus ``seconds``."""
    offset = check_offset(seconds)
    return move_clock(deps, lambda current: offset, by)


def advance_clock(deps, seconds, by=""):
    """Demo mode: move the clock ``seconds`` further (negative: back)."""
    step = check_offset(seconds, "the step")
    return move_clock(deps, lambda current: current + step, by)


def move_clock(deps, new_offset, by):
    if not deps.clock.demo:
        raise ClockRefused("the clock moves only in demo mode (HOTLINE_DEMO=1)")
    uow = deps.uow(CLOCK_RETRIES)
    offset, version = uow.run(lambda: deps.watches.move_clock(uow, new_offset, by, events.utcnow()))
    deps.clock.accept(offset, version)
    log.warning("demo clock set to real time %+.0f s by %s (version %d)", offset, by or "?", version)
    return offset
