"""insight's reports, mailed: the monthly assessment to the supervisors (``domain.reports``)."""
import logging

from services.notify.domain import reports

log = logging.getLogger(__name__)


def assessment_published(deps, event):
    addresses = reports.recipients(deps.rules.settings)
    if not addresses:
        log.warning("assessment of %s published, but no supervisor's e-mail is configured "
                    "(NOTIFY.assessment.email)", event["month"])
        return 0
    queued = deps.watches.enqueue(reports.announcement(
        event, addresses, deps.rules.console_url, deps.clock.now(), int(deps.rules.policy.max_attempts)))
    log.info("assessment of %s: %d e-mail(s) queued", event["month"], queued)
    return queued
