"""What followup asks of intake: a ticket's content and a citizen's contact, with a time limit
(``FOLLOWUP.intake_timeout_seconds``, 3 s unless set)."""
import logging

import eventlet

log = logging.getLogger(__name__)

INTAKE_TIMEOUT_SECONDS = 3
TICKET_CONTENT = ("title", "description", "category", "district", "street", "address", "lat", "lng",
                  "urgency", "channel", "received_at", "caller_name", "caller_phone", "media_url")


class IntakeAway(Exception):
    """intake did not answer in time (or failed)."""


class Intake:
    """intake's RPCs followup uses (``RpcProxy("intake")``), each answered in time or ``IntakeAway``."""

    def __init__(self, proxy, timeout=INTAKE_TIMEOUT_SECONDS):
        self.proxy = proxy
        self.timeout = float(timeout)

    def _ask(self, method, *args):
        try:
            with eventlet.Timeout(self.timeout):
                return getattr(self.proxy, method).call_async(*args).result()
        except (Exception, eventlet.Timeout) as exc:
            raise IntakeAway(repr(exc)) from None

    def ticket(self, number):
        """What the citizen said (title, description, place; the caller masked); ``None`` if
        intake has no such ticket. Raises ``IntakeAway``."""
        found = self._ask("get_ticket", number)
        if not found:
            return None
        content = {key: found.get(key) for key in TICKET_CONTENT}
        content.update(title=found.get("title") or "", description=found.get("description") or "")
        return content

    def contact(self, number):
        """The citizen's full contact, or ``None``. Raises ``IntakeAway``."""
        return self._ask("get_citizen_contact", number)
