"""Deadline arithmetic on the official Chinese calendar (调休 included), and what
the calendar knows it does not know."""
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.timelimits import deadlines
from shared.timelimits.calendar import (
    OFFICIAL,
    STATUTORY,
    ChineseCalendar,
    WeekendCalendar,
    add_working_days,
    after_working_seconds,
    calendar_from_config,
    readiness,
    working_seconds_between,
)
from shared.timelimits.calendar_files import BadCalendarFile, load_file, parse
from shared.timelimits.deadlines import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
SEED_2026 = Path(__file__).resolve().parents[4] / "seed" / "calendar" / "2026.yaml"


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


def test_2027_spring_festival_is_skipped_from_the_statutory_holidays(cn, caplog):
    # Fri 15 Jan 2027 + 15 working days. Weekdays alone end on Fri 5 Feb; the statutory
    # holidays (除夕 Fri 5 Feb, 春节 6-8 Feb) push it to Tue 9 Feb.
    with caplog.at_level(logging.WARNING):
        assert add_working_days(cn, at(2027, 1, 15, 9), 15) == at(2027, 2, 9, 9)
    assert not cn.is_working_day(dt.date(2027, 2, 5))
    assert cn.day(dt.date(2027, 2, 8)) == (False, "春节: statutory holidays, holidays "
                                           f"{__import__('holidays').__version__}", STATUTORY)
    assert any("NO OFFICIAL CALENDAR FOR 2027" in r.getMessage() for r in caplog.records)


def test_days_beyond_the_official_calendar_are_reported_uncovered(cn):
    assert cn.day(dt.date(2026, 12, 31)).kind == OFFICIAL
    assert cn.day(dt.date(2027, 3, 3)).kind == STATUTORY
    assert cn.uncovered(dt.date(2026, 12, 30), dt.date(2027, 1, 2)) == [
        dt.date(2027, 1, 1), dt.date(2027, 1, 2)]
    [year] = cn.coverage(2027, 2027)
    assert year["official"] is False and year["working_weekends"] == "unknown"
    assert year["uncovered"] == [["2027-01-01", "2027-12-31"]]
    assert cn.coverage(2026, 2026)[0]["official"] is True


def test_readiness_says_when_the_coming_weeks_are_not_covered(cn):
    assert readiness(cn, dt.date(2026, 11, 1), 42)["ready"] is True
    late = readiness(cn, dt.date(2026, 12, 1), 42)
    assert late == {"ready": False, "horizon_days": 42, "uncovered_from": "2027-01-01",
                    "uncovered_deadlines": 0}


def year_2027(**changes):
    """A made-up schedule in the file format (NOT the official one): for the mechanism."""
    document = {"year": 2027, "source": "test fixture, not an announcement", "complete": True,
                "holidays": [{"name": "春节", "from": "2027-02-05", "to": "2027-02-11"}],
                "workdays": [{"name": "春节调休", "date": "2027-02-20"}]}
    document.update(changes)
    return parse(document)


def test_a_city_file_decides_its_year_and_covers_it(cn):
    cn.set_years([year_2027()])
    assert cn.day(dt.date(2027, 2, 20)).working  # a working Saturday, from the file
    assert not cn.is_working_day(dt.date(2027, 2, 10))
    assert cn.day(dt.date(2027, 3, 3)).kind == OFFICIAL
    assert cn.uncovered(dt.date(2027, 1, 1), dt.date(2027, 12, 31)) == []
    assert cn.coverage(2027, 2027)[0]["official"] is True


def test_a_partial_city_file_overrides_only_what_it_lists(cn):
    cn.set_years([year_2027(complete=False)])
    assert cn.day(dt.date(2027, 2, 20)).working and cn.day(dt.date(2027, 2, 20)).kind == OFFICIAL
    assert cn.day(dt.date(2027, 3, 3)).kind == STATUTORY
    assert cn.coverage(2027, 2027)[0]["uncovered"][0] == ["2027-01-01", "2027-02-04"]


def test_reloading_the_files_changes_the_answers_at_once(cn):
    assert not cn.is_working_day(dt.date(2027, 2, 20))  # remembered ...
    cn.set_years([year_2027()])
    assert cn.is_working_day(dt.date(2027, 2, 20))       # ... and forgotten on reload
    cn.set_years([])
    assert not cn.is_working_day(dt.date(2027, 2, 20))


def test_the_seed_2026_file_agrees_with_chinesecalendar_every_day():
    library, filed = ChineseCalendar(), ChineseCalendar(years=[load_file(SEED_2026)])
    day, differ = dt.date(2026, 1, 1), []
    while day.year == 2026:
        if library.is_working_day(day) != filed.is_working_day(day):
            differ.append(day)
        day += dt.timedelta(days=1)
    assert differ == []
    assert "国务院办公厅" in filed.day(dt.date(2026, 2, 14)).source


@pytest.mark.parametrize("changes, field", [
    ({"source": "  "}, "source"),
    ({"workdays": [{"date": "2027-02-17"}]}, "workdays"),              # a Wednesday
    ({"workdays": [{"date": "2027-02-06"}]}, "workdays"),              # a holiday too
    ({"holidays": [{"from": "2027-02-11", "to": "2027-02-05"}]}, "holidays[1]"),
    ({"holidays": [{"date": "2029-02-05"}]}, "holidays[1]"),           # not this year
    ({"holidays": [{"date": "Feb 5"}]}, "holidays[1]"),
    ({"complete": "yes"}, "complete"),
    ({"typo": 1}, "_fields"),
    ({"year": "2027"}, "year"),
])
def test_a_bad_calendar_file_names_the_field(changes, field):
    with pytest.raises(BadCalendarFile) as caught:
        year_2027(**changes)
    assert field in caught.value.errors


def test_a_gb18030_calendar_file_reads(tmp_path):
    path = tmp_path / "2027.yaml"
    path.write_bytes("year: 2027\nsource: 测试\nholidays: [{name: 春节, date: 2027-02-08}]\n"
                     .encode("gb18030"))
    assert load_file(path).holidays == {dt.date(2027, 2, 8): "春节"}


def test_weekend_calendar_for_other_cities():
    calendar = WeekendCalendar(extra_holidays=["2026-12-25"])
    # Thu 24 Dec + 1 working day: 25 Dec holiday, weekend, Monday 28 Dec.
    assert add_working_days(calendar, at(2026, 12, 24), 1) == at(2026, 12, 28)
    assert calendar.uncovered(dt.date(2027, 1, 1), dt.date(2027, 12, 31)) == []


def test_calendar_from_config_rejects_unknown_kind():
    with pytest.raises(ValueError, match="CALENDAR"):
        calendar_from_config({"CALENDAR": "martian"})


def test_working_time_runs_only_on_working_days(cn):
    # Fri 13 Feb 2026 18:00 -> Tue 24 Feb 06:00: Fri 6 h, Sat 14 Feb 24 h, Tue 6 h.
    assert working_seconds_between(cn, at(2026, 2, 13, 18), at(2026, 2, 24, 6)) == 36 * 3600
    assert after_working_seconds(cn, at(2026, 2, 13, 18), 31 * 3600) == at(2026, 2, 24, 1)


def test_policy_classes_and_urgency():
    policy = DeadlinePolicy(calendar=ChineseCalendar())
    start = at(2026, 2, 12).astimezone(dt.UTC)
    assert policy.reply_deadline(start, "general") == at(2026, 2, 26)
    assert policy.reply_deadline(start, "utilities") == start + dt.timedelta(hours=24)
    assert policy.reply_deadline(start, "general", "emergency") == start + dt.timedelta(hours=2)
    assert policy.reply_deadline(start, "complex", "urgent") == start + dt.timedelta(hours=24)
    assert policy.sign_for_deadline(start, "normal") == at(2026, 2, 13)
    assert policy.sign_for_deadline(start, "urgent") == start + dt.timedelta(hours=2)
    assert policy.limit_class("nonsense", "normal") == "general"


def test_one_rule_the_class_implies_the_urgency_whoever_picked_it():
    policy = DeadlinePolicy(calendar=ChineseCalendar())
    start = at(2026, 11, 27, 9).astimezone(dt.UTC)
    utilities = policy.terms(start, "utilities", "normal")   # the operator left "normal"
    assert (utilities.urgency, utilities.time_limit_class) == ("urgent", "utilities")
    assert utilities.sign_for_deadline == start + dt.timedelta(hours=2)
    emergency = policy.terms(start, "emergency", "normal")
    assert (emergency.urgency, emergency.deadline) == ("emergency", start + dt.timedelta(hours=2))
    assert policy.terms(start, "general", "emergency").time_limit_class == "emergency"


def test_the_sign_for_deadline_never_falls_after_the_reply_deadline():
    policy = DeadlinePolicy({"utilities": {"hours": 4}}, calendar=ChineseCalendar(),
                            class_urgency={"utilities": "normal"})
    start = at(2026, 11, 27, 17, 30).astimezone(dt.UTC)
    terms = policy.terms(start, "utilities", "normal")
    assert terms.sign_for_deadline == terms.deadline == start + dt.timedelta(hours=4)


def test_a_deadline_over_uncovered_days_is_flagged_and_counted(caplog, monkeypatch):
    monkeypatch.setattr(deadlines.UNCOVERED, "last", 0.0)  # warned at most once a minute: not by an earlier test
    calendar = ChineseCalendar()
    policy = DeadlinePolicy(calendar=calendar)
    with caplog.at_level(logging.WARNING):
        terms = policy.terms(at(2027, 1, 15, 9).astimezone(dt.UTC), "complex")
    assert terms.uncovered_ranges == [["2027-01-15", "2027-02-09"]]
    assert calendar.uncovered_deadlines == 2  # the reply and the sign-for deadline
    assert any("no official calendar covers" in r.getMessage() for r in caplog.records)
    inside = policy.terms(at(2026, 11, 2, 9).astimezone(dt.UTC), "complex")
    assert inside.uncovered == ()
    hours = policy.terms(at(2027, 1, 15, 9).astimezone(dt.UTC), "utilities")
    assert hours.uncovered == ()  # a limit on the clock does not depend on the calendar


def test_a_limit_that_makes_no_sense_is_refused_at_start():
    with pytest.raises(ValueError, match="general"):
        DeadlinePolicy({"general": {"days": 5}})
    with pytest.raises(ValueError, match="usable"):
        DeadlinePolicy({"general": {"working_days": float("nan")}})
