"""What followup tells intake: its cases' numbers, and a case's standing again.

A mixin of ``FollowupService``. intake asks ``highest_sequence`` before it
numbers a day's tickets (see ``services.intake.numbering``), and its
reconciler asks ``republish_case`` when a case, a refusal or a watch seems
lost on its way.
"""
import logging

from services.followup import domain
from shared.contract.numbering import valid_series
from shared.platform.doors import Services, door
from shared.platform.jsonable import jsonable
from shared.platform.messaging import rpc

log = logging.getLogger(__name__)


class ForIntake:
    """Needs ``cases`` and ``dispatch``."""

    @door(Services("intake"))
    @rpc
    def republish_case(self, number):
        """Publish again the event that says where the case stands -- its latest
        ``case_opened``, or ``case_refused`` while it waits for a new department --
        the very event, so consumers that have it change nothing. What it is, or
        None if followup has no case ``number``. (intake's reconciler asks.)"""
        case = self.cases.load(number) if isinstance(number, str) else None
        if case is None:
            return None
        event_type = "case_refused" if case["state"] == domain.REFUSED else "case_opened"
        payload = self.cases.last_event(number, event_type)
        if payload is None:
            return None
        self.dispatch(event_type, payload)
        log.info("case %s: %s published again on request", number, event_type)
        return jsonable({"event_type": event_type, "state": case["state"], "attempt": case.get("attempt", 1),
                         "department_code": case["department_code"],
                         "received_at": case.get("ticket_received_at")})

    @door(Services("intake"))
    @rpc
    def highest_sequence(self, series):
        """The highest ticket number of ``series`` (``QD-20261127``) followup has a case for; 0 if none.

        intake asks before it numbers a day's tickets (see ``services.intake.numbering``)."""
        return self.cases.highest_sequence(series) if valid_series(series) else 0
