"""How long a department has: the city's time-limit policy.

Limits come from configuration (``TIME_LIMITS`` by class, ``SIGN_FOR_LIMITS``
by urgency), each either ``{hours: N}`` on the clock or ``{working_days: N}``
on the city's working-day calendar, in the city's time zone. An emergency
always runs on the emergency limit; an urgent ticket gets the shorter of its
class's limit and the urgent one.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from shared.calendar import add_working_days, calendar_from_config

DEFAULT_TIME_LIMITS = {
    "emergency": {"hours": 2},
    "urgent": {"hours": 24},
    "utilities": {"hours": 24},
    "general": {"working_days": 5},
    "complex": {"working_days": 15},
}
DEFAULT_SIGN_FOR_LIMITS = {
    "emergency": {"hours": 2},
    "urgent": {"hours": 2},
    "normal": {"working_days": 1},
}


class DeadlinePolicy:
    def __init__(self, time_limits=None, sign_for_limits=None, calendar=None,
                 timezone="Asia/Shanghai"):
        self.time_limits = {**DEFAULT_TIME_LIMITS, **(time_limits or {})}
        self.sign_for_limits = {**DEFAULT_SIGN_FOR_LIMITS, **(sign_for_limits or {})}
        self.calendar = calendar
        self.zone = ZoneInfo(timezone)

    @classmethod
    def from_config(cls, config):
        return cls(config.get("TIME_LIMITS"), config.get("SIGN_FOR_LIMITS"),
                   calendar_from_config(config),
                   (config.get("CITY") or {}).get("timezone", "Asia/Shanghai"))

    def _apply(self, start, limit):
        if "hours" in limit:
            return start + dt.timedelta(hours=float(limit["hours"]))
        local = start.astimezone(self.zone)
        return add_working_days(self.calendar, local, int(limit["working_days"])).astimezone(dt.timezone.utc)

    def limit_class(self, time_limit_class, urgency):
        if urgency == "emergency":
            return "emergency"
        if time_limit_class not in self.time_limits:
            return "general"
        return time_limit_class

    def reply_deadline(self, start, time_limit_class, urgency="normal"):
        """When the department's reply is due, counted from dispatch."""
        deadline = self._apply(start, self.time_limits[self.limit_class(time_limit_class, urgency)])
        if urgency == "urgent":
            deadline = min(deadline, self._apply(start, self.time_limits["urgent"]))
        return deadline

    def sign_for_deadline(self, start, urgency="normal"):
        """When the department must have signed for it, counted from dispatch."""
        limit = self.sign_for_limits.get(urgency) or self.sign_for_limits["normal"]
        return self._apply(start, limit)
