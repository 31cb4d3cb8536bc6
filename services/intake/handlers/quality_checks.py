"""Quality checking of the operators' own work (质检): the queue, the score, the month's results.

``after_accept`` runs when ``accept`` has taken a request in (any channel): a
ticket an operator recorded on a sampled channel is counted for its month and
sampled (``domain/quality_check.py``, ``sample_reason``); a complaint about the
hotline's own service that names an operator's ticket queues that ticket.
Both are idempotent (the queue holds a ticket once), and neither can fail the
citizen's request: a fault is logged with the ticket's number and the ticket
stands. The rest are the quality team's RPCs.
"""
import logging

from services.intake.adapters.quality_checks import QualityCheckRepository
from services.intake.bootstrap import Deps
from services.intake.domain.quality_check import (
    QualityCheck,
    QualityRules,
    ScoreInvalid,
    complaint_target,
    month_of,
    recorded_by_operator,
    results,
    sample_reason,
)
from services.intake.domain.ticket import public_view
from services.intake.handlers.errors import ValidationFailed
from shared.platform.identity import NotAllowed
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)

REVIEWERS = ("quality", "supervisor")  # who read the queue and every operator's results
MONTH_LENGTH = len("2026-12")
PAGE_LIMIT = 200


def store(deps: Deps) -> QualityCheckRepository:
    """The quality queue (a ``Deps`` built without it has no quality checking)."""
    if deps.quality is None:
        raise RuntimeError("intake runs without its quality queue")
    return deps.quality


def rules(deps: Deps) -> QualityRules:
    return QualityRules.from_config(deps.config.get("QUALITY"))


def after_accept(deps: Deps, result, ticket):
    """Sample a ticket an operator recorded; queue the ticket a complaint about the operator names."""
    if deps.quality is None:
        return
    try:
        settings = rules(deps)
        if recorded_by_operator(ticket, settings):
            sample(deps, settings, ticket, counted=result != "existing")
        target = complaint_target(ticket, settings)
        if target:
            complained_of(deps, settings, target, ticket["number"])
    except Exception:  # the ticket stands: the queue is the quality team's, not the caller's
        log.exception("ticket %s: the quality sample failed", ticket.get("number"))


def sample(deps: Deps, settings: QualityRules, ticket, counted=True):
    number, user_id = ticket["number"], ticket["received_by"]["user_id"]
    month = month_of(number)
    if month is None:
        return
    if counted:
        store(deps).count_recorded(month, user_id)
    if store(deps).get(number) is not None:
        return
    reason = sample_reason(number, settings.rate, settings.minimum, store(deps).sampled_count(month, user_id))
    if reason and store(deps).queue(QualityCheck.queue(ticket, reason, settings, deps.clock.now()).to_doc()):
        log.info("ticket %s sampled for quality checking (%s)", number, reason)


def complained_of(deps: Deps, settings: QualityRules, number, complaint):
    """The ticket ``number`` is complained of (in ticket ``complaint``): queued, if an operator recorded it."""
    ticket = deps.tickets.get(number)
    if ticket is None or not (ticket.get("received_by") or {}).get("user_id"):
        return False
    check = QualityCheck.queue(ticket, "complaint", settings, deps.clock.now(), complaint=complaint)
    if not store(deps).queue(check.to_doc()):
        store(deps).add_reason(number, "complaint", complaint)
    log.info("ticket %s queued for quality checking: complaint %s", number, complaint)
    return True


# -- the quality team ---------------------------------------------------------------------------

def quality_queue(deps: Deps, criteria=None, offset=0, limit=20):
    """The queue: ``criteria`` may hold ``status`` (waiting, scored), ``month``, ``operator`` (a user id)."""
    deps.caller.require(*REVIEWERS)
    criteria = criteria if isinstance(criteria, dict) else {}
    status = criteria.get("status")
    if status not in (None, "", "waiting", "scored"):
        raise ValidationFailed({"status": ["waiting or scored"]})
    month = checked_month(criteria.get("month"), required=False)
    offset, limit = bounded(offset, 0, 10 ** 6), bounded(limit, 1, PAGE_LIMIT)
    checks, total = store(deps).listing(status or None, month, criteria.get("operator") or None, offset, limit)
    return jsonable({"total": total, "checks": checks})


def quality_check(deps: Deps, number):
    """One queued ticket with what the form needs: the ticket (caller masked), its recording,
    the checklist and the automatic checks as they are now."""
    deps.caller.require(*REVIEWERS)
    check = store(deps).get(number) if isinstance(number, str) else None
    ticket = deps.tickets.get(number) if check else None
    if check is None or ticket is None:
        return None
    settings = rules(deps)
    check["flags"] = QualityCheck.queue(dict(ticket, received_by=check["operator"]), "chosen",
                                        settings, check["queued_at"]).flags
    shown = public_view(dict(ticket, history=deps.tickets.history_of(ticket)))
    return jsonable({"check": check, "ticket": shown, "checklist": checklist(settings),
                     "recording_url": ticket.get("recording_url"), "call_id": ticket.get("call_id")})


def score_quality_check(deps: Deps, number, scores, comment=None):
    """A reviewer's score of a queued ticket, item by item (``{code: {points, comment}}``)."""
    person = deps.caller.require("quality")
    found = store(deps).get(number) if isinstance(number, str) else None
    if found is None:
        raise ValidationFailed({"number": [f"{number} is not in the quality queue"]})
    check = QualityCheck.from_doc(found)
    if check.operator.get("user_id") == person.user_id:
        raise NotAllowed(f"{person.name} may not score a ticket they recorded")
    settings = rules(deps)
    try:
        score = check.rate(scores, comment, settings,
                           {"user_id": person.user_id, "name": person.name}, deps.clock.now())
    except ScoreInvalid as exc:
        raise ValidationFailed(exc.errors) from None
    store(deps).save_score(number, check.status, score)
    log.info("ticket %s scored %s/%s in quality checking", number, score["total"], score["max"])
    return jsonable(check.to_doc())


def queue_for_quality(deps: Deps, number, complaint=None):
    """A ticket put in the queue by hand: a complaint made another way (``complaint``: its
    ticket), or chosen by the quality team."""
    deps.caller.require(*REVIEWERS)
    ticket = deps.tickets.get(number) if isinstance(number, str) else None
    if ticket is None or not (ticket.get("received_by") or {}).get("user_id"):
        raise ValidationFailed({"number": [f"{number} is not a ticket an operator recorded"]})
    settings = rules(deps)
    if complaint:
        complained_of(deps, settings, number, str(complaint))
    elif not store(deps).queue(QualityCheck.queue(ticket, "chosen", settings, deps.clock.now()).to_doc()):
        store(deps).add_reason(number, "chosen")
    return jsonable(store(deps).get(number))


def quality_results(deps: Deps, month, operator=None):
    """Per operator in ``month``: recorded, sampled, reviewed, average score, items most often
    failed. An operator reads their own; the quality team and supervisors read everyone's."""
    person = deps.caller.require(*REVIEWERS, "operator")
    if not person.has(*REVIEWERS):
        if operator not in (None, "", person.user_id):
            raise NotAllowed(f"{person.name} may read their own results only")
        operator = person.user_id
    month = checked_month(month, required=True)
    rows = results(store(deps).of_month(month, operator or None), store(deps).recorded(month))
    if operator:
        rows = [row for row in rows if row["operator"].get("user_id") == operator]
    return jsonable({"month": month, "operators": rows, "checklist": checklist(rules(deps))})


def checklist(settings: QualityRules):
    return [{"code": item.code, "title": item.title, "points": item.points} for item in settings.checklist]


def checked_month(month, required):
    if month in (None, "") and not required:
        return None
    if not isinstance(month, str) or len(month) != MONTH_LENGTH or month[4] != "-" \
            or not (month[:4] + month[5:]).isdigit() or not 1 <= int(month[5:]) <= 12:
        raise ValidationFailed({"month": ["a month written 2026-12"]})
    return month


def bounded(value, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed({"limit": [f"a whole number from {low} to {high}"]}) from None
    return min(max(number, low), high)
