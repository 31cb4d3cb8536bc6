"""Other services, as notify's delivery needs them: the citizen's contact (intake), asked each
time; the rating links (followup); the monthly report's files (insight)."""
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


def rating_links(followup, timeout):
    """``register(number, digest, approved_at)`` over followup's RPC: what followup kept
    (``{number, expires_at}``), or ``None`` when followup is down, slow or refuses (the
    caller sends no link then: the callback team calls the citizen as before)."""

    def register(number, digest, approved_at):
        try:
            with eventlet.Timeout(timeout):
                return followup.register_rating_link.call_async(number, digest, approved_at).result()
        except eventlet.Timeout:
            return None
        except Exception:  # noqa: BLE001 -- a refusal or a fault: no link, never a lost event
            return None

    return register


def assessment_files(insight, timeout):
    """``files(month)`` over insight's RPC (``assessment_files``: ``{kind: {filename, content_type,
    base64}}``), or ``None`` when insight is down, slow or refuses: the e-mail goes with the link."""

    def files(month):
        try:
            with eventlet.Timeout(timeout):
                return insight.assessment_files.call_async({"month": month, "formats": ["pdf", "xlsx"]}).result()["files"]
        except eventlet.Timeout:
            return None
        except Exception:  # noqa: BLE001 -- a refusal or a fault: the link alone, never a lost announcement
            return None

    return files
