"""Receipts of progress to the systems that submitted tickets (110, 12315, a city app ...).

A ticket another system submitted (over AMQP, or over HTTP with ``source_system``
and an API key) carries ``source: {system, id}``. As intake's status view learns
its steps (``handlers/status.py``), the source is told on its own receipts
routing key, ``ticket.receipt.<system>`` of ``hotline.inbound``
(``docs/schemas/ticket-progress.schema.json``): ``dispatched`` (the department,
the deadline), ``replied`` (the reply the hotline approved), ``closed`` (the
outcome and the reply), and ``transferred`` when an operator hands a call to a
line that is a source system. Each step once (``adapters/receipts.py``): a
redelivered event sends nothing, a copy handled at the same moment waits its turn. Never the caller's name or phone: the ticket's
number, the source's own id, the department and the reply (scrubbed of
phone, ID-card and bank-card numbers and e-mail addresses).
"""
import logging

from services.intake.bootstrap import Deps
from services.intake.domain.shared import scrub
from services.intake.entrypoints.schemas import ProgressReceipt
from shared.contract.events import schema_for

log = logging.getLogger(__name__)


def send(deps: Deps, receipt_id, number, system, receipt):
    """Publish ``receipt`` to ``system``'s receipts unless it went already; whether it was sent now."""
    body = schema_for(ProgressReceipt).dump(dict(receipt, receipt_id=receipt_id, number=number,
                                                  source_system=system))
    log_ = deps.tickets.receipts
    pending = log_.claim(receipt_id, number, body)
    if pending is None:
        return False
    try:
        deps.receipts(pending, routing_key=f"ticket.receipt.{system}", correlation_id=receipt_id)
    except BaseException:
        log_.release(receipt_id)
        raise
    log_.sent(receipt_id)
    log.info("ticket %s: %s sent to %s", number, receipt["kind"], system)
    return True


def progress(deps: Deps, event, kind, with_linked=False, **said):
    """Tell the source of ``event``'s ticket (and of its repeats, ``with_linked``) of the step."""
    for ticket in deps.tickets.receipts.submitted(event["number"], with_linked):
        number, source, told = ticket["number"], ticket["source"], dict(said)
        held = ticket.get("department") or {}
        if told.get("department") and not told["department"].get("name") \
                and held.get("code") == told["department"]["code"]:
            told["department"] = {"code": held["code"], "name": held.get("name")}
        send(deps, f"{number}:{event['event_id']}", number, source["system"],
             dict(told, kind=kind, external_id=source.get("id")))


def dispatched(deps: Deps, event):
    progress(deps, event, "dispatched", at=event["assigned_at"], deadline=event["deadline"],
             department={"code": event["department_code"], "name": event["department_name"]})


def replied(deps: Deps, event):
    progress(deps, event, "replied", at=event["approved_at"], reply=scrub(event["text"]) or None,
             department={"code": event["department_code"], "name": None})


def closed(deps: Deps, event):
    progress(deps, event, "closed", with_linked=True, at=event["closed_at"], outcome=event.get("outcome"),
             reply=scrub(event["reply"]) or None, department={"code": event["department_code"], "name": None})
