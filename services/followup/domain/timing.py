"""Followup's clock: every deadline a case meets after dispatch.

Over the shared deadline policy and working-day calendar:

* reply and sign-for deadlines (``TIME_LIMITS`` / ``SIGN_FOR_LIMITS``), used
  again when a case is reopened (重办);
* the refusal window (退单): ``FOLLOWUP.refusal_working_days`` (2) from dispatch;
* extensions (延期): at most ``FOLLOWUP.max_extension_working_days`` (10) in
  all, added to the deadline in force;
* refusal review (派单异议审核): ``FOLLOWUP.refusal_review`` (on) -- a lead's refusal
  waits for the centre's dispatchers;
* the callback (回访): by the end of the next working day after approval;
* appeals (考核申诉): ``FOLLOWUP.appeal_working_days`` (5) after the event appealed;
* reopenings (重办): at most ``FOLLOWUP.reopen_limit`` (2) per unit, then the case
  is raised a level (提级办理);
* a hold (挂账): rechecked on a day at most ``FOLLOWUP.max_hold_days`` (366) ahead;
* handling time in working days (fractions of working days count);
* rebounds (防反弹): the window and the closures held to account (``REBOUNDS``,
  ``shared.contract.rebounds``).
"""
import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from shared.contract.rebounds import ReboundTerms
from shared.timelimits import calendar as calendars
from shared.timelimits.deadlines import DeadlinePolicy, Terms

# typed views of the time-limit kernel's functions (it is not annotated throughout yet)
next_working_day = cast(Callable[[Any, dt.date], dt.date], calendars.next_working_day)

DEFAULTS: dict[str, int] = {"refusal_working_days": 2, "max_extension_working_days": 10, "callback_tries": 3,
                            "appeal_working_days": 5, "reopen_limit": 2, "max_hold_days": 366}


class FollowupClock:
    def __init__(self, policy: DeadlinePolicy, **settings: Any) -> None:
        self.policy: Any = policy
        self.calendar: Any = self.policy.calendar
        self.zone: dt.tzinfo = self.policy.zone
        self.settings = {**DEFAULTS, **{k: v for k, v in settings.items() if v is not None}}
        self.rebounds = ReboundTerms()  # what a rebound is (防反弹): the window, the outcomes held to account

    @classmethod
    def from_config(cls, config: dict[str, Any], calendar: Any = None) -> "FollowupClock":
        policy: Any = DeadlinePolicy
        clock = cls(policy.from_config(config, calendar), **(config.get("FOLLOWUP") or {}))
        clock.rebounds = ReboundTerms.from_config(config)  # a wrong REBOUNDS stops the service at start
        return clock

    @property
    def refusal_working_days(self) -> int:
        return int(self.settings["refusal_working_days"])

    @property
    def max_extension_working_days(self) -> int:
        return int(self.settings["max_extension_working_days"])

    @property
    def callback_tries(self) -> int:
        return int(self.settings["callback_tries"])

    @property
    def refusal_review(self) -> bool:
        """Whether a lead's refusal waits for the centre's review (派单异议审核) before re-routing."""
        value = self.settings.get("refusal_review", True)
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")

    @property
    def appeal_working_days(self) -> int:
        return int(self.settings["appeal_working_days"])

    @property
    def reopen_limit(self) -> int:
        return int(self.settings["reopen_limit"])

    @property
    def max_hold_days(self) -> int:
        return int(self.settings["max_hold_days"])

    def start_of_day(self, day: dt.date) -> dt.datetime:
        """The first moment of the local ``day``, in UTC."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)

    def _plus_working_days(self, moment: dt.datetime, days: int, what: str = "a deadline") -> dt.datetime:
        moved: dt.datetime = self.policy.plus_working_days(moment, days, what)[0]
        return moved

    def terms(self, start: dt.datetime, time_limit_class: str, urgency: str,
              request_type: str | None = None) -> Terms:
        """The deadlines of a round starting at ``start`` (the one rule, ``DeadlinePolicy.terms``)."""
        terms: Terms = self.policy.terms(start, time_limit_class, urgency, request_type=request_type)
        return terms

    def reply_deadline(self, start: dt.datetime, time_limit_class: str, urgency: str) -> dt.datetime:
        deadline: dt.datetime = self.policy.reply_deadline(start, time_limit_class, urgency)
        return deadline

    def sign_for_deadline(self, start: dt.datetime, urgency: str,
                          time_limit_class: str = "general") -> dt.datetime:
        deadline: dt.datetime = self.policy.sign_for_deadline(start, urgency, time_limit_class)
        return deadline

    def refusal_deadline(self, assigned_at: dt.datetime) -> dt.datetime:
        """The last moment a department may refuse (退单) a case dispatched at ``assigned_at``."""
        return self._plus_working_days(assigned_at, self.refusal_working_days, "a refusal window")

    def appeal_deadline(self, event_at: dt.datetime) -> dt.datetime:
        """The last moment a unit may appeal (考核申诉) a scored event of ``event_at``."""
        return self._plus_working_days(event_at, self.appeal_working_days, "an appeal window")

    def extended_deadline(self, deadline: dt.datetime, working_days: int) -> dt.datetime:
        """The deadline in force moved ``working_days`` working days later."""
        return self._plus_working_days(deadline, working_days, "an extended deadline")

    def callback_due(self, approved_at: dt.datetime) -> dt.datetime:
        """The end (midnight) of the next working day after approval."""
        day = next_working_day(self.calendar, self.local(approved_at).date())
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)
        return end.astimezone(dt.UTC)

    def same_local_day(self, a: dt.datetime, b: dt.datetime) -> bool:
        return self.local(a).date() == self.local(b).date()

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working days elapsed from ``start`` to ``end``, counting parts of days."""
        if end <= start:
            return 0.0
        start, end = self.local(start), self.local(end)
        total = 0.0
        day = start.date()
        while day <= end.date():
            if self.calendar.is_working_day(day):
                day_start = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
                day_end = day_start + dt.timedelta(days=1)
                overlap = min(end, day_end) - max(start, day_start)
                total += max(overlap.total_seconds(), 0) / 86400
            day += dt.timedelta(days=1)
        return round(total, 2)
