"""The city's own calendar: one YAML document per year of announced holidays
and working weekends (调休上班), as the State Council's notice (or the city's
own announcement) gives them.

An administrator loads a year with ``hotline calendar load FILE --by NAME``;
routing keeps it and announces it (``routing.calendar_year_loaded``) and every
service that counts working days uses it from then on, without a restart::

    year: 2026
    source: 国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）
    url: https://www.gov.cn/zhengce/content/202511/content_7047090.htm
    published: 2025-11-04
    complete: true          # every holiday and working weekend of the year is listed
    holidays:               # days off: one day, or a range
      - {name: 元旦, from: 2026-01-01, to: 2026-01-03}
      - {name: 春节, from: 2026-02-15, to: 2026-02-23}
    workdays:               # Saturdays and Sundays that are working days
      - {name: 元旦调休, date: 2026-01-04}
      - {name: 春节调休, date: 2026-02-14}

``complete: true`` says the file decides every day of its year (the days it
does not list are Monday-Friday working days); ``complete: false`` (a partial
announcement) overrides only the days it lists and leaves the rest to the
other sources, which the coverage report shows. ``source`` is required: a
date nobody can trace to an announcement has no place in a deadline.

Pure Python: ``parse(document)`` returns a :class:`CalendarYear` or raises
:class:`BadCalendarFile` with the errors by field.
"""
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Errors = dict[str, list[str]]

MAX_SPAN_DAYS = 40       # a holiday longer than this is a typing error
EDGE_DAYS = 14           # a year's notice may name days just outside the year


class BadCalendarFile(ValueError):
    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CalendarYear:
    year: int
    source: str
    complete: bool
    holidays: dict[dt.date, str] = field(default_factory=dict)   # date -> name
    workdays: dict[dt.date, str] = field(default_factory=dict)   # date -> name
    url: str = ""
    published: str = ""
    version: int = 0          # routing's version of this year (0: not loaded through routing)
    loaded_by: str = ""

    def covers(self, day: dt.date) -> bool:
        """True if this file has a word on ``day`` (its year, or a day it lists)."""
        return day.year == self.year or day in self.holidays or day in self.workdays

    def to_document(self) -> dict[str, Any]:
        """The document as loaded (and as events and RPC carry it)."""
        return {"year": self.year, "source": self.source, "url": self.url,
                "published": self.published, "complete": self.complete,
                "holidays": [{"name": n, "date": d.isoformat()} for d, n in sorted(self.holidays.items())],
                "workdays": [{"name": n, "date": d.isoformat()} for d, n in sorted(self.workdays.items())],
                "version": self.version, "loaded_by": self.loaded_by}


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _days(entries: object, key: str, errors: Errors, year: int) -> dict[dt.date, str]:
    """``{date: name}`` from a list of ``{name, date}`` or ``{name, from, to}``."""
    days: dict[dt.date, str] = {}
    if entries is None:
        return days
    if not isinstance(entries, list):
        errors.setdefault(key, []).append("a list of {name, date} or {name, from, to}")
        return days
    low = dt.date(year, 1, 1) - dt.timedelta(days=EDGE_DAYS)
    high = dt.date(year, 12, 31) + dt.timedelta(days=EDGE_DAYS)
    for n, entry in enumerate(entries, 1):
        where = f"{key}[{n}]"
        if not isinstance(entry, dict):
            entry = {"date": entry}
        name = str(entry.get("name") or "").strip() or key
        try:
            if "date" in entry:
                first = last = _date(entry["date"])
            else:
                first, last = _date(entry["from"]), _date(entry["to"])
        except (KeyError, TypeError, ValueError):
            errors.setdefault(where, []).append("give date: YYYY-MM-DD, or from: and to:")
            continue
        if last < first or (last - first).days > MAX_SPAN_DAYS:
            errors.setdefault(where, []).append(
                f"from {first} to {last}: the end must follow the start, at most {MAX_SPAN_DAYS} days")
            continue
        if first < low or last > high:
            errors.setdefault(where, []).append(f"{first}..{last} is not in or next to {year}")
            continue
        day = first
        while day <= last:
            days[day] = name
            day += dt.timedelta(days=1)
    return days


def parse(document: object) -> CalendarYear:
    """A :class:`CalendarYear` from a loaded YAML document, or ``BadCalendarFile``."""
    if not isinstance(document, dict):
        raise BadCalendarFile({"_file": ["a YAML mapping with year, source, holidays, workdays"]})
    errors: Errors = {}
    unknown = set(document) - {"year", "source", "url", "published", "complete", "holidays",
                               "workdays", "version", "loaded_by"}
    if unknown:
        errors["_fields"] = [f"unknown field(s): {', '.join(sorted(map(str, unknown)))}"]
    year = document.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2200:
        raise BadCalendarFile({"year": ["a year such as 2027"], **errors})
    source = document.get("source")
    if not isinstance(source, str) or not source.strip():
        errors["source"] = ["required: the announcement these days come from (title and number)"]
    complete = document.get("complete", False)
    if not isinstance(complete, bool):
        errors["complete"] = ["true or false"]
    holidays = _days(document.get("holidays"), "holidays", errors, year)
    workdays = _days(document.get("workdays"), "workdays", errors, year)
    for day in sorted(set(holidays) & set(workdays)):
        errors.setdefault("workdays", []).append(f"{day} is listed as a holiday too")
    for day, name in sorted(workdays.items()):
        if day.weekday() < 5:
            errors.setdefault("workdays", []).append(
                f"{day} ({name}) is a {day:%A}: list only Saturdays and Sundays that are worked")
    published = document.get("published") or ""
    if published:
        try:
            published = _date(published).isoformat()
        except (TypeError, ValueError):
            errors["published"] = ["a date YYYY-MM-DD"]
    if errors:
        raise BadCalendarFile(errors)
    return CalendarYear(year=year, source=str(source).strip(), complete=complete, holidays=holidays,
                        workdays=workdays, url=str(document.get("url") or ""), published=published,
                        version=int(document.get("version") or 0),
                        loaded_by=str(document.get("loaded_by") or ""))


def load_file(path: str | Path) -> CalendarYear:
    """Parse a YAML file (UTF-8, or GB18030 as Chinese editors save it)."""
    import yaml

    from shared.platform.textfiles import read_text

    try:
        document = yaml.safe_load(read_text(path))
    except yaml.YAMLError as exc:
        raise BadCalendarFile({"_file": [f"not YAML: {exc}"]}) from None
    except ValueError as exc:  # a date YAML cannot make (2027-02-30), or not text
        raise BadCalendarFile({"_file": [str(exc)]}) from None
    return parse(document)
