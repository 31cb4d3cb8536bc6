"""followup: one case per assigned ticket, and its ledger.

Consumes ``routing.ticket_assigned``; publishes ``case_opened``. A
redelivered assignment finds the case already open and changes nothing.
"""
import logging

from nameko.events import EventDispatcher
from nameko.rpc import rpc

from services.followup import domain
from services.followup.store import CaseRepository
from shared import events
from shared.jsonable import jsonable
from shared.messaging import DeadLetters, consumes, event_handler
from shared.mongo import Store
from shared.outbox import outboxed, publish_saved, republish_stale
from shared.timer import every

log = logging.getLogger(__name__)


class FollowupService:
    name = "followup"

    cases = Store(CaseRepository)
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, assignment):
        case = domain.open_case(assignment, events.utcnow())
        opened = events.new_event(events.CaseOpened, **domain.case_opened_body(case))
        doc = self.cases.open(case, [outboxed("case_opened", opened)])
        if doc is None:
            log.info("case %s is open already; redelivery ignored", assignment["number"])
            return
        publish_saved(self.cases.outbox, self.dispatch, doc["_id"])
        log.info("case %s opened for %s", case["number"], case["department_code"])

    @rpc
    def get_case(self, number):
        return jsonable(self.cases.get(number))

    @rpc
    def ping(self):
        return "followup"

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.cases.outbox, self.dispatch)
