"""The CTI token (rotated by an administrator) and personal data kept no longer than needed."""
import datetime as dt
import logging
import secrets

from services.callcentre.bootstrap import Deps

log = logging.getLogger(__name__)


def rotate_token(deps: Deps):
    """A new token for the CTI door; the old one stops working at once. Shown only here."""
    person = deps.caller.require("admin")
    token = secrets.token_urlsafe(32)
    deps.calls.tokens.replace(token, person.user_id, deps.now())
    log.info("the CTI token was rotated by %s", person.user_id)
    return {"token": token, "path": f"/cti/{token}"}


def erase_numbers(deps: Deps):
    """Numbers of calls ended ``PERSONAL_DATA_RETENTION_DAYS`` ago, and of their missed callers, go."""
    before = deps.now() - dt.timedelta(days=deps.settings.retention_days)
    erased = deps.calls.erase_numbers_before(before)
    deps.calls.callbacks.erase_numbers_before(before)
    if erased:
        log.info("erased the numbers of %d calls", erased)
    return erased
