"""What routing tells intake: the numbers it has heard of, and its decisions again.

A mixin of ``RoutingService``. Every number intake announces
(``ticket_created``, ``ticket_linked``, ``ticket_answered``) raises the day's
highest in ``numbers``, which intake asks for before it numbers a day's
tickets (``highest_sequence``; see ``services.intake.numbering``); a
``ticket_created`` under a number routing holds for another ticket (another
``received_at``) is refused with ``NumberReused`` and dead-lettered. intake's
reconciler asks ``republish_decision`` when a ticket's assignment seems lost.
"""
import logging

from shared.contract import events
from shared.contract.numbering import parse_number, same_instant, valid_series
from shared.platform.doors import Services, door
from shared.platform.jsonable import jsonable
from shared.platform.messaging import consumes, event_handler, rpc

log = logging.getLogger(__name__)


class NumberReused(Exception):
    """intake announced a ticket under a number routing holds for another ticket."""


class ForIntake:
    """The handlers and RPC above, mixed into ``RoutingService`` (needs ``decisions``, ``dispatch``)."""

    @event_handler("intake", "ticket_linked", requeue_on_error=True)
    @consumes(events.TicketLinked)
    def on_ticket_linked(self, linked):
        self._record_number(linked["number"])

    @event_handler("intake", "ticket_answered", requeue_on_error=True)
    @consumes(events.TicketAnswered)
    def on_ticket_answered(self, answered):
        self._record_number(answered["number"])

    def _record_number(self, number):
        parsed = parse_number(number)
        if parsed:
            self.decisions.record_number(*parsed)

    @staticmethod
    def _check_same_ticket(held, ticket):
        before, now = (held.get("ticket") or {}).get("received_at"), ticket.get("received_at")
        if not same_instant(before, now):
            raise NumberReused(
                f"ticket number {ticket['number']} names two tickets: routing holds the one received "
                f"at {before.isoformat()}; this one was received at {now.isoformat()}")

    # -- for intake: reconciling and numbering -------------------------------------

    @door(Services("intake"))
    @rpc
    def republish_decision(self, number):
        """Publish the ticket's current decision again -- the very event, so every
        consumer knows it if it has it -- and say what it is; None if routing has
        no decision for ``number``."""
        last = self.decisions.last_event(number) if isinstance(number, str) else None
        if last is None:
            return None
        self.dispatch(last["event_type"], last["payload"])
        record = self.decisions.get(number)
        log.info("ticket %s: %s published again on request", number, last["event_type"])
        return jsonable({"event_type": last["event_type"], "status": record["status"],
                         "department_code": record.get("department_code"),
                         "attempt": last["payload"].get("attempt"),
                         "received_at": (record.get("ticket") or {}).get("received_at")})

    @door(Services("intake"))
    @rpc
    def highest_sequence(self, series):
        """The highest ticket number of ``series`` (``QD-20261127``) routing has heard of: 0 if none."""
        return self.decisions.highest_sequence(series) if valid_series(series) else 0
