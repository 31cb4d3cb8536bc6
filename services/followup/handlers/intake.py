"""What intake asks of followup: its cases' numbers, and a case's standing again.

intake asks ``highest_sequence`` before it numbers a day's tickets (see
``services.intake.handlers.numbering``), and its reconciler asks ``republish_case``
when a case, a refusal or a watch seems lost on its way.
"""
import logging

from services.followup.bootstrap import Deps
from services.followup.domain.states import RAISED, REFUSED
from shared.contract.numbering import valid_series
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)


def republish_case(deps: Deps, number):
    """Publish again the event that says where the case stands -- its latest
    ``case_opened``, or ``case_refused`` (``case_raised``) while it waits for a new department --
    the very event, so consumers that have it change nothing. What it is, or
    None if followup has no case ``number``."""
    case = deps.cases.load(number)
    if case is None:
        return None
    event_type = {REFUSED: "case_refused", RAISED: "case_raised"}.get(case.state, "case_opened")
    payload = deps.cases.last_event(number, event_type)
    if payload is None:
        return None
    deps.dispatch(event_type, payload)
    log.info("case %s: %s published again on request", number, event_type)
    return jsonable({"event_type": event_type, "state": case.state, "attempt": case.attempt,
                     "department_code": case.department_code, "received_at": case.ticket_received_at})


def highest_sequence(deps: Deps, series):
    """The highest ticket number of ``series`` (``QD-20261127``) followup has a case for; 0 if none."""
    return deps.cases.highest_sequence(series) if valid_series(series) else 0
