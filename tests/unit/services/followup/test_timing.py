"""Followup's own time rules on the official calendar: refusal window,
extensions, callback date, reopened deadlines and handling time."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


@pytest.fixture
def clock():
    return FollowupClock(DeadlinePolicy(calendar=ChineseCalendar(extra_holidays=["2027-01-01"])))


def test_refusal_window_is_two_working_days_across_spring_festival(clock):
    # Dispatched Fri 13 Feb 2026: Sat 14 Feb works (调休), 15-23 Feb are the holiday.
    assert clock.refusal_deadline(at(2026, 2, 13)) == at(2026, 2, 24)
    # Dispatched on the holiday itself: counting starts 24 Feb 00:00, two days -> 26 Feb 00:00.
    assert clock.refusal_deadline(at(2026, 2, 18, 15)) == at(2026, 2, 26, 0)


def test_refusal_window_over_national_day_and_its_working_saturday(clock):
    # Tue 29 Sep 2026 + 2 working days: 30 Sep, then 1-7 Oct off -> Thu 8 Oct.
    assert clock.refusal_deadline(at(2026, 9, 29, 16)) == at(2026, 10, 8, 16)
    # Fri 9 Oct + 2: Sat 10 Oct is a working day, then Mon 12 Oct.
    assert clock.refusal_deadline(at(2026, 10, 9)) == at(2026, 10, 12)


def test_extension_moves_the_deadline_in_force_by_working_days(clock):
    # Deadline Thu 24 Sep 2026 + 3 wd: Fri 25 Sep (Mid-Autumn) and the weekend are off,
    # so Mon 28, Tue 29, Wed 30 Sep.
    assert clock.extended_deadline(at(2026, 9, 24), 3) == at(2026, 9, 30)
    # + 4 wd: Thu 8 Oct, after National Day (1-7 Oct).
    assert clock.extended_deadline(at(2026, 9, 24), 4) == at(2026, 10, 8)
    # The full 10 working days from 30 Sep: 8, 9, 10 (Sat), 12, 13, 14, 15, 16, 19, 20 Oct.
    assert clock.extended_deadline(at(2026, 9, 30), 10) == at(2026, 10, 20)
    assert clock.max_extension_working_days == 10


def test_extension_across_the_year_boundary(clock):
    # 30 Dec 2026 + 3 wd: 31 Dec, (1 Jan 2027 configured holiday, weekend) 4 Jan, 5 Jan.
    assert clock.extended_deadline(at(2026, 12, 30), 3) == at(2027, 1, 5)


def test_callback_is_due_by_the_end_of_the_next_working_day(clock):
    # Approved Wed 30 Sep 2026: next working day Thu 8 Oct; due when it ends.
    assert clock.callback_due(at(2026, 9, 30, 17)) == at(2026, 10, 9, 0)
    # Approved Fri 13 Feb 2026: Sat 14 Feb is a working day.
    assert clock.callback_due(at(2026, 2, 13, 9)) == at(2026, 2, 15, 0)
    # Approved Sat 14 Feb: next working day is 24 Feb, after the Spring Festival.
    assert clock.callback_due(at(2026, 2, 14, 9)) == at(2026, 2, 25, 0)
    # Approved 31 Dec 2026: 1 Jan 2027 is a holiday, then the weekend -> Mon 4 Jan.
    assert clock.callback_due(at(2026, 12, 31, 11)) == at(2027, 1, 5, 0)


def test_reopened_case_gets_fresh_deadlines_from_now(clock):
    reopened = at(2026, 9, 30, 10).astimezone(dt.UTC)
    # general: 5 wd from 30 Sep -> 8, 9, 10 (Sat), 12, 13 Oct.
    assert clock.reply_deadline(reopened, "general", "normal") == at(2026, 10, 13)
    assert clock.sign_for_deadline(reopened, "normal") == at(2026, 10, 8)
    assert clock.sign_for_deadline(reopened, "urgent") == reopened + dt.timedelta(hours=2)


def test_handling_time_counts_only_working_days(clock):
    # Fri 13 Feb 12:00 to Tue 24 Feb 12:00: half of 13, all of 14 (Sat, working), half of 24.
    assert clock.working_days_between(at(2026, 2, 13, 12), at(2026, 2, 24, 12)) == 2.0
    assert clock.working_days_between(at(2026, 10, 1), at(2026, 10, 7)) == 0.0
    assert clock.working_days_between(at(2026, 10, 9, 18), at(2026, 10, 9, 6)) == 0.0


def test_settings_come_from_config():
    clock = FollowupClock.from_config({"FOLLOWUP": {"refusal_working_days": 1,
                                                    "max_extension_working_days": 5}})
    assert clock.refusal_working_days == 1 and clock.max_extension_working_days == 5
    assert clock.callback_tries == 3
