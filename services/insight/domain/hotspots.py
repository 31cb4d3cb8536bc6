"""The hot-spot report: where requests cluster, what spikes, what is new.

Pure Python over plain request records (dicts with ``received_at``, an aware
datetime, ``category``, ``district``, ``number``, ``title`` and ``terms``).
Days and weeks are the city's local ones.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from services.insight.domain import spikes as spike_test
from services.insight.domain.figures import Cell, Record, Report, Spike
from services.insight.domain.requests import type_of
from services.insight.domain.terms import emerging_terms
from shared.contract.messages import PROACTIVE, REQUEST_TYPES

UNCATEGORISED = "uncategorised"
UNKNOWN_PLACE = "unknown"
UNTYPED = "untyped"  # a request recorded before request types (or not yet typed by routing)
EVIDENCE = 50  # ticket numbers a finding carries (the evidence of a proactive case)


def local_day(record: Record, zone: dt.tzinfo) -> dt.date:
    moment: dt.datetime = record["received_at"]
    return moment.astimezone(zone).date()


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def cell_of(record: Record) -> Cell:
    return (record.get("category") or UNCATEGORISED, record.get("district") or UNKNOWN_PLACE)


def history_start(start: dt.date, end: dt.date, settings: spike_test.SpikeSettings = spike_test.SpikeSettings(),
                  recent_days: int = 7, previous_days: int = 28) -> dt.date:
    """The first day of history the report needs for a window ``start..end``."""
    return min(start - dt.timedelta(days=settings.baseline_days + settings.guard_days),
               end - dt.timedelta(days=recent_days + previous_days - 1))


def daterange(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def build(records: Sequence[Record], start: dt.date, end: dt.date, zone: dt.tzinfo,
          settings: spike_test.SpikeSettings = spike_test.SpikeSettings(), recent_days: int = 7,
          previous_days: int = 28, top: int = 15) -> Report:
    """The report for local days ``start..end`` (inclusive); ``records`` must
    reach back to :func:`history_start`."""
    if end < start:
        raise ValueError("the window ends before it starts")
    first = history_start(start, end, settings, recent_days, previous_days)
    if records:  # days before the first request are unknown, not quiet
        first = max(first, min(local_day(r, zone) for r in records))
    first = min(first, start)
    days = daterange(first, end)
    index = {day: i for i, day in enumerate(days)}
    series: dict[Cell, list[int]] = {}
    in_window: Counter[Cell] = Counter()
    weekly: Counter[tuple[str, Cell]] = Counter()
    types: Counter[str] = Counter()
    numbers: dict[Cell, list[tuple[dt.date, str]]] = {}
    citizens: list[Record] = []
    for record in records:
        day = local_day(record, zone)
        if day not in index:
            continue
        if is_proactive(record):  # the hotline's own case: a type to count, no citizen's request
            if start <= day <= end:
                types[PROACTIVE] += 1
            continue
        citizens.append(record)
        cell = cell_of(record)
        if day >= start and record.get("number"):
            numbers.setdefault(cell, []).append((day, str(record["number"])))
        series.setdefault(cell, [0] * len(days))[index[day]] += 1
        if start <= day <= end:
            in_window[cell] += 1
            weekly[(iso_week(day), cell)] += 1
            types[type_of(record) or UNTYPED] += 1
    window_days = daterange(start, end)
    previous_window: dict[Cell, int | None] = {}
    span = len(window_days)
    for cell, counts in series.items():
        previous_window[cell] = sum(counts[index[start] - span:index[start]]) \
            if index[start] - span >= 0 else None
    found = spike_test.detect(series, days, start, settings)
    for spike in found:
        cell = (spike["category"], spike["district"])
        spike["daily"] = series[cell][index[start]:]
        spike["key"] = spike_key(spike)
        since, until = dt.date.fromisoformat(spike["since"]), dt.date.fromisoformat(spike["until"])
        spike["numbers"] = [n for day, n in sorted(numbers.get(cell, ())) if since <= day <= until][:EVIDENCE]
    recent_from = end - dt.timedelta(days=recent_days - 1)
    previous_from = recent_from - dt.timedelta(days=previous_days)
    recent = [r for r in citizens if recent_from <= local_day(r, zone) <= end]
    previous = [r for r in citizens if previous_from <= local_day(r, zone) < recent_from]
    terms = emerging_terms(recent, previous, evidence=EVIDENCE)
    for term in terms:
        term["key"] = emerging_key(term["term"], end)
    return {
        "from": start.isoformat(), "to": end.isoformat(), "days": [d.isoformat() for d in window_days],
        "total": sum(in_window.values()),
        "cells": [{"category": c, "district": d, "count": n, "previous": previous_window.get((c, d))}
                  for (c, d), n in in_window.most_common(top)],
        "by_category": _by(in_window, 0), "by_district": _by(in_window, 1),
        "by_request_type": by_request_type(types),
        "category_daily": _category_daily(series, index[start], top=6),
        "weeks": _weeks(weekly),
        "spikes": found,
        "emerging": {"recent_from": recent_from.isoformat(), "previous_from": previous_from.isoformat(),
                     "recent_requests": len(recent), "previous_requests": len(previous),
                     "terms": terms},
        "method": {"baseline_days": settings.baseline_days, "guard_days": settings.guard_days,
                   "fdr": settings.fdr, "min_count": settings.min_count,
                   "dispersion": round(spike_test.dispersion_of(series, days, start, settings), 4)},
    }


def is_proactive(record: Record) -> bool:
    """A proactive case (主动治理) the hotline opened itself: counted by type, never as a request."""
    return record.get("channel") == PROACTIVE or type_of(record) == PROACTIVE


def spike_key(spike: Spike) -> str:
    """A spike's key: its cell and the day it began, which stay as the spike goes on (未诉先办:
    one proactive case per finding)."""
    return f"spike:{spike['category']}:{spike['district']}:{spike['since']}"


def emerging_key(term: str, end: dt.date) -> str:
    """An emerging problem's key: its term and the ISO week of the report's last day (a term still
    rising next week is a finding again)."""
    return f"emerging:{term}:{iso_week(end)}"


def by_request_type(types: Counter[str]) -> list[dict[str, Any]]:
    """Requests by type (咨询 求助 投诉 ...), most first; every type named, untyped last."""
    order = [*REQUEST_TYPES, UNTYPED]
    ranked = sorted(order, key=lambda name: (-types.get(name, 0), order.index(name)))
    return [{"name": name, "count": types.get(name, 0)} for name in ranked
            if name != UNTYPED or types.get(UNTYPED)]


def _by(counter: Counter[Cell], position: int) -> list[dict[str, Any]]:
    totals: Counter[str] = Counter()
    for cell, n in counter.items():
        totals[cell[position]] += n
    return [{"name": name, "count": n} for name, n in totals.most_common()]


def _category_daily(series: Mapping[Cell, list[int]], start_index: int, top: int) -> list[dict[str, Any]]:
    totals: dict[str, list[int]] = {}
    for (category, _), counts in series.items():
        window = counts[start_index:]
        current = totals.setdefault(category, [0] * len(window))
        totals[category] = [a + b for a, b in zip(current, window)]
    ranked = sorted(totals.items(), key=lambda item: sum(item[1]), reverse=True)[:top]
    return [{"category": category, "daily": daily} for category, daily in ranked]


def _weeks(weekly: Counter[tuple[str, Cell]], per_week: int = 5) -> list[dict[str, Any]]:
    weeks: dict[str, Counter[Cell]] = {}
    for (week, cell), n in weekly.items():
        weeks.setdefault(week, Counter())[cell] = n
    return [{"week": week, "total": sum(cells.values()),
             "top": [{"category": c, "district": d, "count": n} for (c, d), n in cells.most_common(per_week)]}
            for week, cells in sorted(weeks.items())]
