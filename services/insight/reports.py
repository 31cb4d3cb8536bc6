"""Insight's use cases over its repository: import, hot spots, staffing,
top problems. No nameko here; the service wires it to RPC and HTTP."""
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from services.insight import hotspots, problems, staffing
from services.insight.schemas import HistoricalRequest
from services.insight.spikes import SpikeSettings
from services.insight.staffing import StaffingSettings
from services.insight.terms import emerging_terms, terms_of


@dataclass
class InsightSettings:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    window_days: int = 14
    recent_days: int = 7
    spikes: SpikeSettings = field(default_factory=SpikeSettings)
    staffing: StaffingSettings = field(default_factory=StaffingSettings)

    @classmethod
    def from_config(cls, config):
        section = config.get("INSIGHT") or {}
        zone = ZoneInfo((config.get("CITY") or {}).get("timezone", "Asia/Shanghai"))
        channels = section.get("staffed_channels") or ["phone"]
        if isinstance(channels, str):
            channels = [c.strip() for c in channels.split(",") if c.strip()]
        return cls(
            zone=zone, window_days=int(section.get("window_days", 14)),
            recent_days=int(section.get("recent_days", 7)),
            spikes=SpikeSettings(baseline_days=int(section.get("baseline_days", 28)),
                                 fdr=float(section.get("spike_fdr", 0.01))),
            staffing=StaffingSettings(
                aht_seconds=float(section.get("aht_seconds", 240)),
                target_share=float(section.get("target_share", 0.8)),
                target_seconds=float(section.get("target_seconds", 15)),
                shrinkage=float(section.get("shrinkage", 0.3)),
                min_agents=int(section.get("min_agents", 1)),
                channels=tuple(channels)))


def request_terms(title, description):
    return terms_of(f"{title or ''}。{description or ''}")


def arrival_document(event):
    """The read model's fields for a new request (event or imported record)."""
    return {
        "received_at": event["received_at"], "title": event["title"],
        "description": event.get("description") or "", "category": event.get("category"),
        "district": event.get("district"), "channel": event.get("channel") or "phone",
        "urgency": event.get("urgency") or "normal",
        "terms": request_terms(event["title"], event.get("description")),
    }


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
        for key in ("department_code", "handling_seconds", "outcome"):
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
    if week is None:
        today = (last or dt.datetime.now(dt.UTC)).astimezone(settings.zone).date()
        week = today + dt.timedelta(days=7)
    monday = staffing.monday_of(week)
    since = monday - dt.timedelta(weeks=settings.staffing.history_weeks + 1)
    records = list(repository.between(_midnight(since, settings.zone),
                                      _midnight(monday + dt.timedelta(weeks=1), settings.zone),
                                      with_terms=False))
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
                  emerging=emerging_terms(month_records, previous_records))
    if note:
        report["note"] = note
    return report
