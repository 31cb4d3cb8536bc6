"""What routing tells intake: the numbers it has heard of, and its decisions again.

Every number intake announces (``ticket_created``, ``ticket_linked``, ``ticket_transferred``,
``ticket_answered``) raises the day's highest in ``numbers``, which intake asks
for before it numbers a day's tickets (``highest_sequence``; see
``services.intake.handlers.numbering``); a ``ticket_created`` under a number routing
holds for another ticket (another ``received_at``) is refused with
``NumberReused`` and dead-lettered. intake's reconciler asks
``republish_decision`` when a ticket's assignment seems lost.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.contract.numbering import parse_number, valid_series
from shared.platform.jsonable import jsonable

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps

log = logging.getLogger(__name__)


def record_number(deps: Deps, number):
    parsed = parse_number(number)
    if parsed:
        deps.numbers.record_number(*parsed)


def republish_decision(deps: Deps, number):
    """Publish the ticket's current decision again -- the very event, so every consumer
    knows it if it has it -- and say what it is; None if routing has no decision."""
    last = deps.decisions.last_event(number) if isinstance(number, str) else None
    if last is None:
        return None
    deps.dispatch(last["event_type"], last["payload"])
    record = deps.decisions.get(number)
    log.info("ticket %s: %s published again on request", number, last["event_type"])
    return jsonable({"event_type": last["event_type"], "status": record["status"],
                     "department_code": record.get("department_code"),
                     "attempt": last["payload"].get("attempt"),
                     "received_at": (record.get("ticket") or {}).get("received_at")})


def highest_sequence(deps: Deps, series):
    """The highest ticket number of ``series`` (``QD-20261127``) routing has heard of: 0 if none."""
    return deps.numbers.highest_sequence(series) if valid_series(series) else 0
