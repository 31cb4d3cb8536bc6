"""Ticket numbers: issuing the next one, fencing the counters, an administrator's fence.

Why a counter is fenced, and against what, is told in ``adapters/number_fence.py``.
"""
import datetime as dt
import logging

from services.intake.adapters.number_fence import MAX_SEQUENCE
from services.intake.bootstrap import Deps
from services.intake.handlers.errors import ValidationFailed
from shared.contract.numbering import number_in, valid_series

log = logging.getLogger(__name__)

SERIES_FORM = "like QD-20261127 (prefix-YYYYMMDD)"


def new_number(deps: Deps, now: dt.datetime) -> str:
    """The next number of ``now``'s day, fenced first in this process."""
    series = deps.fence.series_on(now)
    deps.fence.before_issuing(deps.tickets, series)
    return number_in(series, deps.tickets.next_sequence(series))


def fence_numbers(deps: Deps) -> None:
    """Fence today's series (and the next day's, near midnight) against the others."""
    now = deps.clock.now()  # tickets are numbered by the platform's clock's day
    for series in sorted({deps.fence.series_on(now), deps.fence.series_on(now + dt.timedelta(minutes=5))}):
        deps.fence.fence(deps.tickets, series)


def numbering(deps: Deps, series=None):
    """The counter of ``series`` (default today's): next number, fence and what each source said."""
    series = series or deps.fence.series_on(deps.clock.now())
    if not valid_series(series):
        raise ValidationFailed({"series": [SERIES_FORM]})
    last = deps.fence.last.get(series) or {}
    return {"series": series, "next": deps.tickets.current_sequence(series) + 1,
            "fenced": series in deps.fence.fenced, "answers": last.get("answers"),
            "fenced_at": last["at"].isoformat() if last.get("at") else None}


def raise_numbers(deps: Deps, series, at_least):
    """An administrator's fence after a restore: the next number of ``series`` is
    above ``at_least``. Who did it is the signed identity, in intake's log."""
    person = deps.caller.require("admin")
    errors = {}
    if not valid_series(series):
        errors["series"] = [SERIES_FORM]
    if isinstance(at_least, bool) or not isinstance(at_least, int) or not 0 <= at_least < MAX_SEQUENCE:
        errors["at_least"] = [f"a whole number from 0 to {MAX_SEQUENCE - 1}"]
    if errors:
        raise ValidationFailed(errors)
    before = deps.tickets.current_sequence(series)
    after = deps.tickets.raise_sequence(series, at_least)
    log.warning("numbers of %s raised by %s (%s) from %d to at least %d (now %d)",
                series, person.name, person.user_id, before, at_least, after)
    return {"series": series, "before": before, "next": after + 1}
