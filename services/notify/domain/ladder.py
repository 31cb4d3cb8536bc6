"""The supervision ladder (督办): which step a watched case is due for, and when.

Pure Python. For the current *round* of a case (a round starts when the case
is assigned, re-routed after a refusal, or reopened) the steps are:

* ``sign_for_reminder`` -- at the sign-for deadline, if not signed for;
* ``yellow_card`` (预警) -- the warning: ``yellow_card_working_days`` (1) before
  the deadline; for a time limit of ``yellow_card_short_limit_working_days`` (2)
  working days or less (a 2-hour or 24-hour case, a 2-working-day case) when
  ``yellow_card_share`` (75%) of the time from dispatch to the deadline has gone,
  counted on the clock for limits in hours and in working time for limits in
  working days. It always falls after dispatch and before the deadline;
* ``red_card`` -- at the deadline;
* ``supervision_1`` .. ``supervision_N`` (督办单), one per configured level
  (department head -> supervising office -> city leadership), every
  ``supervision_every_working_days`` after the deadline while it stays overdue;
* ``rejections`` -- a supervision order once the reply was sent back
  ``rejection_limit`` times.

Cards and orders stop once a reply is in (they resume if it is rejected); a
refused case waits for its new department; a closed one is done. A case on
hold (挂账) has one step: ``hold_recheck``, on its recheck day. Each step is
recorded in the watch as ``"<round>:<step>"``, so it happens once per round.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from shared.timelimits import calendar as working_time

# The calendar's arithmetic, with the types the ladder relies on (``shared.timelimits.calendar``).
add_working_days: Callable[[Any, dt.datetime, int], dt.datetime] = working_time.add_working_days
after_working_seconds: Callable[[Any, dt.datetime, float], dt.datetime] = working_time.after_working_seconds
working_days_before: Callable[[Any, dt.datetime, int], dt.datetime] = working_time.working_days_before
working_seconds_between: Callable[[Any, dt.datetime, dt.datetime], float] = working_time.working_seconds_between

Level = Mapping[str, Any]  # a supervision level: code, name, name_en, its contacts

WATCHING = "watching"
HOLD_RECHECK = "hold_recheck"  # the one step of a case on hold (挂账)
CLOCK_CLASSES = ("emergency", "urgent", "utilities")  # limits in hours (config decides)

DEFAULT_LEVELS: tuple[Level, ...] = (
    {"code": "department_head", "name": "承办单位负责人", "name_en": "head of the department"},
    {"code": "supervising_office", "name": "市热线督办处", "name_en": "the supervising office"},
    {"code": "city_leadership", "name": "市政府分管领导", "name_en": "the city leadership"},
)


@dataclass(frozen=True)
class Step:
    name: str        # sign_for_reminder, yellow_card, red_card, supervision_2, rejections
    at: dt.datetime  # when it falls due
    level: int = 0   # the supervision level (1-based) for orders, else 0
    reason: str = ""

    def key(self, round_: int) -> str:
        return f"{round_}:{self.name}"


class Ladder:
    def __init__(self, calendar: Any, zone: dt.tzinfo | ZoneInfo, yellow_card_working_days: int = 1,
                 supervision_every_working_days: int = 2, levels: Sequence[Level] = DEFAULT_LEVELS,
                 rejection_limit: int = 3, rejection_level: int = 2,
                 yellow_card_short_limit_working_days: float = 2, yellow_card_share: float = 0.75,
                 clock_classes: Iterable[str] = CLOCK_CLASSES) -> None:
        self.calendar = calendar
        self.zone = zone
        self.yellow_days = int(yellow_card_working_days)
        self.short_limit = float(yellow_card_short_limit_working_days)
        self.share = float(yellow_card_share)
        if not 0 < self.share < 1 or self.yellow_days < 1 or not self.short_limit >= 0:
            raise ValueError("NOTIFY.ladder: yellow_card_share must be between 0 and 1, "
                             "yellow_card_working_days at least 1")
        self.clock_classes = set(clock_classes)
        self.every = int(supervision_every_working_days)
        self.levels = list(levels) or list(DEFAULT_LEVELS)
        self.rejection_limit = int(rejection_limit)
        self.rejection_level = min(max(int(rejection_level), 1), len(self.levels))

    def warning(self, start: dt.datetime | None, deadline: dt.datetime,
                time_limit_class: str | None = None) -> tuple[dt.datetime, str]:
        """``(when, why)`` of the yellow card of a case dispatched at ``start``, due at ``deadline``."""
        if start is None or start >= deadline:  # nothing to share out: as late as it can be
            return deadline, "deadline reached"
        local_start, local_deadline = start.astimezone(self.zone), deadline.astimezone(self.zone)
        if time_limit_class:
            on_clock = time_limit_class in self.clock_classes
        else:
            on_clock = deadline - start <= dt.timedelta(days=self.short_limit or 1)
        working = working_seconds_between(self.calendar, local_start, local_deadline)
        span = (deadline - start).total_seconds() / 86400 if on_clock else working / 86400
        if span > self.short_limit:
            at = working_days_before(self.calendar, local_deadline, self.yellow_days)
            if local_start < at < local_deadline:
                return at.astimezone(dt.UTC), \
                    f"deadline within {self.yellow_days} working day(s)"
        if on_clock or working <= 0:
            at = start + (deadline - start) * self.share
        else:
            at = after_working_seconds(self.calendar, local_start, working * self.share)
            at = at.astimezone(dt.UTC)
        return at, f"{self.share:.0%} of the time to the deadline gone"

    def level(self, number: int) -> Level:
        return self.levels[number - 1]

    def steps(self, watch: Mapping[str, Any]) -> list[Step]:
        """Every step of the watch's current round, in order, done or not."""
        if watch.get("state") != WATCHING:
            return []
        if watch.get("on_hold"):
            recheck_at = watch.get("recheck_at")
            return [Step(HOLD_RECHECK, recheck_at, reason="recheck day of the hold (挂账)")] if recheck_at else []
        steps: list[Step] = []
        if watch.get("sign_for_deadline") and not watch.get("signed_for"):
            steps.append(Step("sign_for_reminder", watch["sign_for_deadline"],
                              reason="sign-for deadline passed"))
        deadline = watch.get("deadline")
        if deadline and not watch.get("replied"):
            local = deadline.astimezone(self.zone)
            start = watch.get("dispatched_at") or watch.get("round_started_at")
            yellow, why = self.warning(start, deadline, watch.get("time_limit_class"))
            steps.append(Step("yellow_card", yellow, reason=why))
            steps.append(Step("red_card", deadline, reason="deadline passed"))
            for index in range(1, len(self.levels) + 1):
                at = add_working_days(self.calendar, local, index * self.every)
                steps.append(Step(f"supervision_{index}", at.astimezone(dt.UTC),
                                  level=index,
                                  reason=f"overdue {index * self.every} working days"))
        rejected_at = watch.get("rejected_at")
        if rejected_at and (watch.get("rejection_count") or 0) >= self.rejection_limit:
            steps.append(Step("rejections", rejected_at, level=self.rejection_level,
                              reason=f"reply rejected {watch['rejection_count']} times"))
        return sorted(steps, key=lambda step: step.at)

    def pending(self, watch: Mapping[str, Any], steps: Sequence[Step] | None = None) -> list[Step]:
        """Steps not yet taken, earliest first (of ``steps``, the watch's own, when given)."""
        done = set(watch.get("steps_done") or ())
        round_ = watch.get("round", 1)
        return [step for step in (self.steps(watch) if steps is None else steps) if step.key(round_) not in done]

    def due(self, watch: Mapping[str, Any], now: dt.datetime) -> list[Step]:
        """Steps not yet taken whose time has come, earliest first."""
        return [step for step in self.pending(watch) if step.at <= now]

    def next_check(self, watch: Mapping[str, Any], steps: Sequence[Step] | None = None) -> dt.datetime | None:
        """When the earliest step not yet taken falls due; ``None`` if nothing is left
        (``steps``: the watch's own, when the caller has them)."""
        pending = self.pending(watch, steps)
        return pending[0].at if pending else None
