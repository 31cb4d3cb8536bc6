"""intake: the hotline's front door.

Every channel ends in ``handlers/tickets.py:accept``: validate, return the
ticket accepted before for the same source id or idempotency key, link a
repeat of an open ticket (合并工单) instead of dispatching it, or number,
store and publish a new ticket (``ticket_created``). Operators use RPC (and
the ``hotline`` CLI), web forms ``POST /tickets``, Open311 clients
``/open311/v2/``, other government systems the AMQP exchange
``hotline.inbound``. Status answers from intake's own view, kept from the
other services' events (``handlers/status.py``), so it works even when they
are down.

This class only declares the dependencies and translates each door into a
handler call: ``bootstrap.deps(self)`` hands the handler what it needs. The
layers: ``domain/`` (the rules), ``handlers/`` (one function per command or
event), ``adapters/`` (the repository and other I/O), ``entrypoints/`` (a
door's translation: HTTP, Open311, AMQP, the OpenAPI document).
"""
from nameko.dependency_providers import Config
from nameko.messaging import Publisher

from services.intake.adapters.catalogue import Catalogue
from services.intake.adapters.number_fence import NumberFence
from services.intake.adapters.rebound_rules import Rebounds
from services.intake.adapters.reconciling import Reconciling
from services.intake.adapters.tickets import TicketRepository
from services.intake.bootstrap import deps
from services.intake.entrypoints import http as web
from services.intake.entrypoints import open311
from services.intake.entrypoints import openapi as intake_api
from services.intake.entrypoints.inbound import INBOUND_EXCHANGE, SUBMIT_QUEUE
from services.intake.entrypoints.open311 import BASE, ERRORS, FORMAT, both_formats
from services.intake.handlers import (
    inbound,
    keys,
    knowledge,
    numbering,
    privacy,
    quality_checks,
    reconcile,
    search,
    status,
    transfers,
)
from services.intake.handlers import open311 as open311_handlers
from services.intake.handlers import tickets as ticket_handlers
from services.intake.handlers.errors import ValidationFailed
from shared.contract import events
from shared.platform import clock as shared_clock
from shared.platform import openapi, ops
from shared.platform.city import City
from shared.platform.doors import Doors, People, Public, Services, Source, door
from shared.platform.identity import STAFF_ROLES, Identity, NotAllowed
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.outbox import republish_stale
from shared.platform.production import ProductionChecks
from shared.platform.ratelimit import RateLimits
from shared.platform.rawqueue import consume_raw
from shared.platform.timer import every
from shared.platform.web import http


class IntakeService(ops.Operable):
    name = "intake"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = intake_api.INFO
    openapi_schemas = intake_api.SCHEMAS

    production = ProductionChecks()
    tickets = Store(TicketRepository)
    clock = shared_clock.Clock()  # real time, or the demo clock
    caller = Identity()
    city = City()
    config = Config()
    catalogue = Catalogue()
    fence = NumberFence()
    reconciling = Reconciling()
    rebounds = Rebounds()  # the rebound rules (防反弹), checked at start
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    receipts = Publisher(exchange=INBOUND_EXCHANGE)
    limits = RateLimits()
    notify = RpcProxy("notify")  # the demo clock

    # -- the demo clock, kept by notify (shared.platform.clock) ------------------

    @event_handler("notify", "clock_moved", requeue_on_error=True)
    @consumes(events.ClockMoved)
    def on_clock_moved(self, event):
        shared_clock.follow(self.clock, event)

    @every("CLOCK_SYNC_INTERVAL", default=30, eager=True)
    def sync_clock(self):
        return shared_clock.sync(self.clock, self.notify)

    # -- operators (RPC) ------------------------------------------------------------

    @door(People("operator"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def submit_ticket(self, request, idempotency_key=None, link_to=None):
        """Take in a request (``handlers/tickets.py:accept``); ``ValidationFailed`` by field."""
        return ticket_handlers.submit_ticket(deps(self), request, idempotency_key, link_to)

    @door(People("supervisor"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def submit_proactive(self, finding):
        """A proactive case (主动治理) from insight's finding, once per finding (``handlers/tickets.py``)."""
        return ticket_handlers.submit_proactive(deps(self), finding)

    @door(People("operator"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def answer_ticket(self, request, entry_id, operator=None):
        """A request answered on the call from a knowledge entry; the operator is the one signed in."""
        return ticket_handlers.answer_ticket(deps(self), request, entry_id)

    @door(Services("followup"), People(*STAFF_ROLES))
    @rpc
    def get_ticket(self, number):
        return ticket_handlers.get_ticket(deps(self), number)

    @door(People("operator", "dispatcher"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def unlink_ticket(self, number, operator=None):
        """A false match: the linked ticket becomes a ticket of its own and is dispatched."""
        return ticket_handlers.unlink_ticket(deps(self), number)

    @door(People("operator"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def transfer_ticket(self, request, line, reason, reference=None, idempotency_key=None):
        """The caller handed to another line (110/119/120/122/12315 ...): a ticket closed at once."""
        return transfers.transfer_ticket(deps(self), request, line, reason, reference, idempotency_key)

    @door(People(*STAFF_ROLES))
    @rpc
    def transfer_lines(self):
        """The lines a call can be handed to (``TRANSFERS.lines``)."""
        return transfers.transfer_lines(deps(self))

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=ValidationFailed)
    def emergency_words(self, text):
        """The words in ``text`` that sound like an emergency, and the line they suggest."""
        return transfers.emergency_words(deps(self), text)

    @door(Services("followup", "notify"))
    @rpc
    def get_citizen_contact(self, number):
        return ticket_handlers.get_citizen_contact(deps(self), number)

    @door(People(*STAFF_ROLES))
    @rpc
    def list_services(self):
        return ticket_handlers.list_services(deps(self))

    @door(Public())
    @rpc
    def ping(self):
        return "intake"

    # -- web forms and apps (HTTP) -----------------------------------------------------

    @openapi.operation("Submit a request (web form, app)", tags=["tickets"],
                       body="TicketRequest", responses={201: "Receipt", 200: "Receipt"},
                       errors=(400, 403, 409, 413, 429), limits=("client", "submit", "phone"),
                       headers=("Idempotency-Key", "X-Api-Key"))
    @door(Public())
    @http("POST", "/tickets", limits=("client", "submit"))
    def http_submit(self, request):
        return web.submit(deps(self), request)

    @openapi.operation("A ticket's status, for its requester", tags=["tickets"],
                       responses={200: "PublicStatus"}, errors=(400, 401, 404, 429),
                       limits=("client", "lookup"), headers=("X-Lookup-Code", "X-Phone-Last4"),
                       query={"code": {"type": "string", "maxLength": 64},
                              "phone_last4": {"type": "string", "maxLength": 16}})
    @door(Public())
    @http("GET", "/tickets/<string:number>")
    def http_status(self, request, number):
        return web.status(deps(self), request, number)

    # -- Open311 GeoReport v2 (HTTP) --------------------------------------------------

    @openapi.operation("Open311: the service list", tags=["open311"],
                       responses={200: both_formats("Open311Services")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"{BASE}/services.{FORMAT}")
    def open311_services(self, request, fmt):
        return open311.answered(fmt, "services", open311_handlers.services, deps(self))

    @openapi.operation("Open311: one service's definition", tags=["open311"],
                       responses={200: both_formats("Open311ServiceDefinition")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"{BASE}/services/<string:code>.{FORMAT}")
    def open311_service_definition(self, request, code, fmt):
        return open311.answered(fmt, "service_definition", open311_handlers.service_definition, deps(self), code)

    @openapi.operation("Open311: submit a service request (needs api_key)", tags=["open311"],
                       body="Open311Post", body_types=("application/x-www-form-urlencoded", "application/json"),
                       responses={201: both_formats("Open311Posted"), 200: both_formats("Open311Posted")},
                       errors=ERRORS, headers=("Idempotency-Key", "X-Api-Key"), limits=("phone",))
    @door(Public())
    @http("POST", f"{BASE}/requests.{FORMAT}", limits=("client", "submit"))
    def open311_post_request(self, request, fmt):
        return open311.answered(fmt, "requests", lambda: open311_handlers.create(
            deps(self), *open311.submission(request)))

    @openapi.operation("Open311: search service requests (public, scrubbed)", tags=["open311"],
                       responses={200: both_formats("Open311ServiceRequests")}, errors=ERRORS,
                       query={"service_request_id": {"type": "string", "maxLength": 20000},
                              "service_code": {"type": "string", "maxLength": 2000},
                              "start_date": {"type": "string", "format": "date-time"},
                              "end_date": {"type": "string", "format": "date-time"},
                              "status": {"type": "string", "maxLength": 20}})
    @door(Public())
    @http("GET", f"{BASE}/requests.{FORMAT}")
    def open311_get_requests(self, request, fmt):
        return open311.answered(fmt, "requests", open311_handlers.search, deps(self), request.args.to_dict())

    @openapi.operation("Open311: one service request (public, scrubbed)", tags=["open311"],
                       responses={200: both_formats("Open311ServiceRequests")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"{BASE}/requests/<string:number>.{FORMAT}")
    def open311_get_request(self, request, number, fmt):
        return open311.answered(fmt, "requests", open311_handlers.one, deps(self), number)

    @openapi.operation("Open311 service discovery", tags=["open311"],
                       responses={200: both_formats("Open311Discovery")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"/open311/discovery.{FORMAT}")
    def open311_discovery(self, request, fmt):
        """Where this GeoReport v2 endpoint is and what it speaks."""
        body = open311.discovery(request.host_url, self.config.get("CITY") or {})
        return open311.answer(fmt, 200, "discovery", body)

    # -- other government systems (AMQP, ``hotline.inbound``) ---------------------------

    @door(Source())
    @consume_raw(SUBMIT_QUEUE, requeue_on_error=True)
    def on_inbound_submission(self, body, properties):
        inbound.submission(deps(self), body, properties)

    # -- API keys (administrators' tools) -------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=ValidationFailed)
    def create_api_key(self, name, expires_in_days=None):
        """A new key for client ``name``; the only time the key is shown."""
        return keys.create_api_key(deps(self), name, expires_in_days)

    @door(People("admin"))
    @rpc(expected_exceptions=ValidationFailed)
    def rotate_api_key(self, name, grace_seconds=0, expires_in_days=None):
        """A new key for ``name``; its other keys stop working after ``grace_seconds``."""
        return keys.rotate_api_key(deps(self), name, grace_seconds, expires_in_days)

    @door(People("admin"))
    @rpc
    def revoke_api_key(self, name):
        return keys.revoke_api_key(deps(self), name)

    @door(People("admin"))
    @rpc
    def list_api_keys(self):
        return keys.list_api_keys(deps(self))

    # -- the knowledge base (知识库: handlers/knowledge.py) ------------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=ValidationFailed)
    def import_knowledge(self, entries):
        """Add entries or new versions (rows read from YAML or CSV), published as the centre's."""
        return knowledge.import_knowledge(deps(self), entries)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=ValidationFailed)
    def search_knowledge(self, query, limit=5):
        """Published, unexpired entries answering ``query``, best first."""
        return knowledge.search_knowledge(deps(self), query, limit)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def knowledge_feedback(self, entry_id, kind, comment=None):
        """An operator's verdict on an answer: helped, wrong or outdated; its unit reads it."""
        return knowledge.knowledge_feedback(deps(self), entry_id, kind, comment)

    @door(People("department", *knowledge.CENTRE))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def knowledge_entries(self, criteria=None, offset=0, limit=20):
        """Entries to maintain or review (a unit's staff: their unit's own), with what is due."""
        return knowledge.knowledge_entries(deps(self), criteria, offset, limit)

    @door(People("department", *knowledge.CENTRE))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def knowledge_entry(self, entry_id):
        """One entry with its versions and feedback; None if unknown or another unit's."""
        return knowledge.knowledge_entry(deps(self), entry_id)

    @door(People("department", *knowledge.CENTRE))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def save_knowledge_draft(self, entry_id, draft):
        """A draft of an entry (None: a new one); a unit's staff only for their unit's entries."""
        return knowledge.save_knowledge_draft(deps(self), entry_id, draft)

    @door(People("department", *knowledge.CENTRE))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def submit_knowledge_entry(self, entry_id):
        """The draft, for the centre's review; a unit's staff only for their unit's entries."""
        return knowledge.submit_knowledge_entry(deps(self), entry_id)

    @door(People(*knowledge.APPROVERS))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def decide_knowledge_entry(self, entry_id, approve, reason=None):
        """Publish the submitted version (``knowledge_entry_decided``) or send it back with a reason."""
        return knowledge.decide_knowledge_entry(deps(self), entry_id, approve, reason)

    @every("KNOWLEDGE_REVIEW_INTERVAL", default=3600)
    def flag_knowledge_for_review(self):
        """Tell units once of their entries expired or past their review date (``knowledge_review_due``)."""
        return knowledge.flag_knowledge_for_review(deps(self))

    # -- finding tickets (the workbench) ----------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def search_tickets(self, criteria, offset=0, limit=20):
        """Tickets by number, phone, text, address, district, status, dates; newest first."""
        return search.search_tickets(deps(self), criteria, offset, limit)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def caller_tickets(self, phone, limit=10):
        """The caller's earlier tickets, newest first (来电弹屏)."""
        return search.caller_tickets(deps(self), phone, limit)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def repeat_candidates(self, request, limit=5):
        """Open tickets this request may repeat: the same caller, or the same address."""
        return search.repeat_candidates(deps(self), request, limit)

    # -- quality checking of the operators' work (质检: handlers/quality_checks.py) ---------------

    @door(People("quality", "supervisor"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def quality_queue(self, criteria=None, offset=0, limit=20):
        """The sampled tickets (``criteria``: status, month, operator), newest first, with their flags."""
        return quality_checks.quality_queue(deps(self), criteria, offset, limit)

    @door(People("quality", "supervisor"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def quality_check(self, number):
        """A queued ticket beside its checklist: the ticket, its recording, the automatic checks."""
        return quality_checks.quality_check(deps(self), number)

    @door(People("quality"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def score_quality_check(self, number, scores, comment=None):
        """A quality reviewer's score, item by item; the reviewer is the one signed in."""
        return quality_checks.score_quality_check(deps(self), number, scores, comment)

    @door(People("quality", "supervisor"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def queue_for_quality(self, number, complaint=None):
        """Put an operator's ticket in the queue by hand (a complaint made another way, or chosen)."""
        return quality_checks.queue_for_quality(deps(self), number, complaint)

    @door(People("quality", "supervisor", "operator"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def quality_results(self, month, operator=None):
        """Per operator in ``month``: sampled, reviewed, average score, items most often failed
        (an operator reads their own)."""
        return quality_checks.quality_results(deps(self), month, operator)

    # -- ticket numbers, issued once -----------------------------------------------------------

    @every("NUMBER_FENCE_INTERVAL", default=30, eager=True)
    def fence_numbers(self):
        numbering.fence_numbers(deps(self))

    @door(People("admin", "supervisor"))
    @rpc(expected_exceptions=ValidationFailed)
    def numbering(self, series=None):
        """The counter of ``series`` (default today's): next number, fence and what each source said."""
        return numbering.numbering(deps(self), series)

    @door(People("admin"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def raise_numbers(self, series, at_least):
        """An administrator's fence after a restore: the next number of ``series`` is above ``at_least``."""
        return numbering.raise_numbers(deps(self), series, at_least)

    # -- the reconciler: no ticket left behind -------------------------------------------------

    @every("RECONCILE_INTERVAL", default=60)
    def reconcile(self):
        return reconcile.scheduled_round(deps(self))

    @door(People("supervisor", "admin"))
    @rpc(expected_exceptions=NotAllowed)
    def reconcile_now(self):
        """Run a round now (whatever the lease), for a supervisor or an administrator; what it did."""
        return reconcile.round_now(deps(self))

    @door(People("supervisor", "admin"))
    @rpc
    def reconciler_findings(self):
        """How many tickets wait at each stage, the totals, the last round, the first tickets waiting."""
        return reconcile.reconciler_findings(deps(self))

    # -- the status view: the other services' events ---------------------------------------------

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        status.ticket_assigned(deps(self), event)

    @event_handler("routing", "ticket_awaiting_dispatch", requeue_on_error=True)
    @consumes(events.TicketAwaitingDispatch)
    def on_ticket_awaiting_dispatch(self, event):
        status.ticket_awaiting_dispatch(deps(self), event)

    @event_handler("followup", "case_opened", requeue_on_error=True)
    @consumes(events.CaseOpened)
    def on_case_opened(self, event):
        status.case_opened(deps(self), event)

    @event_handler("notify", "deadline_watched", requeue_on_error=True)
    @consumes(events.DeadlineWatched)
    def on_deadline_watched(self, event):
        status.deadline_watched(deps(self), event)

    @event_handler("followup", "assignment_opened", requeue_on_error=True)
    @consumes(events.AssignmentOpened)
    def on_assignment_opened(self, event):
        """Another unit's part began: notify owes it a watch (the reconciler's ``parts``)."""
        status.part_changed(deps(self), event, "assigned_at")

    @event_handler("followup", "assignment_ended", requeue_on_error=True)
    @consumes(events.AssignmentEnded)
    def on_assignment_ended(self, event):
        """Another unit's part is over: its watch must stop (the reconciler's ``parts``)."""
        status.part_changed(deps(self), event, "ended_at")

    @event_handler("followup", "case_signed_for", requeue_on_error=True)
    @consumes(events.CaseSignedFor)
    def on_case_signed_for(self, event):
        status.case_signed_for(deps(self), event)

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, event):
        status.case_refused(deps(self), event)

    @event_handler("followup", "extension_requested", requeue_on_error=True)
    @consumes(events.ExtensionRequested)
    def on_extension_requested(self, event):
        status.extension_requested(deps(self), event)

    @event_handler("followup", "extension_decided", requeue_on_error=True)
    @consumes(events.ExtensionDecided)
    def on_extension_decided(self, event):
        status.extension_decided(deps(self), event)

    @event_handler("followup", "reply_submitted", requeue_on_error=True)
    @consumes(events.ReplySubmitted)
    def on_reply_submitted(self, event):
        status.reply_submitted(deps(self), event)

    @event_handler("followup", "reply_approved", requeue_on_error=True)
    @consumes(events.ReplyApproved)
    def on_reply_approved(self, event):
        status.reply_approved(deps(self), event)

    @event_handler("followup", "reply_rejected", requeue_on_error=True)
    @consumes(events.ReplyRejected)
    def on_reply_rejected(self, event):
        status.reply_rejected(deps(self), event)

    @event_handler("followup", "callback_recorded", requeue_on_error=True)
    @consumes(events.CallbackRecorded)
    def on_callback_recorded(self, event):
        status.callback_recorded(deps(self), event)

    @event_handler("followup", "case_reopened", requeue_on_error=True)
    @consumes(events.CaseReopened)
    def on_case_reopened(self, event):
        status.case_reopened(deps(self), event)

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, event):
        status.case_closed(deps(self), event)

    @event_handler("followup", "case_raised", requeue_on_error=True)
    @consumes(events.CaseRaised)
    def on_case_raised(self, event):
        status.case_raised(deps(self), event)

    @event_handler("followup", "hold_decided", requeue_on_error=True)
    @consumes(events.HoldDecided)
    def on_hold_decided(self, event):
        status.hold_decided(deps(self), event)

    @event_handler("followup", "hold_rechecked", requeue_on_error=True)
    @consumes(events.HoldRechecked)
    def on_hold_rechecked(self, event):
        status.hold_rechecked(deps(self), event)

    @event_handler("notify", "ticket_escalated", requeue_on_error=True)
    @consumes(events.TicketEscalated)
    def on_ticket_escalated(self, event):
        status.ticket_escalated(deps(self), event)

    # -- personal data kept no longer than needed, and the outbox --------------------------------

    @every("PRIVACY_ERASE_INTERVAL", default=3600)
    def erase_personal_data(self):
        """Erase the personal data of tickets closed ``PERSONAL_DATA_RETENTION_DAYS`` ago."""
        return privacy.erase_personal_data(deps(self))

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.tickets.outbox, self.dispatch)
        republish_stale(self.tickets.knowledge.outbox, self.dispatch)

