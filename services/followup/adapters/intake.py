"""What followup asks of intake: a ticket's content and a citizen's contact, with a time limit."""
import logging

import eventlet

log = logging.getLogger(__name__)

INTAKE_TIMEOUT_SECONDS = 3
TICKET_CONTENT = ("title", "description", "category", "district", "street", "address", "lat", "lng",
                  "urgency", "channel", "received_at", "caller_name", "caller_phone", "media_url")


class IntakeAway(Exception):
    """intake did not answer in time (or failed)."""


def _ask(call, *args):
    try:
        with eventlet.Timeout(INTAKE_TIMEOUT_SECONDS):
            return call.call_async(*args).result()
    except (Exception, eventlet.Timeout) as exc:
        raise IntakeAway(repr(exc)) from None


def ticket(intake, number):
    """What the citizen said (title, description, place; the caller masked); ``None`` if
    intake has no such ticket. Raises ``IntakeAway``."""
    found = _ask(intake.get_ticket, number)
    if not found:
        return None
    content = {key: found.get(key) for key in TICKET_CONTENT}
    content.update(title=found.get("title") or "", description=found.get("description") or "")
    return content


def contact(intake, number):
    """The citizen's full contact, or ``None``. Raises ``IntakeAway``."""
    return _ask(intake.get_citizen_contact, number)
