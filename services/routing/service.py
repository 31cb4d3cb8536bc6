"""routing: decide which department handles a ticket, and by when.

Consumes ``intake.ticket_created`` (decide), ``followup.case_refused``
(re-route, or a person arbitrates), ``followup.case_raised`` (提级: to the
parent unit, or the dispatchers) and ``followup.case_closed`` (learn the
final department). Publishes ``ticket_assigned`` or
``ticket_awaiting_dispatch``. RPC for dispatchers (queue, assign), for the
directory and the calendar, for intake (numbers, decisions again) and for
learning (import_history, train). Timers reload what other instances changed
and retrain on a schedule.

Each entrypoint hands its message to a handler (``services.routing.handlers``)
with the dependencies ``services.routing.bootstrap`` wires; the rules are in
``services.routing.domain``.
"""
import logging

from nameko.dependency_providers import Config

from services.routing import bootstrap
from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.knowledge import KnowledgeProvider
from services.routing.domain.errors import RoutingError
from services.routing.handlers import calendar, decisions, directory, intake, learning, proposals, review, upkeep
from shared.contract import events
from shared.platform import clock as shared_clock
from shared.platform import ops
from shared.platform.doors import Doors, People, Public, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES, Identity, NotAllowed
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.production import ProductionChecks
from shared.platform.timer import every

log = logging.getLogger(__name__)


class RoutingService(ops.Operable):
    name = "routing"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline routing", "version": "2",
                    "description": "routing's operations port: health, readiness, metrics (its work is RPC)."}
    operations = ops.Operations(calendar=True)  # it computes deadlines

    production = ProductionChecks()
    decisions = Store(DecisionRepository)
    caller = Identity()
    knowledge = KnowledgeProvider()
    clock = shared_clock.Clock()
    config = Config()
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    notify = RpcProxy("notify")  # the demo clock

    # -- the demo clock, kept by notify (shared.platform.clock) ------------------

    @event_handler("notify", "clock_moved", requeue_on_error=True)
    @consumes(events.ClockMoved)
    def on_clock_moved(self, event):
        shared_clock.follow(self.clock, event)

    @every("CLOCK_SYNC_INTERVAL", default=30, eager=True)
    def sync_clock(self):
        return shared_clock.sync(self.clock, self.notify)

    # -- deciding --------------------------------------------------------------

    @event_handler("intake", "ticket_created", requeue_on_error=True)
    @consumes(events.TicketCreated)
    def on_ticket_created(self, ticket):
        outcome = decisions.ticket_created(bootstrap.deps(self), ticket)
        if outcome is not None:
            log.info("ticket %s -> %s (%s)", ticket["number"],
                     outcome.record.get("department_code") or "manual dispatch", outcome.record["rule"])

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, refusal):
        decisions.case_refused(bootstrap.deps(self), refusal)

    @event_handler("followup", "case_raised", requeue_on_error=True)
    @consumes(events.CaseRaised)
    def on_case_raised(self, raised):
        """Reopened too often: to the unit's parent, or the dispatchers for the centre (提级)."""
        decisions.case_raised(bootstrap.deps(self), raised)

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        decisions.personal_data_erased(bootstrap.deps(self), event)

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, closed):
        decisions.case_closed(bootstrap.deps(self), closed)

    @event_handler("followup", "assignment_opened", requeue_on_error=True)
    @consumes(events.AssignmentOpened)
    def on_assignment_opened(self, opened):
        """A co-handler (协办) a person added: a label for the learner."""
        decisions.co_handler_added(bootstrap.deps(self), opened)

    # -- dispatchers -------------------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc
    def get_decision(self, number):
        return decisions.get_decision(bootstrap.deps(self), number)

    @door(People(*STAFF_ROLES))
    @rpc
    def queue(self, limit=50, offset=0, rule=None):
        """Tickets waiting for a dispatcher, oldest first, with suggestions and reasons.

        ``rule="arbitration"`` lists only those refused too often (仲裁).
        """
        return decisions.queue(bootstrap.deps(self), limit, offset, rule)

    @door(People(*STAFF_ROLES))
    @rpc
    def queue_size(self, rule=None):
        return decisions.queue_size(bootstrap.deps(self), rule)

    @door(People("dispatcher"))
    @rpc(expected_exceptions=(RoutingError, NotAllowed))
    def assign(self, number, department_code, by, reason, co_handlers=(), *, request_type=None):
        """A dispatcher assigns a waiting ticket (with co-handling units: 协办; and may set its request
        type); ``ticket_assigned`` records who and why. Who is the signed-in dispatcher, not ``by``."""
        return decisions.assign(bootstrap.deps(self), number, department_code, reason, co_handlers,
                                request_type=request_type)

    @door(People("dispatcher"))
    @rpc(expected_exceptions=(RoutingError, NotAllowed))
    def redispatch(self, number, department_code, reason, *, request_type=None):
        """A dispatcher moves a ticket away from the department that holds it (改派).

        Publishes ``ticket_assigned`` (``redispatched``, the department it leaves
        as ``previous_department_code``); followup moves the case if it is still
        with that department and not yet approved, and ignores it otherwise.
        """
        return decisions.redispatch(bootstrap.deps(self), number, department_code, reason,
                                    request_type=request_type)

    @door(People(*STAFF_ROLES))
    @rpc
    def suggest(self, ticket):
        """What routing would decide for ``ticket`` (title, description, category, district...), without storing."""
        return decisions.suggest(bootstrap.deps(self), ticket)

    # -- for intake: numbers and decisions again -------------------------------------

    @event_handler("intake", "ticket_linked", requeue_on_error=True)
    @consumes(events.TicketLinked)
    def on_ticket_linked(self, linked):
        intake.record_number(bootstrap.deps(self), linked["number"])

    @event_handler("intake", "ticket_answered", requeue_on_error=True)
    @consumes(events.TicketAnswered)
    def on_ticket_answered(self, answered):
        intake.record_number(bootstrap.deps(self), answered["number"])

    @event_handler("intake", "ticket_transferred", requeue_on_error=True)
    @consumes(events.TicketTransferred)
    def on_ticket_transferred(self, transferred):
        intake.record_number(bootstrap.deps(self), transferred["number"])

    @door(Services("intake"))
    @rpc
    def republish_decision(self, number):
        """Publish the ticket's current decision again and say what it is; None if routing has none."""
        return intake.republish_decision(bootstrap.deps(self), number)

    @door(Services("intake"))
    @rpc
    def highest_sequence(self, series):
        """The highest ticket number of ``series`` (``QD-20261127``) routing has heard of: 0 if none."""
        return intake.highest_sequence(bootstrap.deps(self), series)

    # -- the directory -------------------------------------------------------------

    @door(Services("intake", "console"), People(*STAFF_ROLES))  # the workbench names categories
    @rpc
    def get_catalogue(self):
        """The dispatch catalogue: code, name, description, group, keywords, department, class."""
        return directory.get_catalogue(bootstrap.deps(self))

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*ROLES))
    @rpc
    def list_departments(self, include_retired=False):
        return directory.list_departments(bootstrap.deps(self), include_retired)

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*ROLES))
    @rpc
    def get_department(self, code):
        return directory.get_department(bootstrap.deps(self), code)

    @door(People("admin", "supervisor"))
    @rpc
    def directory_history(self, code=None, limit=50):
        return directory.directory_history(bootstrap.deps(self), code, limit)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def add_department(self, department, by="", reason=""):
        return directory.add_department(bootstrap.deps(self), department, by, reason)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def add_departments_named(self, names, by="", reason=""):
        """Add a department for each name the directory does not know (a history's labels)."""
        return directory.add_departments_named(bootstrap.deps(self), names, by, reason)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def update_department(self, code, changes, by="", reason=""):
        return directory.update_department(bootstrap.deps(self), code, changes, by, reason)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def retire_department(self, code, by="", reason=""):
        return directory.retire_department(bootstrap.deps(self), code, by, reason)

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"))
    @rpc
    def directory_snapshot(self):
        """Every department (retired too) with its version, and the calendar years:
        what followup and notify catch up from when they missed events."""
        return directory.directory_snapshot(bootstrap.deps(self))

    # -- proposed catalogue edits (from refusals, re-dispatches, arbitrations, co-handlers) --------

    @door(People("dispatcher", "supervisor", "admin"))
    @rpc(expected_exceptions=RoutingError)
    def catalogue_proposals(self, state="pending", limit=50, offset=0):
        """Proposed edits with their tickets and their effect on the history: ``{items, total}``."""
        return proposals.listing(bootstrap.deps(self), state, limit, offset)

    @door(People("admin"))
    @rpc(expected_exceptions=(RoutingError, NotAllowed))
    def decide_catalogue_proposal(self, key, decision, reason):
        """``accept`` (the edit is made as the next directory version, by the signed-in administrator) or ``reject``."""
        return proposals.decide(bootstrap.deps(self), key, decision, reason)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def propose_catalogue_edits(self):
        """Mine the decisions for proposals now (the ``propose`` timer does it daily)."""
        return proposals.propose(bootstrap.deps(self))

    @every("ROUTING_PROPOSE_INTERVAL", default=86400)
    def propose(self):
        proposals.propose_on_timer(bootstrap.deps(self))

    # -- the calendar ------------------------------------------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def load_calendar_year(self, document, by="", reason=""):
        """Store the city's calendar of a year; every service counts with it from then on."""
        return calendar.load_calendar_year(bootstrap.deps(self), document, by, reason)

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*STAFF_ROLES))
    @rpc
    def calendar_years(self):
        """The city's calendar files as loaded, one per year."""
        return calendar.calendar_years(bootstrap.deps(self))

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=RoutingError)
    def calendar_coverage(self, first_year=None, last_year=None):
        """Which source covers which year, and the days no official source covers."""
        return calendar.calendar_coverage(bootstrap.deps(self), first_year, last_year)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=RoutingError)
    def preview_terms(self, start, time_limit_class, urgency="normal", *, request_type=None):
        """The deadlines a case dispatched at ``start`` (ISO) would get; nothing stored."""
        return calendar.preview_terms(bootstrap.deps(self), start, time_limit_class, urgency,
                                      request_type=request_type)

    # -- learning ----------------------------------------------------------------

    @door(People("admin"))
    @rpc
    def import_history(self, rows, source="import", replace=False):
        """Store ``[[text, department]]`` rows to learn from; says which departments are unknown.

        ``replace`` (on a file's first batch) forgets an earlier import of the same source.
        """
        return learning.import_history(bootstrap.deps(self), rows, source, replace)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def train(self):
        """Train on everything learned so far; every instance loads the new model."""
        return learning.train(bootstrap.deps(self), reason="asked")

    @door(People(*STAFF_ROLES))
    @rpc
    def model_info(self):
        return learning.model_info(bootstrap.deps(self))

    @door(People("dispatcher", "supervisor"))
    @rpc(expected_exceptions=RoutingError)
    def review_list(self, limit=20):
        """The recent tickets routing would most like a dispatcher to confirm or correct: automatic
        dispatches whose two best departments were close, and outcomes the model contradicts."""
        return review.review_list(bootstrap.deps(self), limit)

    @door(People("dispatcher"))
    @rpc(expected_exceptions=(RoutingError, NotAllowed))
    def review_label(self, number, department_code):
        """A dispatcher confirms or corrects a ticket's department: a weighted example for the next training."""
        return review.review_label(bootstrap.deps(self), number, department_code)

    @every("ROUTING_REFRESH_INTERVAL", default=10)
    def refresh_knowledge(self):
        upkeep.refresh_knowledge(bootstrap.deps(self))

    @every("ROUTING_RETRAIN_INTERVAL", default=86400)
    def retrain(self):
        """Retrain when something was learned since the newest model."""
        learning.retrain(bootstrap.deps(self))

    # -- plumbing ------------------------------------------------------------------

    @door(Public())
    @rpc
    def ping(self):
        return "routing"

    @every("OUTBOX_INTERVAL", default=5, eager=True)
    def republish_outbox(self):
        upkeep.republish_outbox(bootstrap.deps(self))
