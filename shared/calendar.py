"""Working days, pluggable per city.

``ChineseCalendar`` follows the State Council's official calendar through the
maintained ``chinesecalendar`` package, including the Saturdays and Sundays
that become working days around holidays (调休). For a year the package does
not cover yet, it falls back to Monday-Friday plus the holidays and working
days listed in configuration, and logs that it did. ``WeekendCalendar`` is
the fallback on its own, for cities outside China.

``add_working_days(calendar, start, n)`` counts from a local datetime: on a
working day the deadline is the same time of day ``n`` working days later;
from a non-working day, counting starts at midnight of the next working day.
"""
import datetime as dt
import logging

log = logging.getLogger(__name__)


def _dates(values):
    return {v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in values or ()}


class WeekendCalendar:
    """Monday to Friday, less configured holidays, plus configured working days."""

    name = "weekends"

    def __init__(self, extra_holidays=(), extra_workdays=()):
        self.extra_holidays = _dates(extra_holidays)
        self.extra_workdays = _dates(extra_workdays)

    def is_working_day(self, day):
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return day.weekday() < 5


class ChineseCalendar(WeekendCalendar):
    """The official Chinese calendar (法定节假日与调休)."""

    name = "chinese"

    def __init__(self, extra_holidays=(), extra_workdays=()):
        super().__init__(extra_holidays, extra_workdays)
        self._warned_years = set()
        self._answers = {}  # chinesecalendar re-scans its tables on every call

    def is_working_day(self, day):
        answer = self._answers.get(day)
        if answer is None:
            answer = self._answers[day] = self._look_up(day)
        return answer

    def _look_up(self, day):
        if day in self.extra_workdays or day in self.extra_holidays:
            return super().is_working_day(day)
        import chinese_calendar

        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning(
                    "the official calendar for %s is not in chinesecalendar %s: using "
                    "Monday-Friday plus EXTRA_HOLIDAYS/EXTRA_WORKDAYS from configuration",
                    day.year, getattr(chinese_calendar, "__version__", "?"))
            return super().is_working_day(day)


CALENDARS = {"chinese": ChineseCalendar, "weekends": WeekendCalendar}


def calendar_from_config(config):
    kind = (config.get("CALENDAR") or "chinese").lower()
    try:
        cls = CALENDARS[kind]
    except KeyError:
        raise ValueError(f"CALENDAR must be one of {sorted(CALENDARS)}, got {kind!r}") from None
    return cls(config.get("EXTRA_HOLIDAYS"), config.get("EXTRA_WORKDAYS"))


def next_working_day(calendar, day):
    day += dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(calendar, start, n):
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
