"""Personal data kept no longer than needed (PIPL).

The personal data of tickets closed ``PERSONAL_DATA_RETENTION_DAYS`` ago is
erased (``Ticket.erase``), and every other service is told to scrub its copy
(``personal_data_erased``).
"""
import datetime as dt
import logging

from services.intake.bootstrap import Deps
from services.intake.domain import Ticket, scrubbed_entry
from shared.contract import events
from shared.platform.outbox import outboxed

log = logging.getLogger(__name__)


def erase_personal_data(deps: Deps):
    days = float(deps.config.get("PERSONAL_DATA_RETENTION_DAYS", 180))
    now = events.utcnow()
    erased = 0
    for found in deps.tickets.due_for_erasure(now - dt.timedelta(days=days)):
        ticket = Ticket.from_doc(found)
        changes, event = ticket.erase(now)
        uow = deps.uow()
        doc = uow.run(lambda: deps.tickets.erase(
            ticket.number, changes, [outboxed("personal_data_erased", event)], uow))  # noqa: B023
        # The full history lives in its own collection: its notes are scrubbed too
        # (again on a later round if this one is cut short: scrubbing is idempotent).
        deps.tickets.scrub_history(ticket.number, scrubbed_entry)
        if doc is not None:
            erased += 1
    if erased:
        log.info("personal data of %d closed ticket(s) erased", erased)
    return erased
