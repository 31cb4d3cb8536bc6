"""Operators needed for each hour of a week, from the requests' arrival times.

The arrivals of the staffed channels (by default the phone: calls queue in
real time, while web and WeChat messages can wait) are counted per hour of
the week over the full weeks before the week planned, forecast with
:mod:`forecast`, and each hour's forecast is turned into operators on the
phones with Erlang C (:mod:`erlang`) for the service level asked (80% within
15 s by default), then into operators to roster with the shrinkage factor.
The average handling time is measured from the history when enough calls
record theirs, else taken from configuration.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from services.insight.domain import erlang, forecast
from services.insight.domain.figures import Counts, Record, Report, StaffingHour

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_MEASURED_CALLS = 50


@dataclass(frozen=True)
class StaffingSettings:
    aht_seconds: float = 240.0
    target_share: float = 0.8
    target_seconds: float = 15.0
    shrinkage: float = 0.3
    min_agents: int = 1  # a line open day and night has someone on it
    channels: tuple[str, ...] = ("phone",)
    history_weeks: int = 8
    backtest_weeks: int = 3


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_midnight(monday: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(monday, dt.time(0), tzinfo=zone)


def hour_of_week(moment: dt.datetime, zone: dt.tzinfo) -> int:
    local = moment.astimezone(zone)
    return local.weekday() * 24 + local.hour


def hourly_matrix(records: Iterable[Record], monday: dt.date, weeks: int, zone: dt.tzinfo) -> dict[str, Counts]:
    """``{channel: array (weeks, 168)}`` for the ``weeks`` weeks before ``monday``."""
    starts = [local_midnight(monday - dt.timedelta(weeks=weeks - i), zone) for i in range(weeks + 1)]
    matrices: dict[str, Counts] = {}
    for record in records:
        w = bisect.bisect_right(starts, record["received_at"]) - 1
        if not 0 <= w < weeks:
            continue
        matrix = matrices.setdefault(record.get("channel") or "phone", np.zeros((weeks, 168)))
        matrix[w, hour_of_week(record["received_at"], zone)] += 1
    return matrices


def history_cutoff(monday: dt.date, last_seen: dt.datetime | None, zone: dt.tzinfo) -> dt.date:
    """The Monday that ends the full weeks of history usable for ``monday``'s
    week: ``monday`` itself, or the start of the week still in progress."""
    if last_seen is None:
        return monday
    return min(monday, monday_of(last_seen.astimezone(zone).date() + dt.timedelta(days=1)))


def full_weeks(cutoff: dt.date, first_seen: dt.datetime | None, zone: dt.tzinfo, most: int) -> int:
    """How many whole weeks of history lie between ``first_seen`` and ``cutoff``
    (history starting on a Monday counts that week as whole)."""
    if first_seen is None:
        return 0
    first_day = first_seen.astimezone(zone).date()
    first_monday = first_day if first_day.weekday() == 0 else monday_of(first_day) + dt.timedelta(weeks=1)
    return max(0, min(most, (cutoff - first_monday).days // 7))


def measured_aht(records: Iterable[Record], settings: StaffingSettings) -> tuple[float, str]:
    seconds = [r["handling_seconds"] for r in records
               if r.get("handling_seconds") and (r.get("channel") or "phone") in settings.channels]
    if len(seconds) >= MIN_MEASURED_CALLS:
        return float(np.mean(seconds)), f"measured over {len(seconds)} calls"
    return settings.aht_seconds, "configured (INSIGHT_AHT_SECONDS)"


def plan(records: Sequence[Record], monday: dt.date, zone: dt.tzinfo, first_seen: dt.datetime | None,
         last_seen: dt.datetime | None, settings: StaffingSettings = StaffingSettings()) -> Report:
    """The staffing plan for the week starting on local ``monday``."""
    cutoff = history_cutoff(monday, last_seen, zone)
    weeks = full_weeks(cutoff, first_seen, zone, settings.history_weeks)
    if weeks < 1:
        raise ValueError(f"no full week of history before {cutoff.isoformat()}")
    ahead = (monday - cutoff).days // 7
    history = [r for r in records if r["received_at"] < local_midnight(cutoff, zone)]
    aht, aht_source = measured_aht(history, settings)
    matrices = hourly_matrix(history, cutoff, weeks, zone)
    forecasts = {channel: forecast.forecast_week(m, ahead=ahead)
                 for channel, m in sorted(matrices.items())}
    staffed = sum((matrices[c] for c in settings.channels if c in matrices), np.zeros((weeks, 168)))
    calls = sum((forecasts[c] for c in settings.channels if c in forecasts), np.zeros(168))
    actual = hourly_matrix(records, monday + dt.timedelta(weeks=1), 1, zone)
    actual_staffed = sum((actual[c][0] for c in settings.channels if c in actual), np.zeros(168))
    week_complete = last_seen is not None and \
        last_seen >= local_midnight(monday + dt.timedelta(weeks=1), zone) - dt.timedelta(hours=1)
    hours: list[StaffingHour] = []
    for h in range(168):
        agents, level, asa = erlang.agents_needed(calls[h], aht, settings.target_share,
                                                  settings.target_seconds)
        if agents < settings.min_agents:
            agents = settings.min_agents
            level = erlang.service_level(agents, erlang.traffic_intensity(calls[h], aht), aht,
                                         settings.target_seconds)
            asa = erlang.average_speed_of_answer(agents, erlang.traffic_intensity(calls[h], aht), aht)
        start = local_midnight(monday, zone) + dt.timedelta(hours=h)
        hours.append({
            "weekday": WEEKDAYS[h // 24], "hour": h % 24, "start": start.isoformat(),
            "forecast": {c: round(float(f[h]), 1) for c, f in forecasts.items()},
            "calls": round(float(calls[h]), 1),
            "erlangs": round(erlang.traffic_intensity(calls[h], aht), 2),
            "agents": agents, "service_level": round(level, 3),
            "asa_seconds": round(asa, 1),
            "operators": erlang.with_shrinkage(agents, settings.shrinkage),
        })
    peak = max(hours, key=lambda row: row["operators"])
    result = {
        "week_start": monday.isoformat(), "history_weeks": weeks,
        "history_until": cutoff.isoformat(), "weeks_ahead": ahead + 1,
        "aht_seconds": round(aht, 1), "aht_source": aht_source,
        "target": {"share": settings.target_share, "seconds": settings.target_seconds},
        "shrinkage": settings.shrinkage, "channels": list(settings.channels),
        "hours": hours,
        "totals": {"forecast_calls": round(float(calls.sum())),
                   "forecast_by_channel": {c: round(float(f.sum())) for c, f in forecasts.items()},
                   "agent_hours": sum(r["agents"] for r in hours),
                   "operator_hours": sum(r["operators"] for r in hours),
                   "peak_operators": peak["operators"],
                   "peak_hour": f"{peak['weekday']} {peak['hour']:02d}:00"},
        "backtest": forecast.backtest(staffed, settings.backtest_weeks),
    }
    if week_complete and actual_staffed.sum() > 0:
        result["actual"] = {"calls": [float(x) for x in actual_staffed],
                            **forecast.errors(calls, actual_staffed)}
    return result
