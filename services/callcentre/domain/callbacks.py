"""Missed callers (漏接回拨): one entry per number per local day, a deadline, and its outcome.

An inbound call that ends unanswered -- the caller gave up in the queue, or nobody
picked up -- puts its number in the callback queue. Two missed calls from one number
on one day are one entry (both call ids kept). The deadline runs on the clock from
the first missed call: a 12345 line answers day and night, so its callback agents
do too (``CALLCENTRE.callback_within_minutes``, 120 by default: 国办函〔2025〕66号
names the callback, the city sets its limit). Working an entry records each attempt;
``reached`` and ``wrong_number`` close it, ``not_reached`` leaves it open to try
again. An entry closed by its deadline was called back in time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["reached", "not_reached", "wrong_number"]
OUTCOMES: tuple[Outcome, ...] = ("reached", "not_reached", "wrong_number")
CLOSING: tuple[Outcome, ...] = ("reached", "wrong_number")


def number_digest(number: str) -> str:
    """A number's digits, digested: the key of its entry, never the number itself."""
    digits = "".join(ch for ch in number if ch.isdigit()) or number
    return hashlib.sha256(digits.encode("utf-8")).hexdigest()[:24]


def entry_key(number: str, missed_at: dt.datetime, zone: dt.tzinfo) -> str:
    """The entry of ``number`` on the local day of ``missed_at``."""
    return f"{missed_at.astimezone(zone).date().isoformat()}-{number_digest(number)}"


def deadline(missed_at: dt.datetime, within_minutes: int) -> dt.datetime:
    return missed_at + dt.timedelta(minutes=within_minutes)


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    by: str
    at: dt.datetime
    note: str = ""


def closed_at(attempts: tuple[Attempt, ...]) -> dt.datetime | None:
    return next((a.at for a in attempts if a.outcome in CLOSING), None)


def standing(attempts: tuple[Attempt, ...], due_at: dt.datetime, now: dt.datetime) -> str:
    """``in_time``, ``late`` (closed after the deadline), ``overdue`` (open past it) or ``open``."""
    closed = closed_at(attempts)
    if closed is not None:
        return "in_time" if closed <= due_at else "late"
    return "overdue" if now > due_at else "open"


class CannotWork(Exception):
    """The entry cannot be worked this way (closed, claimed by someone else, unknown outcome)."""


def check_attempt(outcome: str, attempts: tuple[Attempt, ...], claimed_by: str | None, by: str) -> Outcome:
    if outcome not in OUTCOMES:
        raise CannotWork(f"the outcome must be one of {', '.join(OUTCOMES)}")
    if closed_at(attempts) is not None:
        raise CannotWork("this caller was called back already")
    if claimed_by and claimed_by != by:
        raise CannotWork(f"{claimed_by} is calling this caller back")
    return outcome  # type: ignore[return-value]  # checked against OUTCOMES above
