"""Working days, pluggable per city, and where each day's answer comes from.

``ChineseCalendar`` asks, for each day, in order:

1. ``EXTRA_HOLIDAYS`` / ``EXTRA_WORKDAYS`` from configuration;
2. the city's own file for the year (:mod:`shared.timelimits.calendar_files`: announced
   holidays and working weekends, loaded by an administrator, reloaded
   without a restart through :meth:`set_years`);
3. ``chinesecalendar``: the State Council's calendar, 调休 included, for the
   years the installed release knows;
4. beyond those, the statutory holidays (法定节假日) from the ``holidays``
   package -- which knows the law, not each year's 调休 -- and Monday-Friday.

Days answered by 1-3 are ``official``; days answered by 4 are ``statutory``:
their holidays are right but their working weekends and make-up days off are
unknown, so a deadline counted over them may be a day or two wrong. The
calendar says so: :meth:`day` names the source, :meth:`uncovered` lists the
days no official source covers (services warn loudly, count them and report
them in their readiness, see :func:`readiness`) and :meth:`coverage` says
which source covers which year (``hotline calendar coverage``).

``WeekendCalendar`` is Monday-Friday (plus the configured days and the city's
files), for cities outside China: there the city's own rule is the official one.

``add_working_days(calendar, start, n)`` counts from a local datetime: on a
working day the deadline is the same time of day ``n`` working days later;
from a non-working day, counting starts at midnight of the next working day.
"""
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from shared.timelimits.calendar_files import CalendarYear

log = logging.getLogger(__name__)

OFFICIAL = "official"      # a source that says which days are worked, 调休 included
STATUTORY = "statutory"    # statutory holidays known; working weekends (调休) unknown
MAX_SCAN_DAYS = 800        # no question about uncovered days looks further than this


class Day(NamedTuple):
    working: bool
    source: str
    kind: str = OFFICIAL


def _dates(values: Iterable[object] | None) -> set[dt.date]:
    return {v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in values or ()}


class WeekendCalendar:
    """Monday to Friday, less configured holidays, plus configured working days."""

    name = "weekends"

    def __init__(self, extra_holidays: Iterable[object] | None = (), extra_workdays: Iterable[object] | None = (),
                 years: Iterable["CalendarYear"] = ()) -> None:
        self.extra_holidays = _dates(extra_holidays)
        self.extra_workdays = _dates(extra_workdays)
        self.uncovered_deadlines = 0  # deadlines counted over uncovered days (a metric)
        self.set_years(years)

    # -- the city's files --------------------------------------------------------

    def set_years(self, years: Iterable["CalendarYear"]) -> None:
        """Use these :class:`~shared.timelimits.calendar_files.CalendarYear` files from now on."""
        self._years = {year.year: year for year in years}
        self._listed: dict[dt.date, CalendarYear] = {}  # a day a file lists, even outside its year
        for year in self._years.values():
            for day in (*year.holidays, *year.workdays):
                self._listed.setdefault(day, year)
        self._answers: dict[dt.date, Day] = {}  # each day's answer, until the files change

    @property
    def years(self) -> dict[int, "CalendarYear"]:
        return dict(self._years)

    # -- one day -------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    def day(self, day: dt.date) -> Day:
        """The answer for ``day`` with its source: a :class:`Day`."""
        answer = self._answers.get(day)
        if answer is None:
            answer = self._answers[day] = self._look_up(day)
        return answer

    def _look_up(self, day: dt.date) -> Day:
        if day in self.extra_workdays:
            return Day(True, "EXTRA_WORKDAYS (configuration)")
        if day in self.extra_holidays:
            return Day(False, "EXTRA_HOLIDAYS (configuration)")
        for year in (self._listed.get(day), self._years.get(day.year)):
            if year is None:
                continue
            label = f"city file {year.year} ({year.source})"
            if day in year.holidays:
                return Day(False, f"{year.holidays[day]}: {label}")
            if day in year.workdays:
                return Day(True, f"{year.workdays[day]}: {label}")
        year = self._years.get(day.year)
        if year is not None and year.complete:
            return Day(day.weekday() < 5, f"city file {year.year} ({year.source})")
        return self._beyond_files(day)

    def _beyond_files(self, day: dt.date) -> Day:
        return Day(day.weekday() < 5, "Monday-Friday (CALENDAR=weekends)")

    # -- what is known ------------------------------------------------------------

    def uncovered(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The days from ``first`` to ``last`` (dates, inclusive) no official source covers."""
        found = []
        day = first
        end = min(last, first + dt.timedelta(days=MAX_SCAN_DAYS))
        while day <= end:
            if self.day(day).kind != OFFICIAL:
                found.append(day)
            day += dt.timedelta(days=1)
        return found

    def coverage(self, first_year: int, last_year: int) -> list[dict[str, Any]]:
        """Per year: which sources answer its days, and whether its 调休 are known."""
        report: list[dict[str, Any]] = []
        for year in range(first_year, last_year + 1):
            day = dt.date(year, 1, 1)
            sources: dict[str, int] = {}
            unknown: list[dt.date] = []
            while day.year == year:
                answer = self.day(day)
                source = answer.source.split(": ", 1)[-1] if ": " in answer.source else answer.source
                sources[source] = sources.get(source, 0) + 1
                if answer.kind != OFFICIAL:
                    unknown.append(day)
                day += dt.timedelta(days=1)
            loaded = self._years.get(year)
            report.append({
                "year": year, "official": not unknown,
                "uncovered": ranges(unknown),
                "sources": [{"source": s, "days": n} for s, n in
                            sorted(sources.items(), key=lambda item: -item[1])],
                "city_file": loaded.to_document() if loaded else None,
                "working_weekends": "known" if not unknown else "unknown",
            })
        return report


class ChineseCalendar(WeekendCalendar):
    """The official Chinese calendar (法定节假日与调休), then the statutory holidays."""

    name = "chinese"
    _statutory_label: str  # set with the first statutory year

    def __init__(self, extra_holidays: Iterable[object] | None = (), extra_workdays: Iterable[object] | None = (),
                 years: Iterable["CalendarYear"] = ()) -> None:
        self._warned_years: set[int] = set()
        self._statutory: dict[int, dict[dt.date, str]] = {}  # year -> {date: name}
        super().__init__(extra_holidays, extra_workdays, years)

    def _beyond_files(self, day: dt.date) -> Day:
        import chinese_calendar

        try:
            working = bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return self._statutory_day(day, getattr(chinese_calendar, "__version__", "?"))
        return Day(working, f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')}")

    def _statutory_day(self, day: dt.date, library_version: str) -> Day:
        names = self._statutory_of(day.year)
        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            log.warning(
                "*** NO OFFICIAL CALENDAR FOR %s: chinesecalendar %s does not know it and no city "
                "file was loaded. Its statutory holidays come from `holidays`; its working weekends "
                "(调休) and make-up days off are UNKNOWN, so deadlines over it may be wrong. Load "
                "the announced schedule: hotline calendar load FILE --by NAME ***",
                day.year, library_version)
        if day in names:
            return Day(False, f"{names[day]}: {self._statutory_label}", STATUTORY)
        return Day(day.weekday() < 5, f"Monday-Friday, working weekends unknown: {self._statutory_label}",
                   STATUTORY)

    def _statutory_of(self, year: int) -> dict[dt.date, str]:
        names = self._statutory.get(year)
        if names is None:
            import holidays

            self._statutory_label = f"statutory holidays, holidays {holidays.__version__}"
            # observed=False: the law's days only; the make-up days are each year's notice.
            found = holidays.China(years=year, observed=False, language="zh_CN")
            names = self._statutory[year] = {day: str(name) for day, name in found.items()}
        return names


CALENDARS: dict[str, type[WeekendCalendar]] = {"chinese": ChineseCalendar, "weekends": WeekendCalendar}


def calendar_from_config(config: Mapping[str, Any], years: Iterable["CalendarYear"] = ()) -> WeekendCalendar:
    kind = (config.get("CALENDAR") or "chinese").lower()
    try:
        cls = CALENDARS[kind]
    except KeyError:
        raise ValueError(f"CALENDAR must be one of {sorted(CALENDARS)}, got {kind!r}") from None
    return cls(config.get("EXTRA_HOLIDAYS"), config.get("EXTRA_WORKDAYS"), years)


def ranges(days: Iterable[dt.date]) -> list[list[str]]:
    """``[date, ...]`` (sorted) -> ``[["2027-01-01", "2027-12-31"], ...]`` of consecutive days."""
    spans: list[list[dt.date]] = []
    for day in days:
        if spans and (day - spans[-1][1]).days == 1:
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [[a.isoformat(), b.isoformat()] for a, b in spans]


def readiness(calendar: WeekendCalendar, today: dt.date, horizon_days: int = 42) -> dict[str, Any]:
    """Does an official source cover the coming ``horizon_days``? (a readiness hook)."""
    unknown = calendar.uncovered(today, today + dt.timedelta(days=horizon_days))
    return {"ready": not unknown, "horizon_days": horizon_days,
            "uncovered_from": unknown[0].isoformat() if unknown else None,
            "uncovered_deadlines": calendar.uncovered_deadlines}


def next_working_day(calendar: WeekendCalendar, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(calendar: WeekendCalendar, start: dt.datetime, n: int) -> dt.datetime:
    """``start`` plus ``n`` working days (``start`` is a local datetime)."""
    if n < 0:
        raise ValueError("n must not be negative")
    if not calendar.is_working_day(start.date()):
        start = dt.datetime.combine(next_working_day(calendar, start.date()),
                                    dt.time(0), tzinfo=start.tzinfo)
    day = start.date()
    for _ in range(n):
        day = next_working_day(calendar, day)
    return dt.datetime.combine(day, start.timetz())


def working_days_before(calendar: WeekendCalendar, moment: dt.datetime, n: int) -> dt.datetime:
    """``moment`` (local) less ``n`` working days, same time of day."""
    day = moment.date()
    for _ in range(n):
        day -= dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, moment.timetz())


def working_seconds_between(calendar: WeekendCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Seconds from ``start`` to ``end`` (local datetimes) that fall on working days."""
    if end <= start:
        return 0.0
    total, day = 0.0, start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            day_start = dt.datetime.combine(day, dt.time(0), tzinfo=start.tzinfo)
            overlap = min(end, day_start + dt.timedelta(days=1)) - max(start, day_start)
            total += max(overlap.total_seconds(), 0.0)
        day += dt.timedelta(days=1)
    return total


def after_working_seconds(calendar: WeekendCalendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """The local moment when ``seconds`` of working-day time have passed after ``start``."""
    moment, left = start, float(seconds)
    for _ in range(MAX_SCAN_DAYS):
        day_end = dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(0),
                                      tzinfo=start.tzinfo)
        if calendar.is_working_day(moment.date()):
            room = (day_end - moment).total_seconds()
            if left <= room:
                return moment + dt.timedelta(seconds=left)
            left -= room
        moment = day_end
    raise ValueError("no working day within reach")
