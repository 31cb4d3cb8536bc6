"""Ticket numbers: ``QD-20261126-00042`` is the 42nd ticket of 26 Nov 2026 (city time).

A number is issued by intake once and never again (see docs/reliability.md,
"A number is issued once"): every service that holds numbers can say the
highest one it has seen for a day, and intake raises its counter above what
they say before it issues a number of that day.
"""
import re
from datetime import date, datetime, timedelta

NUMBER = re.compile(r"^(?P<series>[A-Za-z0-9]{1,16}-\d{8})-(?P<sequence>\d{1,9})$")


def format_number(prefix: str, local_date: date, sequence: int) -> str:
    """A number a citizen can read out on the phone: ``QD-20261126-00042``."""
    return number_in(series_of(prefix, local_date), sequence)


def number_in(series: str, sequence: int) -> str:
    """The ``sequence``-th number of ``series``: ``QD-20261126`` and 42 -> ``QD-20261126-00042``."""
    return f"{series}-{sequence:05d}"


def series_of(prefix: str, local_date: date) -> str:
    """The counter a day's numbers come from: ``QD-20261126``."""
    return f"{prefix}-{local_date:%Y%m%d}"


def parse_number(number: object) -> tuple[str, int] | None:
    """``(series, sequence)`` of a ticket number, or None if it is not one."""
    match = NUMBER.match(number or "") if isinstance(number, str) else None
    if not match:
        return None
    return match["series"], int(match["sequence"])


def valid_series(series: object) -> bool:
    return isinstance(series, str) and bool(re.fullmatch(r"[A-Za-z0-9]{1,16}-\d{8}", series))


def same_instant(a: datetime | None, b: datetime | None) -> bool:
    """True when two times of one ticket agree (a store keeps milliseconds only)."""
    if a is None or b is None:
        return True
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return abs(a - b) < timedelta(milliseconds=1)
