"""intake, as notify's delivery needs it: the citizen's contact, asked each time."""
import eventlet

from services.notify.domain.delivery import ContactUnavailable


def citizen_contact(intake, timeout):
    """``contact(number)`` over intake's RPC; intake down or slow is ``ContactUnavailable``
    (the notification is retried), not a crash."""

    def contact(number):
        try:
            with eventlet.Timeout(timeout):
                return intake.get_citizen_contact.call_async(number).result()
        except eventlet.Timeout:
            raise ContactUnavailable(f"intake did not answer get_citizen_contact in {timeout}s") from None
        except Exception as exc:
            raise ContactUnavailable(f"intake get_citizen_contact failed: {exc!r}") from exc

    return contact
