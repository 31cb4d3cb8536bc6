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
refused case waits for its new department; a closed one is done. Each step is
recorded in the watch as ``"<round>:<step>"``, so it happens once per round.
"""
import datetime as dt
from dataclasses import dataclass

from shared.timelimits.calendar import (
    add_working_days,
    after_working_seconds,
    working_days_before,
    working_seconds_between,
)

WATCHING = "watching"
CLOCK_CLASSES = ("emergency", "urgent", "utilities")  # limits in hours (config decides)

DEFAULT_LEVELS = (
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

    def key(self, round_):
        return f"{round_}:{self.name}"


class Ladder:
    def __init__(self, calendar, zone, yellow_card_working_days=1,
                 supervision_every_working_days=2, levels=DEFAULT_LEVELS,
                 rejection_limit=3, rejection_level=2, yellow_card_short_limit_working_days=2,
                 yellow_card_share=0.75, clock_classes=CLOCK_CLASSES):
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

    @classmethod
    def from_config(cls, config, calendar, zone):
        from shared.timelimits.deadlines import DeadlinePolicy

        ladder = (config.get("NOTIFY") or {}).get("ladder") or {}
        policy = DeadlinePolicy.from_config(config, calendar)
        return cls(calendar, zone,
                   ladder.get("yellow_card_working_days", 1),
                   ladder.get("supervision_every_working_days", 2),
                   ladder.get("levels") or DEFAULT_LEVELS,
                   ladder.get("rejection_limit", 3),
                   ladder.get("rejection_level", 2),
                   ladder.get("yellow_card_short_limit_working_days", 2),
                   ladder.get("yellow_card_share", 0.75),
                   {name for name in policy.time_limits if policy.runs_on_the_clock(name)})

    def warning(self, start, deadline, time_limit_class=None):
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

    def level(self, number):
        return self.levels[number - 1]

    def steps(self, watch):
        """Every step of the watch's current round, in order, done or not."""
        if watch.get("state") != WATCHING:
            return []
        steps = []
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

    def pending(self, watch):
        done = set(watch.get("steps_done") or ())
        round_ = watch.get("round", 1)
        return [step for step in self.steps(watch) if step.key(round_) not in done]

    def due(self, watch, now):
        """Steps not yet taken whose time has come, earliest first."""
        return [step for step in self.pending(watch) if step.at <= now]

    def next_check(self, watch):
        """When the earliest step not yet taken falls due; ``None`` if nothing is left."""
        pending = self.pending(watch)
        return pending[0].at if pending else None
