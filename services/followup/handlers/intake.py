"""What intake asks of followup: its cases' numbers, and a case's standing again.

intake asks ``highest_sequence`` before it numbers a day's tickets (see
``services.intake.handlers.numbering``), and its reconciler asks ``republish_case``
when a case, a refusal or a watch seems lost on its way -- and, for the parts other
units hold, ``case_parts`` (which are open) and ``republish_part`` (one part's
standing events again, when notify's watch of it is missing or outlived it).
"""
import logging

from services.followup.bootstrap import Deps
from services.followup.domain import tree
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


def case_parts(deps: Deps, number):
    """The parts other units hold of case ``number`` (each unit's latest: ``unit_code``, ``role``,
    ``state``, ``open``) and the case's state; None if followup has no case ``number``."""
    case = deps.cases.load(number) if isinstance(number, str) else None
    if case is None:
        return None
    return jsonable({"number": number, "state": case.state, "department_code": case.department_code,
                     "parts": tree.part_states(case)})


def republish_part(deps: Deps, number, unit_code):
    """Publish again the events that say where ``unit_code``'s part stands -- its opening and its
    last step while open, its ``assignment_ended`` once over -- the very events; what was
    published, or None if the case has no part for that unit."""
    case = deps.cases.load(number) if isinstance(number, str) else None
    standing = tree.standing_events(case, unit_code) if case is not None and isinstance(unit_code, str) else None
    if standing is None:
        return None
    kept = deps.cases.last_part_events(number, unit_code)
    opened = (kept.get("assignment_opened") or {}).get("occurred_at")
    decided = kept.get("assignment_extension_decided")
    if decided and opened and str(decided.get("occurred_at")) < str(opened):
        kept.pop("assignment_extension_decided")  # an extension of an earlier round (the part was reopened)
    published = [event_type for event_type in standing if kept.get(event_type)]
    for event_type in published:
        deps.dispatch(event_type, kept[event_type])
    log.info("case %s: the part of %s published again on request (%s)", number, unit_code,
             ", ".join(published) or "nothing kept")
    return {"unit_code": unit_code, "open": standing[0] == "assignment_opened", "published": published}
