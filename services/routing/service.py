"""routing: decide which department handles a ticket, and by when.

Consumes ``intake.ticket_created``; publishes ``ticket_assigned`` (with the
reply and sign-for deadlines) or ``ticket_awaiting_dispatch``.
"""
import logging

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher
from nameko.extensions import DependencyProvider

from services.routing.domain import Directory, decide
from services.routing.store import DecisionRepository
from shared import events
from shared.city import load_city
from shared.deadlines import DeadlinePolicy
from shared.messaging import DeadLetters, consumes, event_handler, rpc
from shared.mongo import Store
from shared.jsonable import jsonable
from shared.outbox import outboxed, publish_saved, republish_stale
from shared.timer import every

log = logging.getLogger(__name__)


class Rules(DependencyProvider):
    """The directory and the deadline policy, loaded once in ``setup()``."""

    def setup(self):
        config = self.container.config
        self.directory = Directory.from_dict(load_city(config))
        self.policy = DeadlinePolicy.from_config(config)

    def get_dependency(self, worker_ctx):
        return self


def assignment_body(ticket, decision, policy, directory_version, now):
    dept = decision.department
    return {
        "number": ticket["number"],
        "department_code": dept.code,
        "department_name": dept.name,
        "department_phone": dept.phone,
        "urgency": ticket["urgency"],
        "time_limit_class": policy.limit_class(decision.time_limit_class, ticket["urgency"]),
        "deadline": policy.reply_deadline(now, decision.time_limit_class, ticket["urgency"]),
        "sign_for_deadline": policy.sign_for_deadline(now, ticket["urgency"]),
        "assigned_at": now,
        "decided_by": "routing",
        "rule": decision.rule,
        "reasons": decision.reasons,
        "directory_version": directory_version,
    }


class RoutingService:
    name = "routing"

    decisions = Store(DecisionRepository)
    rules = Rules()
    config = Config()
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()

    @event_handler("intake", "ticket_created", requeue_on_error=True)
    @consumes(events.TicketCreated)
    def on_ticket_created(self, ticket):
        now = events.utcnow()
        decision = decide(ticket, self.rules.directory)
        record = {"number": ticket["number"], "decided_at": now, "rule": decision.rule,
                  "reasons": decision.reasons, "directory_version": self.rules.directory.version,
                  "ticket": {k: ticket[k] for k in ("title", "category", "district", "urgency")}}
        if decision.decided:
            body = assignment_body(ticket, decision, self.rules.policy,
                                   self.rules.directory.version, now)
            record.update(status="assigned", department_code=body["department_code"],
                          deadline=body["deadline"])
            outbox = [outboxed("ticket_assigned", events.new_event(events.TicketAssigned, **body))]
        else:
            record.update(status="awaiting_dispatch")
            outbox = [outboxed("ticket_awaiting_dispatch", events.new_event(
                events.TicketAwaitingDispatch, number=ticket["number"],
                reasons=decision.reasons, queued_at=now))]
        doc = self.decisions.add(record, outbox)
        if doc is None:
            log.info("ticket %s was routed before; redelivery ignored", ticket["number"])
            return
        publish_saved(self.decisions.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s -> %s (%s)", ticket["number"],
                 record.get("department_code", "manual dispatch"), decision.rule)

    @rpc
    def get_decision(self, number):
        decision = self.decisions.get(number)
        return jsonable(decision)

    @rpc
    def ping(self):
        return "routing"

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.decisions.outbox, self.dispatch)
