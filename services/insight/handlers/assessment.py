"""The monthly assessment (考核) and its report (通报): on demand, and once a month.

``assessment_of`` computes a month (``domain.assessment``) from the read model;
``assessment_cases_of`` lists the case numbers behind a unit's figures;
``assessment_files_of`` renders the report as xlsx and PDF (``report_files``).
``monthly_tick`` (a timer) generates the month before on the first working day
of a month -- on the city's working-day calendar and the platform's clock (the
demo clock too) -- once, whatever the number of instances (the store's key is
the month), and announces it (``insight.assessment_published``): notify mails
the supervisors a link to the workbench's page.
"""
import base64
import datetime as dt
import logging

from services.insight.domain import assessment
from services.insight.entrypoints.schemas import BadQuery
from services.insight.handlers.reports import _midnight, month_bounds

log = logging.getLogger(__name__)


def previous_month(day):
    first = day.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def default_month(deps):
    """The last complete month, by the platform's clock in the city's zone."""
    return previous_month(deps.now().astimezone(deps.settings.zone).date())


def held_cohort(deps, month):
    """The closures the held rate of ``month``'s report judges (``domain.assessment.held_cohort``),
    as of the report's date: the day after the month, or now for a month not over."""
    terms = deps.rebounds
    cohort = assessment.held_cohort(month, terms.window)
    zone = deps.settings.zone
    _, first, following = month_bounds(cohort)
    _, _, after_month = month_bounds(month)
    as_of = min(_midnight(after_month, zone), deps.now())
    records = list(deps.requests.closed_between(_midnight(first, zone), _midnight(following, zone)))
    return assessment.HeldCohort(cohort, records, as_of, terms)


def monthly_report(deps, month):
    previous, first, following = month_bounds(month)
    zone = deps.settings.zone
    start, end = _midnight(first, zone), _midnight(following, zone)
    records = list(deps.requests.assessed_between(start, end))
    before = list(deps.requests.assessed_between(_midnight(previous, zone), start))
    report = assessment.monthly(month, records, before, deps.assessment, held_cohort(deps, month),
                                held_cohort(deps, f"{previous:%Y-%m}"))
    names = {}
    for group in report["groups"]:
        for unit in group["units"]:
            names[unit["unit"]] = deps.unit_name(unit["unit"])
    report["names"] = names
    return report


def assessment_of(deps, query):
    return monthly_report(deps, query["month"] or default_month(deps))


def assessment_cases_of(deps, query):
    if not query.get("unit"):
        raise BadQuery({"unit": ["a unit's code is required"]})
    month = query["month"] or default_month(deps)
    _, first, following = month_bounds(month)
    zone = deps.settings.zone
    records = deps.requests.assessed_between(_midnight(first, zone), _midnight(following, zone))
    found = assessment.cases_behind(records, query["unit"], query.get("rate"), held_cohort(deps, month))
    found["month"] = month
    return found


def assessment_files_of(deps, query):
    """The month's report as files: ``{month, files: {xlsx|pdf: {filename, content_type, base64}}}``."""
    from services.insight import report_files  # matplotlib and openpyxl: not at every start

    report = monthly_report(deps, query["month"] or default_month(deps))
    files = {}
    for kind in query["formats"]:
        data = report_files.xlsx(report) if kind == "xlsx" else report_files.pdf(report)
        files[kind] = {"filename": f"assessment-{report['month']}.{kind}",
                       "content_type": report_files.CONTENT_TYPES[kind],
                       "base64": base64.b64encode(data).decode("ascii")}
    return {"month": report["month"], "files": files}


def first_working_day(calendar, month_day):
    day = month_day.replace(day=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def monthly_tick(deps, publish):
    """On or after the first working day of a month, the month before's report, once.

    ``publish(event_type, payload)`` announces it. Returns what it did (the timer
    retries sooner on ``None``)."""
    now = deps.now()
    today = now.astimezone(deps.settings.zone).date()
    if today < first_working_day(deps.calendar, today):
        return {"due": False}
    month = previous_month(today)
    if not deps.assessments.claim(month, now):
        stored = deps.assessments.get(month) or {}
        if stored.get("state") == "generated":  # generated, but the announcement did not go out
            announce(deps, publish, month, stored["report"], now)
        return {"due": True, "month": month, "generated": False}
    report = monthly_report(deps, month)
    deps.assessments.store(month, report, now)
    announce(deps, publish, month, report, now)
    return {"due": True, "month": month, "generated": True}


def announce(deps, publish, month, report, now):
    units = [u for g in report["groups"] for u in g["units"]]
    publish({"month": month, "generated_at": now, "path": f"/assessment?month={month}",
             "units": len(units), "cases": report["cases"],
             "below_city": sorted(u["unit"] for u in units if u["verdict"] == "below")})
    deps.assessments.mark_sent(month, now)
    log.info("assessment of %s generated and announced (%d units)", month, len(units))


def reports_generated(deps):
    return [{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in doc.items()}
            for doc in deps.assessments.months()]
