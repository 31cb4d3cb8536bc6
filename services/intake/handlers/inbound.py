"""A submission from another system over AMQP (``hotline.inbound``): accepted, or
dead-lettered with the reason; a receipt to its source either way.

Who may submit, and how, is told in ``entrypoints/inbound.py``.
"""
import logging
import traceback
from urllib.parse import urlsplit

from services.intake.bootstrap import Deps
from services.intake.domain.apikeys import valid_name
from services.intake.entrypoints.inbound import ORIGIN, PLATFORM, publisher, redacted
from services.intake.entrypoints.schemas import InboundReceipt, InboundSubmission
from services.intake.handlers.errors import ValidationFailed
from services.intake.handlers.keys import source_refusal
from services.intake.handlers.tickets import accept
from shared.contract.events import schema_for, utcnow
from shared.platform.messaging import TRANSIENT_ERRORS
from shared.platform.rawqueue import decode

log = logging.getLogger(__name__)


def submission(deps: Deps, body, properties):
    """Take in a submission from another system's plain AMQP client; a receipt to its source."""
    payload, problem = decode(body)
    sender = publisher(properties.get("user_id"), urlsplit(deps.config.get("AMQP_URI") or "").username)
    if sender is None:
        deps.dead_letters(redacted(payload), f"rejected ticket.submit: the publisher is no known source "
                          f"(user_id {properties.get('user_id')!r})" + (f"; {problem}" if problem else ""),
                          ORIGIN)
        return
    errors = {"_body": [problem]} if problem else None
    named = payload.get("source_system") if not problem else None
    source = named if sender is PLATFORM else sender
    external_id = payload.get("external_id") if not problem else None
    ticket = None
    try:
        if not errors and named != source:
            errors = {"source_system": [f"this broker user publishes for {source}, not {named}"]}
        if not errors:
            errors = source_refusal(deps, source, payload.get("api_key") or properties["headers"].get("api_key"))
        if not errors:
            ticket = accept(deps, payload, schema_cls=InboundSubmission, viewed=False)
    except ValidationFailed as exc:
        errors = exc.errors
    except TRANSIENT_ERRORS:
        log.warning("store unreachable; the submission will be delivered again")
        raise
    except Exception as exc:
        log.exception("a submission from another system could not be handled")
        errors = {"_service": ["".join(traceback.format_exception_only(type(exc), exc)).strip()]}
    if errors:
        deps.dead_letters(redacted(payload), f"rejected ticket.submit: {errors}", ORIGIN)
    send_receipt(deps, source, external_id, ticket, errors, properties)


def send_receipt(deps: Deps, source, external_id, ticket, errors, properties):
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
    deps.receipts(schema_for(InboundReceipt).dump(receipt), routing_key=f"ticket.receipt.{source}",
                  correlation_id=properties.get("message_id") or properties.get("correlation_id"))
