"""The supervision ladder (督办): which step a watched case is due for, and when.

Pure Python. For the current *round* of a case (a round starts when the case
is assigned, re-routed after a refusal, or reopened) the steps are:

* ``sign_for_reminder`` -- at the sign-for deadline, if not signed for;
* ``yellow_card`` (预警) -- ``yellow_card_working_days`` before the deadline;
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

from shared.calendar import add_working_days

WATCHING = "watching"

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


def working_days_before(calendar, moment, n):
    """``moment`` (local) less ``n`` working days, same time of day."""
    day = moment.date()
    for _ in range(n):
        day -= dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, moment.timetz())


class Ladder:
    def __init__(self, calendar, zone, yellow_card_working_days=1,
                 supervision_every_working_days=2, levels=DEFAULT_LEVELS,
                 rejection_limit=3, rejection_level=2):
        self.calendar = calendar
        self.zone = zone
        self.yellow_days = int(yellow_card_working_days)
        self.every = int(supervision_every_working_days)
        self.levels = list(levels) or list(DEFAULT_LEVELS)
        self.rejection_limit = int(rejection_limit)
        self.rejection_level = min(max(int(rejection_level), 1), len(self.levels))

    @classmethod
    def from_config(cls, config, calendar, zone):
        ladder = (config.get("NOTIFY") or {}).get("ladder") or {}
        return cls(calendar, zone,
                   ladder.get("yellow_card_working_days", 1),
                   ladder.get("supervision_every_working_days", 2),
                   ladder.get("levels") or DEFAULT_LEVELS,
                   ladder.get("rejection_limit", 3),
                   ladder.get("rejection_level", 2))

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
            yellow = working_days_before(self.calendar, local, self.yellow_days)
            steps.append(Step("yellow_card", yellow.astimezone(dt.timezone.utc),
                              reason=f"deadline within {self.yellow_days} working day(s)"))
            steps.append(Step("red_card", deadline, reason="deadline passed"))
            for index in range(1, len(self.levels) + 1):
                at = add_working_days(self.calendar, local, index * self.every)
                steps.append(Step(f"supervision_{index}", at.astimezone(dt.timezone.utc),
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
