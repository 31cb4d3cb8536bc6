"""intake: the hotline's front door.

Every channel ends in ``accept``: validate, return the ticket accepted before
for the same source id or idempotency key, link a repeat of an open ticket
(合并工单) instead of dispatching it, or number, store and publish a new
ticket (``ticket_created``). Operators use RPC (and the ``hotline`` CLI),
web forms ``POST /tickets``, Open311 clients ``/open311/v2/`` (``open311_api``),
other government systems the AMQP exchange ``hotline.inbound`` (``inbound``).
Status answers from intake's own view, kept from the other services' events
(``status_view``), so it works even when they are down.
"""
import datetime as dt
import logging

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.messaging import Publisher

from services.intake import api as intake_api
from services.intake import (
    apikeys,
    domain,
    inbound,
    keys_knowledge,
    numbering,
    open311_api,
    public_api,
    reconciler,
    search,
    status_view,
)
from services.intake.catalogue import Catalogue
from services.intake.check_store import owing
from services.intake.duplicates import DuplicateRules, bounding_box, find_master, phone_key
from services.intake.public import lookup_code
from services.intake.responses import IdempotencyConflict, ValidationFailed
from services.intake.schemas import load_request
from services.intake.store import TicketRepository
from shared.contract import events, field_errors, reasons
from shared.contract.numbering import number_in
from shared.platform import clock as shared_clock
from shared.platform import ops
from shared.platform.city import City, district_names
from shared.platform.doors import Doors, People, Public, Services, door
from shared.platform.identity import STAFF_ROLES, Identity, NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.outbox import outboxed, publish_saved, republish_stale
from shared.platform.production import ProductionChecks
from shared.platform.ratelimit import RateLimits
from shared.platform.timer import every

log = logging.getLogger(__name__)

NUMBER_TRIES = 3
EVENT_TYPES = {"created": "ticket_created", "linked": "ticket_linked", "answered": "ticket_answered"}


# The mixins are imported as modules: ``nameko run`` would take any class
# with entrypoints found in this module's namespace for a service.
class IntakeService(ops.Operable, status_view.StatusView, public_api.PublicApi, open311_api.Open311Api,
                    inbound.InboundChannel, keys_knowledge.KeysAndKnowledge, search.TicketSearch,
                    numbering.Numbering, reconciler.Reconciler):
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
    fence = numbering.NumberFence()
    reconciling = reconciler.Reconciling()
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    receipts = Publisher(exchange=inbound.INBOUND_EXCHANGE)
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

    # -- every channel ends here ---------------------------------------------

    def accept(self, data, schema_cls=None, idempotency=None, answer_with=None, operator=None,
               link_to=None, received_by=None, request_digest=None, public=False):
        """Validate and take in a request; the view of the ticket the caller quotes.

        The view carries ``outcome`` -- ``created``, ``existing`` (accepted
        before), ``linked`` (repeats an open ticket, whose number it shows) or
        ``answered`` -- and ``received_as``, the number this request was
        stored under. ``request_digest`` ties an idempotency key to the request
        it was first sent with; ``public`` counts the caller's phone against
        its rate limit (``TooManyRequests``).
        """
        try:
            valid = load_request(data, district_names(self.city), self.category_codes(), schema_cls)
        except ValidationError as exc:
            raise ValidationFailed(exc.messages) from None
        source = {"system": valid["source_system"], "id": valid["external_id"]} \
            if valid["source_system"] else None
        existing = self.tickets.find_existing(source, idempotency)
        if existing:
            if request_digest and existing.get("request_digest") not in (None, request_digest):
                raise IdempotencyConflict()
            return self.outcome("existing", existing)
        if public:
            self.phone_allowed(valid)

        for _ in range(NUMBER_TRIES):
            now = self.clock.now()
            ticket = domain.new_ticket(self.new_number(now), valid, now, phone_key(valid["caller_phone"]))
            if idempotency:
                ticket["idempotency_key"] = idempotency
                if request_digest:
                    ticket["request_digest"] = request_digest
            if received_by:
                ticket["received_by"] = received_by
                ticket["history"][-1] = domain.received(now, valid.get("channel"), received_by["name"])
            outcome, event = self.settle(ticket, valid, now, answer_with, operator, link_to)
            if outcome == "created":
                ticket.update(owing(self.first_check(now)))
            doc = self.tickets.add(ticket, [outboxed(EVENT_TYPES[outcome], event)])
            if doc is not None:
                break
            existing = self.tickets.find_existing(source, idempotency)
            if existing:  # the same request, accepted a moment ago by another worker
                return self.outcome("existing", existing)
            # The number itself was taken: the counter was behind intake's own tickets.
            log.warning("number %s was taken already; the counter is raised and the next one used",
                        ticket["number"])
            self.tickets.raise_sequence(ticket["series"], self.tickets.highest_issued(ticket["series"]))
        else:
            raise RuntimeError(f"no free ticket number after {NUMBER_TRIES} tries")
        publish_saved(self.tickets.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s received by %s: %s%s", ticket["number"], valid["channel"], outcome,
                 f" to {ticket['linked_to']}" if outcome == "linked" else "")
        return self.outcome(outcome, ticket)

    def settle(self, ticket, valid, now, answer_with, operator, link_to=None):
        """Answered on the call, a repeat of an open ticket, or new: ``(outcome, event)``."""
        if answer_with:
            domain.answered(ticket, answer_with, operator, now)
            return "answered", events.new_event(
                events.TicketAnswered, number=ticket["number"], title=ticket["title"],
                category=ticket["category"], district=ticket["district"], channel=ticket["channel"],
                entry_id=answer_with["id"], answered_by=operator, answered_at=now)
        if link_to:  # the operator saw it repeats an open ticket and linked it
            master, why = self.tickets.get(link_to), reasons.reason("linked_by", person=operator or "an operator")
            if master is None or master.get("status") in ("closed", "answered", "linked"):
                raise ValidationFailed({"link_to": [field_errors.message("not_open", number=link_to)]})
        else:
            rules = DuplicateRules.from_config(self.config.get("INTAKE"))
            box = bounding_box(valid["lat"], valid["lng"], rules.place_meters) if valid["lat"] is not None else None
            master, why = find_master(
                valid, now, self.tickets.recent_by_caller(ticket["caller"]["phone_key"], now - rules.caller_window),
                self.tickets.recent_nearby(valid["category"], box, now - rules.place_window), rules)
        if master:
            domain.linked(ticket, master, why, now)
            return "linked", events.new_event(
                events.TicketLinked, number=ticket["number"], linked_to=master["number"],
                reason=ticket["link_reason"], category=ticket["category"], district=ticket["district"],
                channel=ticket["channel"], linked_at=now)
        return "created", events.new_event(events.TicketCreated, **domain.ticket_created_body(ticket))

    def new_number(self, now):
        sequence, series = self.issue_number(now)
        return number_in(series, sequence)

    def outcome(self, outcome, ticket):
        quoted = ticket
        if ticket.get("linked_to"):
            quoted = self.tickets.get(ticket["linked_to"]) or ticket
        return dict(self.view(quoted), outcome=outcome, received_as=ticket["number"],
                    lookup_code=lookup_code(self.config.get("SECRET_KEY") or "", ticket["number"]))

    def view(self, ticket):
        ticket = dict(ticket, history=self.tickets.history_of(ticket))
        return dict(jsonable(domain.public_view(ticket)), linked=self.tickets.linked_to(ticket["number"]))

    def category_codes(self):
        return [entry["code"] for entry in self.catalogue.entries()]

    def api_client(self, key):
        """The name of the client an API key belongs to, or None."""
        if not isinstance(key, str) or not key:
            return None
        record = self.tickets.api_key_by_digest(apikeys.digest(key), events.utcnow())
        return record["name"] if record else None

    def source_refusal(self, source_system, key):
        """Errors unless ``key`` is the API key of ``source_system``, else None.

        A system's ids are its own: nobody else may submit under its name (and
        so learn its tickets by guessing its ids).
        """
        client = self.api_client(key)
        if client is None:
            return {"api_key": ["missing, unknown, expired or revoked: ask the hotline for a key"]}
        if client != source_system:
            return {"source_system": [f"the API key given is {client}'s, not {source_system}'s"]}
        return None

    # -- operators (RPC) -------------------------------------------------------

    def operator(self):
        """The signed-in operator taking the call, or ``NotAllowed``."""
        person = self.caller.require("operator")
        return person.name, {"user_id": person.user_id, "name": person.name}

    @door(People("operator"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def submit_ticket(self, request, idempotency_key=None, link_to=None):
        """Take in a request; see ``accept``. Raises ``ValidationFailed`` by field.

        From an operator (a signed identity), the ticket records who took it,
        and ``link_to`` links it to an open ticket it repeats (合并工单).
        Other systems and web forms call without a person.
        """
        name, received_by = self.operator() if (self.caller.presented or link_to) else (None, None)
        return self.accept(request, idempotency=f"rpc:{idempotency_key}" if idempotency_key else None,
                           operator=name, link_to=link_to, received_by=received_by)

    @door(People("operator"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def answer_ticket(self, request, entry_id, operator=None):
        """Record a request answered on the call from knowledge entry ``entry_id``; not
        dispatched. The operator recorded is the one signed in."""
        operator, received_by = self.operator()
        entry = self.tickets.knowledge_entry(entry_id) if isinstance(entry_id, str) else None
        if entry is None:
            raise ValidationFailed({"entry_id": [field_errors.message("no_entry", entry=repr(entry_id))]})
        return self.accept(request, answer_with=entry, operator=operator, received_by=received_by)

    @door(Services("followup"), People(*STAFF_ROLES))
    @rpc
    def get_ticket(self, number):
        ticket = self.tickets.get(number) if isinstance(number, str) else None
        return self.view(ticket) if ticket else None

    @door(People("operator", "dispatcher"))
    @rpc(expected_exceptions=(ValidationFailed, NotAllowed))
    def unlink_ticket(self, number, operator=None):
        """A false match: the linked ticket becomes a ticket of its own and is dispatched."""
        operator = self.caller.require("operator", "dispatcher").name
        ticket = self.tickets.get(number) if isinstance(number, str) else None
        if ticket is None or ticket.get("status") != "linked":
            raise ValidationFailed({"number": [f"{number} is not a ticket linked to another"]})
        now = self.clock.now()
        ticket.update(status="received")
        created = events.new_event(events.TicketCreated, **domain.ticket_created_body(ticket))
        doc = self.tickets.unlink(number, {"at": now, "status": "unlinked", **reasons.noted(reasons.reason(
                                      "unlinked", number=ticket["linked_to"], person=operator or "an operator"))},
                                  [outboxed("ticket_created", created)], owing(self.first_check(now)))
        if doc is None:
            raise ValidationFailed({"number": [f"{number} was unlinked already"]})
        publish_saved(self.tickets.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s unlinked from %s and sent for dispatch", number, ticket["linked_to"])
        return self.view(self.tickets.get(number))

    @door(Services("followup", "notify"))
    @rpc
    def get_citizen_contact(self, number):
        """The caller's name, phone and email, and the ticket's lookup code, for notify to
        reach them; None if unknown."""
        ticket = self.tickets.get(number) if isinstance(number, str) else None
        if not ticket:
            return None
        return dict(domain.contact(ticket), lookup_code=lookup_code(self.config.get("SECRET_KEY") or "", number))

    @door(People(*STAFF_ROLES))
    @rpc
    def list_services(self):
        """The catalogue intake offers: routing's, or the directory file's when routing is down."""
        entries = self.catalogue.entries()
        return {"source": self.catalogue.source, "services": entries}

    @door(Public())
    @rpc
    def ping(self):
        return "intake"

    # -- personal data kept no longer than needed -------------------------------

    @every("PRIVACY_ERASE_INTERVAL", default=3600)
    def erase_personal_data(self):
        """Erase the personal data of tickets closed ``PERSONAL_DATA_RETENTION_DAYS`` ago,
        and tell every other service to scrub its copy (``personal_data_erased``)."""
        days = float(self.config.get("PERSONAL_DATA_RETENTION_DAYS", 180))
        now = events.utcnow()
        erased = 0
        for ticket in self.tickets.due_for_erasure(now - dt.timedelta(days=days)):
            event = events.new_event(events.PersonalDataErased, number=ticket["number"],
                                     closed_at=ticket.get("closed_at"), erased_at=now)
            doc = self.tickets.erase(ticket["number"], domain.erasure(ticket, now),
                                     [outboxed("personal_data_erased", event)])
            # The full history lives in its own collection: its notes are scrubbed too
            # (again on a later round if this one is cut short: scrubbing is idempotent).
            self.tickets.scrub_history(ticket["number"], domain.scrubbed_entry)
            if doc is not None:
                publish_saved(self.tickets.outbox, self.dispatch, doc["_id"])
                erased += 1
        if erased:
            log.info("personal data of %d closed ticket(s) erased", erased)
        return erased

    # -- the outbox ----------------------------------------------------------

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.tickets.outbox, self.dispatch)
