"""What the citizen said, asked of intake once and kept with the case."""
import logging

from services.followup.adapters import intake
from services.followup.bootstrap import Deps

log = logging.getLogger(__name__)


def ticket_of(deps: Deps, number, held=None, content=False):
    """What the citizen said (title, description, place; the caller masked), kept with the
    case (``held``) or asked of intake and kept; ``None`` if intake does not answer.

    ``content``: the whole of it (``received_at`` included), not only the title and description."""
    if held and (not content or "received_at" in held):
        return held
    try:
        found = deps.intake.ticket(number)
    except intake.IntakeAway as exc:
        log.warning("intake did not give ticket %s (%s); overlap not checked", number, exc)
        return None
    if found is not None:
        deps.cases.remember_ticket(number, found)
    return found
