"""intake: the hotline's front door.

RPC ``submit_ticket`` and HTTP ``POST /tickets`` validate a request, give it
a number, store it and publish ``ticket_created``. ``get_ticket`` / ``GET
/tickets/<number>`` answer from intake's own status view, kept current from
the other services' events, so status works even when they are down.
"""
import json
import logging
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.events import EventDispatcher
from nameko.web.handlers import http

from services.intake import domain
from services.intake.schemas import load_request
from services.intake.store import TicketRepository
from shared import events
from shared.city import City, district_names
from shared.messaging import DeadLetters, consumes, event_handler, rpc
from shared.mongo import Store
from shared.jsonable import jsonable
from shared.outbox import outboxed, publish_saved, republish_stale
from shared.timer import every

log = logging.getLogger(__name__)


class ValidationFailed(Exception):
    """The request breaks the rules at the door.

    The message is JSON mapping each field to its errors, so RPC clients (who
    see it as ``RemoteError.value``) can read it back.
    """

    def __init__(self, errors):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors


def as_json(value):
    return json.dumps(value, ensure_ascii=False, default=str)


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, as_json(body)


class IntakeService:
    name = "intake"

    tickets = Store(TicketRepository)
    city = City()
    config = Config()
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()

    # -- submitting ---------------------------------------------------------

    @rpc(expected_exceptions=ValidationFailed)
    def submit_ticket(self, request):
        """Validate, number, store and publish a ticket; returns its public view.

        Raises ``ValidationFailed`` with the errors by field.
        """
        try:
            valid = load_request(request, district_names(self.city))
        except ValidationError as exc:
            raise ValidationFailed(exc.messages) from None
        city = self.config.get("CITY") or {}
        received_at = events.utcnow()
        local_day = received_at.astimezone(ZoneInfo(city.get("timezone", "Asia/Shanghai"))).date()
        prefix = city.get("ticket_prefix", "QD")
        number = domain.format_number(
            prefix, local_day, self.tickets.next_sequence(f"{prefix}-{local_day:%Y%m%d}"))
        ticket = domain.new_ticket(number, valid, received_at)
        created = events.new_event(events.TicketCreated, **domain.ticket_created_body(ticket))
        doc = self.tickets.add(ticket, [outboxed("ticket_created", created)])
        publish_saved(self.tickets.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s received by %s", number, valid["channel"])
        return jsonable(domain.public_view(ticket))

    @rpc
    def get_ticket(self, number):
        ticket = self.tickets.get(number)
        return jsonable(domain.public_view(ticket)) if ticket else None

    @rpc
    def ping(self):
        return "intake"

    # -- HTTP ---------------------------------------------------------------

    @http("POST", "/tickets")
    def http_submit(self, request):
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError as exc:
            return json_response(400, {"errors": {"_body": [f"not valid JSON: {exc}"]}})
        try:
            return json_response(201, self.submit_ticket(body))
        except ValidationFailed as exc:
            return json_response(400, {"errors": exc.errors})

    @http("GET", "/tickets/<string:number>")
    def http_status(self, request, number):
        ticket = self.get_ticket(number)
        if ticket is None:
            return json_response(404, {"errors": {"number": [f"no ticket {number}"]}})
        return json_response(200, ticket)

    @http("GET", "/health")
    def http_health(self, request):
        return json_response(200, {"service": "intake", "status": "ok"})

    # -- the status view, from other services' events ----------------------

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        department = {"code": event["department_code"], "name": event["department_name"],
                      "phone": event["department_phone"]}
        self.tickets.apply(
            event["number"], event["event_id"],
            {"status": "assigned", "department": department, "deadline": event["deadline"],
             "sign_for_deadline": event["sign_for_deadline"], "updated_at": event["occurred_at"]},
            {"at": event["assigned_at"], "status": "assigned",
             "note": f"dispatched to {event['department_name']} by {event['decided_by']}"})

    @event_handler("routing", "ticket_awaiting_dispatch", requeue_on_error=True)
    @consumes(events.TicketAwaitingDispatch)
    def on_ticket_awaiting_dispatch(self, event):
        self.tickets.apply(
            event["number"], event["event_id"],
            {"status": "awaiting_dispatch", "updated_at": event["occurred_at"]},
            {"at": event["queued_at"], "status": "awaiting_dispatch",
             "note": "; ".join(event["reasons"]) or "waiting for a dispatcher"})

    @event_handler("followup", "case_opened", requeue_on_error=True)
    @consumes(events.CaseOpened)
    def on_case_opened(self, event):
        self.tickets.apply(
            event["number"], event["event_id"], {"case_opened_at": event["opened_at"]},
            {"at": event["opened_at"], "status": "case_opened",
             "note": f"case opened for {event['department_code']}"})

    @event_handler("notify", "deadline_watched", requeue_on_error=True)
    @consumes(events.DeadlineWatched)
    def on_deadline_watched(self, event):
        self.tickets.apply(
            event["number"], event["event_id"], {"watched_at": event["occurred_at"]},
            {"at": event["occurred_at"], "status": "deadline_watched",
             "note": f"supervision watches the deadline {event['deadline'].isoformat()}"})

    # -- the outbox ----------------------------------------------------------

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.tickets.outbox, self.dispatch)

