"""Insight's use cases over its repository: import, hot spots, staffing, top problems.

Each reads the records a figure needs from the repository and hands them to
the domain's pure functions (``domain/``). The functions of ``(deps, ...)`` at
the end are what the service's entrypoints call.
"""
import datetime as dt
import json
import logging

from marshmallow import ValidationError

from services.insight.domain import hotspots, problems, staffing
from services.insight.domain.requests import arrival_document
from services.insight.domain.terms import emerging_terms
from services.insight.entrypoints.schemas import BadQuery, HistoricalRequest

log = logging.getLogger(__name__)

def import_history(repository, records):
    """Validate and store past requests; bad records are reported, not stored."""
    schema = HistoricalRequest()
    valid, rejected = [], []
    for index, record in enumerate(records or []):
        try:
            loaded = schema.load(record)
        except ValidationError as exc:
            rejected.append({"index": index, "number": (record or {}).get("number")
                             if isinstance(record, dict) else None, "errors": exc.messages})
            continue
        except Exception as exc:  # not a mapping at all
            rejected.append({"index": index, "number": None, "errors": {"_record": [repr(exc)]}})
            continue
        doc = dict(arrival_document(loaded), number=loaded["number"], source="import")
        for key in ("department_code", "handling_seconds", "outcome", "request_type"):
            if loaded.get(key) is not None:
                doc[key] = loaded[key]
        valid.append(doc)
    stored, duplicates = repository.import_many(valid)
    return {"stored": stored, "duplicates": duplicates, "rejected": rejected}


def _midnight(day, zone):
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def _last_day(repository, settings):
    """The day of the latest request."""
    _, last = repository.span()
    return (last or dt.datetime.now(dt.UTC)).astimezone(settings.zone).date()


def _last_full_day(repository, settings):
    """The last complete day: a day still in progress would look like a drop."""
    _, last = repository.span()
    local = (last or dt.datetime.now(dt.UTC)).astimezone(settings.zone)
    return local.date() if local.hour >= 23 else local.date() - dt.timedelta(days=1)


def hotspot_report(repository, settings, start=None, end=None):
    end = end or (start + dt.timedelta(days=settings.window_days - 1) if start else
                  _last_full_day(repository, settings))
    start = start or end - dt.timedelta(days=settings.window_days - 1)
    first = hotspots.history_start(start, end, settings.spikes, settings.recent_days)
    records = list(repository.between(_midnight(first, settings.zone),
                                      _midnight(end + dt.timedelta(days=1), settings.zone)))
    report = hotspots.build(records, start, end, settings.zone, settings.spikes, settings.recent_days)
    report["history_from"] = first.isoformat()
    return report


def staffing_plan(repository, settings, week=None):
    first, last = repository.span()
    with_calls = "call" in settings.staffing.channels  # planned from callcentre's measured calls
    if with_calls:
        call_first, call_last = repository.calls_span()
        first = min((d for d in (first, call_first) if d is not None), default=None)
        last = max((d for d in (last, call_last) if d is not None), default=None)
    if week is None:
        today = (last or dt.datetime.now(dt.UTC)).astimezone(settings.zone).date()
        week = today + dt.timedelta(days=7)
    monday = staffing.monday_of(week)
    since = monday - dt.timedelta(weeks=settings.staffing.history_weeks + 1)
    records = list(repository.between(_midnight(since, settings.zone),
                                      _midnight(monday + dt.timedelta(weeks=1), settings.zone),
                                      with_terms=False))
    if with_calls:
        records += repository.calls_between(_midnight(since, settings.zone),
                                            _midnight(monday + dt.timedelta(weeks=1), settings.zone))
    return staffing.plan(records, monday, settings.zone, first, last, settings.staffing)


def month_bounds(month):
    year, number = map(int, month.split("-"))
    first = dt.date(year, number, 1)
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    previous = dt.date(year - (number == 1), (number - 2) % 12 + 1, 1)
    return previous, first, following


def top_problem_report(repository, settings, month=None, followup_scorecards=None):
    """每月一题 for ``month`` (YYYY-MM; default: the month of the latest request).

    ``followup_scorecards(first_day, last_day)`` (local dates, inclusive) asks
    followup's ``scorecard``; any failure
    falls back to the scorecards insight computes itself."""
    if month is None:
        month = _last_day(repository, settings).strftime("%Y-%m")
    previous, first, following = month_bounds(month)
    zone = settings.zone
    start, end = _midnight(first, zone), _midnight(following, zone)
    month_records = list(repository.between(start, end))
    previous_records = list(repository.between(_midnight(previous, zone), start))
    scorecards, source, note = {}, "insight", None
    if followup_scorecards is not None:
        try:
            scorecards = problems.normalise_scorecards(
                followup_scorecards(first.isoformat(), (following - dt.timedelta(days=1)).isoformat()))
            source = "followup"
        except Exception as exc:  # followup down, or no scorecard there yet
            note = f"followup scorecard unavailable ({type(exc).__name__}); computed from events"
    if not scorecards:
        scorecards = problems.local_scorecards(repository.outcomes_between(start, end))
        source = "insight"
    report = problems.top_problems(month_records, previous_records, scorecards)
    report.update(month=month, scorecard_source=source,
                  emerging=emerging_terms([r for r in month_records if not hotspots.is_proactive(r)],
                                          [r for r in previous_records if not hotspots.is_proactive(r)]))
    if note:
        report["note"] = note
    return report


# -- what the entrypoints call ---------------------------------------------------

def history_imported(deps, records):
    result = import_history(deps.requests, records)
    log.info("imported %(stored)d request(s); %(duplicates)d known already", result)
    return result


def hotspots_of(deps, query):
    return hotspot_report(deps.requests, deps.settings, query["from_"], query["to"])


def staffing_of(deps, query):
    try:
        return staffing_plan(deps.requests, deps.settings, query["week"])
    except ValueError as exc:
        raise BadQuery({"week": [str(exc)]}) from None


def top_problems_of(deps, query):
    return top_problem_report(deps.requests, deps.settings, query["month"], deps.followup_scorecards)


def request_of(deps, number):
    doc = deps.requests.get(number)
    return json.loads(json.dumps(doc, default=str)) if doc else None


def agents_for(deps, hours):
    """Erlang C's operators on the phones for each ``{"calls", "aht_seconds"}`` (an hour's calls
    and handling time; the configured handling time when none), at the service level configured."""
    from services.insight.domain import erlang

    staffing = deps.settings.staffing
    rows = []
    for hour in list(hours or [])[:24 * 93]:
        calls = max(0.0, float(hour.get("calls") or 0))
        aht = float(hour.get("aht_seconds") or staffing.aht_seconds)
        agents, level, asa = erlang.agents_needed(calls, aht, staffing.target_share, staffing.target_seconds)
        rows.append({"agents": agents, "service_level": round(level, 3), "asa_seconds": round(asa, 1)})
    return rows
