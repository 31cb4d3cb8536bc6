"""The yellow card (预警) means something: never at dispatch, fitted to every time limit."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.notify.bootstrap import ladder_from_config
from services.notify.domain import watch as domain
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy

ZONE = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
CALENDAR = ChineseCalendar()
POLICY = DeadlinePolicy(calendar=CALENDAR)


def local(*args):
    return dt.datetime(*args, tzinfo=ZONE).astimezone(UTC)


def ladder(**kwargs):
    return ladder_from_config({"NOTIFY": {"ladder": kwargs}}, CALENDAR, ZONE)


def watch_for(dispatched, time_limit_class, urgency="normal", policy=POLICY):
    terms = policy.terms(dispatched, time_limit_class, urgency)
    event = {"event_id": "e1", "number": "QD-1", "department_code": "WATER",
             "deadline": terms.deadline, "sign_for_deadline": terms.sign_for_deadline,
             "assigned_at": dispatched, "time_limit_class": terms.time_limit_class}
    watch = domain.new_watch("QD-1", dispatched)
    watch.update(domain.apply(watch, "assigned", event, dispatched))
    return watch


def yellow(rules, watch):
    [step] = [s for s in rules.steps(watch) if s.name == "yellow_card"]
    return step


def test_an_urgent_water_ticket_at_night_gets_its_card_at_three_quarters_of_the_day():
    # The case that went wrong: dispatched 04:28, reply due 04:28 the next day.
    dispatched = local(2026, 11, 26, 4, 28)
    watch = watch_for(dispatched, "utilities", "urgent")
    assert watch["deadline"] == local(2026, 11, 27, 4, 28)
    step = yellow(ladder(), watch)
    assert step.at == local(2026, 11, 26, 22, 28)  # 18 of the 24 hours gone
    assert ladder().due(watch, dispatched + dt.timedelta(seconds=5)) == []
    assert "75%" in step.reason


def test_an_emergency_is_warned_after_ninety_minutes():
    dispatched = local(2026, 11, 28, 15, 0)  # a Saturday: emergencies run on the clock
    assert yellow(ladder(), watch_for(dispatched, "emergency")).at == local(2026, 11, 28, 16, 30)


def test_a_five_working_day_case_is_warned_one_working_day_before():
    dispatched = local(2026, 11, 27, 17, 30)  # Friday evening
    watch = watch_for(dispatched, "general")
    assert watch["deadline"] == local(2026, 12, 4, 17, 30)
    assert yellow(ladder(), watch).at == local(2026, 12, 3, 17, 30)


def test_a_short_working_day_limit_is_warned_in_working_time():
    policy = DeadlinePolicy({"general": {"working_days": 2}}, calendar=CALENDAR)
    dispatched = local(2026, 11, 26, 9)  # Thursday 09:00 -> Monday 09:00
    watch = watch_for(dispatched, "general", policy=policy)
    assert watch["deadline"] == local(2026, 11, 30, 9)
    # 48 working hours (Thu 15 h, Fri 24 h, Mon 9 h); 36 h in: Friday 21:00, not the weekend.
    assert yellow(ladder(), watch).at == local(2026, 11, 27, 21)


def test_the_share_and_the_short_limit_are_the_citys_to_set():
    watch = watch_for(local(2026, 11, 26, 4, 28), "utilities", "urgent")
    assert yellow(ladder(yellow_card_share=0.5), watch).at == local(2026, 11, 26, 16, 28)
    five = watch_for(local(2026, 11, 27, 17, 30), "general")
    shared_out = yellow(ladder(yellow_card_short_limit_working_days=5), five).at
    assert shared_out == local(2026, 12, 3, 11, 30)  # 75% of the 5 working days' time
    with pytest.raises(ValueError, match="yellow_card_share"):
        ladder(yellow_card_share=1.5)


def test_an_extension_moves_the_card():
    rules, watch = ladder(), watch_for(local(2026, 11, 23, 9), "general")
    before = yellow(rules, watch).at
    watch.update(domain.apply(watch, "extension_decided", {"deadline": local(2026, 12, 7, 9)}, None))
    assert yellow(rules, watch).at == local(2026, 12, 4, 9) and before == local(2026, 11, 27, 9)


MOMENTS = [local(2026, 1, 1, 0, 7) + dt.timedelta(hours=7 * n) for n in range(0, 1700, 3)]


@pytest.mark.parametrize("time_limit_class", ["emergency", "urgent", "utilities", "general", "complex"])
def test_never_at_dispatch_and_always_before_the_deadline(time_limit_class):
    rules = ladder()
    for dispatched in MOMENTS:  # every 21 hours through 2026 and into 2027
        watch = watch_for(dispatched, time_limit_class)
        at = yellow(rules, watch).at
        assert dispatched < at < watch["deadline"], (time_limit_class, dispatched, at)
        if not POLICY.runs_on_the_clock(time_limit_class):
            # counted in working time, so it falls on a working day
            assert CALENDAR.is_working_day(at.astimezone(ZONE).date()), (dispatched, at)
