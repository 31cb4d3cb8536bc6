"""insight's reports, mailed: the monthly assessment to the supervisors (``domain.reports``),
with its PDF and xlsx attached when insight hands them over in time (else the link alone:
the announcement is never held up by a slow report)."""
import logging

from services.notify.domain import reports

log = logging.getLogger(__name__)


def assessment_published(deps, event):
    addresses = reports.recipients(deps.rules.settings)
    if not addresses:
        log.warning("assessment of %s published, but no supervisor's e-mail is configured "
                    "(NOTIFY.assessment.email)", event["month"])
        return 0
    attachments = []
    limit = reports.attach_limit(deps.rules.settings)
    if limit > 0 and deps.assessment_files is not None:
        attachments = reports.attachments_within(deps.assessment_files(event["month"]), limit)
        if not attachments:
            log.warning("assessment of %s: mailed with its link only (insight's files missing or over %d bytes)",
                        event["month"], limit)
    queued = deps.watches.enqueue(reports.announcement(
        event, addresses, deps.rules.console_url, deps.clock.now(), int(deps.rules.policy.max_attempts),
        attachments))
    log.info("assessment of %s: %d e-mail(s) queued, %d file(s) attached", event["month"], queued, len(attachments))
    return queued
