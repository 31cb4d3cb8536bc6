"""Tickets from other government systems over AMQP.

A mixin of ``IntakeService``. Another system (110, 12315, a city app)
publishes a JSON body (``docs/schemas/ticket-submit.schema.json``) to the
durable topic exchange ``hotline.inbound`` with routing key
``ticket.submit``; any AMQP client will do, no nameko needed. The sender
learns the outcome from a receipt on the same exchange, routing key
``ticket.receipt.<source_system>``: the ticket number, or the errors.

A submission that cannot be accepted (not JSON, invalid fields, no valid
API key) goes to the dead-letter queue ``hotline.dead_letters`` with the
reason -- with the API key blanked -- and the sender still gets a receipt
when its ``source_system`` can be read. A store outage leaves the message in
the queue for later; nothing stops the consumer.
"""
import json
import logging
import traceback

from kombu import Exchange, Queue

from services.intake.apikeys import valid_name
from services.intake.responses import ValidationFailed
from services.intake.schemas import InboundReceipt, InboundSubmission
from shared.events import utcnow
from shared.messaging import TRANSIENT_ERRORS
from shared.nesting import MAX_DEPTH, too_deep_text
from shared.rawqueue import consume_raw
from shared.doors import door, Source

log = logging.getLogger(__name__)

INBOUND_EXCHANGE = Exchange("hotline.inbound", type="topic", durable=True)
SUBMIT_QUEUE = Queue("hotline.inbound.ticket_submit", exchange=INBOUND_EXCHANGE,
                     routing_key="ticket.submit", durable=True)
ORIGIN = "inbound.ticket_submit"


def decode(body):
    """``(payload, None)`` or ``(raw text, reason)`` for a body that is not a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1"), "the body is not UTF-8 text"
    if too_deep_text(text):
        return text, f"the body nests deeper than {MAX_DEPTH} levels"
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return text, f"the body is not JSON: {exc}"
    if not isinstance(payload, dict):
        return payload, "the body must be a JSON object"
    return payload, None


def redacted(payload):
    if isinstance(payload, dict) and "api_key" in payload:
        return dict(payload, api_key="***")
    return payload


class InboundChannel:

    @door(Source())
    @consume_raw(SUBMIT_QUEUE, requeue_on_error=True)
    def on_inbound_submission(self, body, properties):
        payload, problem = decode(body)
        errors = {"_body": [problem]} if problem else None
        source = payload.get("source_system") if not problem else None
        external_id = payload.get("external_id") if not problem else None
        ticket = None
        try:
            if not errors:
                errors = self.source_refusal(source, payload.get("api_key") or properties["headers"].get("api_key"))
            if not errors:
                ticket = self.accept(payload, schema_cls=InboundSubmission)
        except ValidationFailed as exc:
            errors = exc.errors
        except TRANSIENT_ERRORS:
            log.warning("store unreachable; the submission will be delivered again")
            raise
        except Exception as exc:
            log.exception("a submission from another system could not be handled")
            errors = {"_service": ["".join(traceback.format_exception_only(type(exc), exc)).strip()]}
        if errors:
            self.dead_letters(redacted(payload), f"rejected ticket.submit: {errors}", ORIGIN)
        self.send_receipt(source, external_id, ticket, errors, properties)

    def send_receipt(self, source, external_id, ticket, errors, properties):
        if not valid_name(source):
            log.warning("no receipt: the submission names no valid source_system")
            return
        receipt = {"source_system": source,
                   "external_id": external_id if isinstance(external_id, (str, int)) else None,
                   "accepted": not errors, "at": utcnow()}
        if errors:
            receipt["errors"] = errors
        else:
            # The submission's own number, also for a repeat: never another citizen's ticket.
            receipt.update(outcome=ticket["outcome"], number=ticket["received_as"],
                           received_as=ticket["received_as"], status=ticket["status"])
        self.receipts(InboundReceipt().dump(receipt), routing_key=f"ticket.receipt.{source}",
                      correlation_id=properties.get("message_id") or properties.get("correlation_id"))
