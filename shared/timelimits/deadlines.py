"""How long a department has: the city's time-limit policy, one rule for all.

Limits come from configuration (``TIME_LIMITS`` by class, ``SIGN_FOR_LIMITS``
by urgency, ``REQUEST_TYPE_TIME_LIMITS`` by request type and class), each either ``{hours: N}`` on the clock or ``{working_days: N}``
on the city's working-day calendar, in the city's time zone.

:meth:`DeadlinePolicy.terms` is the one rule every service applies (routing
at dispatch, followup when a case is reopened, ``hotline calendar deadline``):

* the class is the one of the category routing decided (picked by the
  operator, or recognised in the text: see routing's ``directory``);
* the urgency is the stricter of the one picked and the one the class implies
  (``CLASS_URGENCY``: an emergency class is an emergency, a 24-hour utility
  case is urgent), whoever picked either;
* a request type may have its own limit for a class (a consultation 3
  working days): ``REQUEST_TYPE_TIME_LIMITS[type][class]``, or
  ``[type]["*"]`` for every class the type does not name; a type or class not
  named there keeps the class's limit;
* an emergency runs on the emergency limit, whatever the type; an urgent case
  gets the shorter of its (type's or class's) limit and the urgent one;
* the sign-for deadline follows the urgency and never falls after the reply
  deadline.

A working-day limit counted over days no official calendar covers (see
:mod:`shared.timelimits.calendar`) is flagged in ``Terms.uncovered``, counted, and logged.
"""
import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.contract.messages import REQUEST_TYPES
from shared.timelimits.calendar import WeekendCalendar, add_working_days, calendar_from_config, ranges

log = logging.getLogger(__name__)

Limit = dict[str, float]  # {"hours": N} or {"working_days": N}

DEFAULT_TIME_LIMITS: dict[str, Limit] = {
    "emergency": {"hours": 2},
    "urgent": {"hours": 24},
    "utilities": {"hours": 24},
    "general": {"working_days": 5},
    "complex": {"working_days": 15},
}
DEFAULT_SIGN_FOR_LIMITS: dict[str, Limit] = {
    "emergency": {"hours": 2},
    "urgent": {"hours": 2},
    "normal": {"working_days": 1},
}
ANY_CLASS = "*"  # in REQUEST_TYPE_TIME_LIMITS: every class a type does not name
DEFAULT_CLASS_URGENCY = {"emergency": "emergency", "urgent": "urgent", "utilities": "urgent"}
URGENCY_RANK = {"normal": 0, "urgent": 1, "emergency": 2}
WARN_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Terms:
    """What a case gets at dispatch (or reopening)."""

    time_limit_class: str
    urgency: str
    sign_for_deadline: dt.datetime
    deadline: dt.datetime
    uncovered: tuple[dt.date, ...] = field(default=())  # dates counted that no official calendar covers
    request_type: str | None = None  # the type whose own limit the deadline follows, if any

    @property
    def uncovered_ranges(self) -> list[list[str]]:
        return ranges(sorted(self.uncovered))


class UncoveredLog:
    """Logs deadlines counted over uncovered days loudly, but at most once a minute."""

    def __init__(self) -> None:
        self.last = 0.0
        self.since = 0

    def report(self, calendar: WeekendCalendar, what: str, days: Iterable[dt.date]) -> None:
        calendar.uncovered_deadlines += 1
        self.since += 1
        now = time.monotonic()
        if now - self.last >= WARN_EVERY_SECONDS:
            spans = ", ".join(f"{a}..{b}" if a != b else a for a, b in ranges(sorted(days))[:3])
            log.warning("*** %s counted over %s, which no official calendar covers (working "
                        "weekends unknown); %d such deadline(s) since the last warning. Load the "
                        "city's calendar file: hotline calendar load FILE ***", what, spans, self.since)
            self.last, self.since = now, 0


UNCOVERED = UncoveredLog()


def _limit(value: object, name: str) -> object:
    if not isinstance(value, dict) or len(value) != 1 or not {"hours", "working_days"} & set(value):
        raise ValueError(f"{name}: give {{hours: N}} or {{working_days: N}}, got {value!r}")
    amount = float(next(iter(value.values())))
    if not 0 < amount <= 366 * 24:
        raise ValueError(f"{name}: {amount} is not a usable limit")
    return value


def _type_limits(config: Mapping[str, Mapping[str, Limit]]) -> dict[str, dict[str, Limit]]:
    """``REQUEST_TYPE_TIME_LIMITS`` checked: ``{type: {class or "*": limit}}``."""
    checked: dict[str, dict[str, Limit]] = {}
    for request_type, by_class in config.items():
        if request_type not in REQUEST_TYPES:
            raise ValueError(f"REQUEST_TYPE_TIME_LIMITS: {request_type!r} is no request type "
                             f"({', '.join(REQUEST_TYPES)})")
        if not isinstance(by_class, Mapping):
            raise ValueError(f"REQUEST_TYPE_TIME_LIMITS.{request_type}: give {{class or \"*\": limit}}")
        for name, limit in by_class.items():
            _limit(limit, f"REQUEST_TYPE_TIME_LIMITS.{request_type}.{name}")
        checked[request_type] = dict(by_class)
    return checked


class DeadlinePolicy:
    def __init__(self, time_limits: Mapping[str, Limit] | None = None,
                 sign_for_limits: Mapping[str, Limit] | None = None, calendar: WeekendCalendar | None = None,
                 timezone: str = "Asia/Shanghai", class_urgency: Mapping[str, str] | None = None,
                 type_limits: Mapping[str, Mapping[str, Limit]] | None = None) -> None:
        self.time_limits = {**DEFAULT_TIME_LIMITS, **(time_limits or {})}
        self.sign_for_limits = {**DEFAULT_SIGN_FOR_LIMITS, **(sign_for_limits or {})}
        for name, limit in (*self.time_limits.items(), *self.sign_for_limits.items()):
            _limit(limit, name)
        self.type_limits = _type_limits(type_limits or {})
        self.class_urgency = {**DEFAULT_CLASS_URGENCY, **(class_urgency or {})}
        self.calendar = calendar
        self.zone = ZoneInfo(timezone)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], calendar: WeekendCalendar | None = None) -> "DeadlinePolicy":
        return cls(config.get("TIME_LIMITS"), config.get("SIGN_FOR_LIMITS"),
                   calendar or calendar_from_config(config),
                   (config.get("CITY") or {}).get("timezone", "Asia/Shanghai"),
                   config.get("CLASS_URGENCY"), config.get("REQUEST_TYPE_TIME_LIMITS"))

    # -- the pieces ------------------------------------------------------------

    def _apply(self, start: dt.datetime, limit: Mapping[str, float], what: str = "",
               report: bool = True) -> tuple[dt.datetime, tuple[dt.date, ...]]:
        """``(moment, uncovered days)``: ``start`` plus ``limit``."""
        if "hours" in limit:
            return start + dt.timedelta(hours=float(limit["hours"])), ()
        calendar = self.calendar
        if calendar is None:
            raise ValueError("a limit in working days needs a calendar: DeadlinePolicy(calendar=...)")
        local = start.astimezone(self.zone)
        end = add_working_days(calendar, local, int(limit["working_days"]))
        uncovered = tuple(calendar.uncovered(local.date(), end.date()))
        if uncovered and report:
            UNCOVERED.report(calendar, what or "a deadline", uncovered)
        return end.astimezone(dt.UTC), uncovered

    def nominal_seconds(self, time_limit_class: str) -> float:
        """How long a class's limit is, roughly (a working day as a day): to compare classes."""
        limit = self.time_limits.get(time_limit_class) or self.time_limits["general"]
        return float(limit.get("hours", 0)) * 3600 + float(limit.get("working_days", 0)) * 86400

    def runs_on_the_clock(self, time_limit_class: str) -> bool:
        return "hours" in (self.time_limits.get(time_limit_class) or self.time_limits["general"])

    def urgency_for(self, time_limit_class: str, urgency: str = "normal") -> str:
        """The stricter of the urgency picked and the one the class implies."""
        picked = urgency if urgency in URGENCY_RANK else "normal"
        implied = self.class_urgency.get(time_limit_class) or "normal"
        return max(picked, implied, key=lambda u: URGENCY_RANK.get(u, 0))

    def limit_class(self, time_limit_class: str, urgency: str = "normal") -> str:
        if self.urgency_for(time_limit_class, urgency) == "emergency":
            return "emergency"
        if time_limit_class not in self.time_limits:
            return "general"
        return time_limit_class

    def type_limit(self, request_type: str | None, limit_class: str) -> Limit | None:
        """The request type's own limit for ``limit_class``, or ``None``: the class's applies.

        An emergency is an emergency whatever was asked."""
        if not request_type or limit_class == "emergency":
            return None
        own = self.type_limits.get(request_type) or {}
        return own.get(limit_class) or own.get(ANY_CLASS)

    # -- the rule ------------------------------------------------------------------

    def terms(self, start: dt.datetime, time_limit_class: str, urgency: str = "normal", report: bool = True,
              request_type: str | None = None) -> Terms:
        """The class, urgency and deadlines of a case dispatched (or reopened) at ``start``.

        ``report=False`` for a preview: uncovered days are flagged, not counted or logged.
        ``request_type``: the ticket's type, whose own limit replaces the class's when it has one.
        """
        urgency = self.urgency_for(time_limit_class, urgency)
        limit_class = self.limit_class(time_limit_class, urgency)
        own = self.type_limit(request_type, limit_class)
        deadline, uncovered = self._apply(start, own or self.time_limits[limit_class], "a reply deadline",
                                          report)
        if urgency == "urgent":
            urgent, _ = self._apply(start, self.time_limits["urgent"])
            if urgent < deadline:
                deadline, uncovered = urgent, ()
        limit = self.sign_for_limits.get(urgency) or self.sign_for_limits["normal"]
        sign_for, more = self._apply(start, limit, "a sign-for deadline", report)
        if sign_for > deadline:
            sign_for, more = deadline, ()
        return Terms(limit_class, urgency, sign_for, deadline, tuple(sorted(set(uncovered) | set(more))),
                     request_type if own else None)

    def reply_deadline(self, start: dt.datetime, time_limit_class: str, urgency: str = "normal") -> dt.datetime:
        """When the department's reply is due, counted from dispatch."""
        return self.terms(start, time_limit_class, urgency).deadline

    def sign_for_deadline(self, start: dt.datetime, urgency: str = "normal",
                          time_limit_class: str = "general") -> dt.datetime:
        """When the department must have signed for it, counted from dispatch."""
        return self.terms(start, time_limit_class, urgency).sign_for_deadline

    def plus_working_days(self, moment: dt.datetime, days: int,
                          what: str = "a deadline") -> tuple[dt.datetime, tuple[dt.date, ...]]:
        """``(moment + days working days, uncovered days)``, for extensions and windows."""
        return self._apply(moment, {"working_days": days}, what)
