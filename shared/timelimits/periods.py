"""Date ranges a report may ask for: inside the calendar's sane years, at most a year long.

Pure Python. Dates at the edge of Python's calendar (``0001-01-01``,
``9999-12-31``) overflow as soon as a day is added or taken away, and a
report over centuries costs seconds of CPU and hundreds of megabytes; both
are refused here with the field's error instead.
"""
import datetime as dt

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)
MAX_DAYS = 366


class BadPeriod(ValueError):
    """``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def check_day(field: str, day: dt.date | None) -> dt.date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise BadPeriod({field: [f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}"]})
    return day


def check_range(start: dt.date | None, end: dt.date | None, start_field: str = "from", end_field: str = "to",
                max_days: int = MAX_DAYS) -> tuple[dt.date | None, dt.date | None]:
    """Both days in range, ``start`` not after ``end``, at most ``max_days`` days inclusive."""
    check_day(start_field, start)
    check_day(end_field, end)
    if start and end:
        if start > end:
            raise BadPeriod({start_field: [f"must not be after '{end_field}'"]})
        if (end - start).days + 1 > max_days:
            raise BadPeriod({end_field: [f"a report covers at most {max_days} days"]})
    return start, end
