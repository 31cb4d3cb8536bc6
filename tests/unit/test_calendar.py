"""Deadline arithmetic on the official Chinese calendar (调休 included)."""
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import ChineseCalendar, WeekendCalendar, add_working_days, calendar_from_config
from shared.deadlines import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


@pytest.fixture
def cn():
    return ChineseCalendar()


def test_spring_festival_2026_is_skipped(cn):
    # Fri 13 Feb 2026 10:00 + 1 working day: Sat 14 Feb is a working Saturday (调休).
    assert add_working_days(cn, at(2026, 2, 13), 1) == at(2026, 2, 14)
    # From Sat 14 Feb, the next working day is after the holiday (15-23 Feb).
    assert add_working_days(cn, at(2026, 2, 14), 1) == at(2026, 2, 24)
    # 5 working days from Thu 12 Feb: 13, 14(Sat), 24, 25, 26.
    assert add_working_days(cn, at(2026, 2, 12), 5) == at(2026, 2, 26)


def test_working_saturday_after_spring_festival(cn):
    # Fri 27 Feb + 1 working day lands on Sat 28 Feb, a working day.
    assert add_working_days(cn, at(2026, 2, 27, 15), 1) == at(2026, 2, 28, 15)


def test_national_day_2026(cn):
    # Wed 30 Sep + 1 working day: 1-7 Oct are holidays, 8 Oct is the next working day.
    assert add_working_days(cn, at(2026, 9, 30), 1) == at(2026, 10, 8)
    # Sun 20 Sep 2026 is a working Sunday.
    assert cn.is_working_day(dt.date(2026, 9, 20))
    # 3 working days from Thu 8 Oct: 9, 10 (Sat, working), 12.
    assert add_working_days(cn, at(2026, 10, 8), 3) == at(2026, 10, 12)


def test_submitted_on_a_holiday_counts_from_the_next_working_day(cn):
    # Received 3 Oct (holiday): 1 working day = all of 8 Oct, due at midnight 9 Oct.
    assert add_working_days(cn, at(2026, 10, 3, 21), 1) == at(2026, 10, 9, 0)


def test_year_boundary_falls_back_to_weekends_and_says_so(caplog):
    calendar = ChineseCalendar(extra_holidays=["2027-01-01"])
    with caplog.at_level(logging.WARNING):
        # Thu 31 Dec 2026 + 1: Fri 1 Jan 2027 is a configured holiday, then the weekend.
        assert add_working_days(calendar, at(2026, 12, 31), 1) == at(2027, 1, 4)
    assert any("2027" in r.getMessage() and "not in chinesecalendar" in r.getMessage()
               for r in caplog.records)


def test_weekend_calendar_for_other_cities():
    calendar = WeekendCalendar(extra_holidays=["2026-12-25"])
    # Thu 24 Dec + 1 working day: 25 Dec holiday, weekend, Monday 28 Dec.
    assert add_working_days(calendar, at(2026, 12, 24), 1) == at(2026, 12, 28)


def test_calendar_from_config_rejects_unknown_kind():
    with pytest.raises(ValueError, match="CALENDAR"):
        calendar_from_config({"CALENDAR": "martian"})


def test_policy_classes_and_urgency():
    policy = DeadlinePolicy(calendar=ChineseCalendar())
    start = at(2026, 2, 12).astimezone(dt.timezone.utc)
    assert policy.reply_deadline(start, "general") == at(2026, 2, 26)
    assert policy.reply_deadline(start, "utilities") == start + dt.timedelta(hours=24)
    assert policy.reply_deadline(start, "general", "emergency") == start + dt.timedelta(hours=2)
    assert policy.reply_deadline(start, "complex", "urgent") == start + dt.timedelta(hours=24)
    assert policy.sign_for_deadline(start, "normal") == at(2026, 2, 13)
    assert policy.sign_for_deadline(start, "urgent") == start + dt.timedelta(hours=2)
    assert policy.limit_class("nonsense", "normal") == "general"
