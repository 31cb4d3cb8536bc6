"""Closures that held (防反弹): a rebound recorded against the unit that closed the case, and
the scorecard's ``held_rate``."""
import datetime as dt

import mongomock
import pytest

from services.followup import domain
from services.followup.adapters.cases import CaseRepository
from services.followup.domain.scorecard import as_csv, as_table, scorecard, with_closures
from services.followup.domain.timing import FollowupClock
from shared.contract.rebounds import ReboundTerms
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.services.followup.test_cases_repository import T0, assignment

CLOCK = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
TERMS = ReboundTerms()  # 30 days, closures resolved
EVENT = lambda kind, body: {"event_id": kind, "body": body}  # noqa: E731


def hours(n):
    return T0 + dt.timedelta(hours=n)


def closed_case(cases, number, department="WATER", at=T0, outcome="resolved"):
    """A case taken through its verbs to a close: resolved and satisfied, or found untrue."""
    cases.open(domain.open_case(dict(assignment(department=department, at=at), number=number), at), [])
    steps = (lambda c: c.sign_for("a", at + dt.timedelta(hours=1)),
             lambda c: c.submit_reply("a", "主管道已于当日修复，当晚恢复供水，已电话告知市民。", [],
                                      at + dt.timedelta(hours=2)),
             lambda c: c.approve_reply("审核员", None, at + dt.timedelta(hours=3), CLOCK),
             lambda c: c.record_callback("回访员", True, None, "satisfied", "", at + dt.timedelta(hours=4),
                                         CLOCK, outcome))
    for step in steps:
        case = cases.load(number)
        cases.apply(case, step(case), EVENT)
    case = cases.load(number)
    assert case.state == domain.CLOSED
    return case


@pytest.fixture
def cases():
    repository = CaseRepository(mongomock.MongoClient(tz_aware=True)[f"t{id(object())}"], {})
    repository.ensure_indexes()
    return repository


def test_a_rebound_is_written_in_the_ledger_of_the_unit_that_closed_the_case_once(cases):
    case = closed_case(cases, "QD-1")
    came = case.closed_at + dt.timedelta(days=29)
    change = case.rebound("QD-9", "caller", "same caller, same matter", came, TERMS)
    [entry] = change.ledger
    assert (entry["action"], entry["department_code"], entry["rebound"], entry["at"]) == (
        "rebounded", "WATER", "QD-9", came)
    cases.apply(case, change, EVENT)
    again = cases.load("QD-1")
    assert [r["number"] for r in again.rebounds] == ["QD-9"]
    assert again.rebound("QD-9", "caller", "", came, TERMS) is None  # a redelivery counts once


def test_a_rebound_the_case_does_not_count_records_nothing(cases):
    case = closed_case(cases, "QD-1")
    assert case.rebound("QD-9", "place", "", case.closed_at + dt.timedelta(days=31), TERMS) is None
    untrue = closed_case(cases, "QD-2", outcome="untrue")  # not closed as solved
    assert untrue.rebound("QD-9", "place", "", untrue.closed_at + dt.timedelta(days=1), TERMS) is None
    cases.open(domain.open_case(dict(assignment(), number="QD-3"), T0), [])
    still_open = cases.load("QD-3")
    assert still_open.rebound("QD-9", "caller", "", hours(5), TERMS) is None


def test_held_rate_counts_closures_rebounded_or_past_their_window_against_their_unit(cases):
    rebounded = closed_case(cases, "QD-1", "S-STREET")
    cases.apply(rebounded, rebounded.rebound("QD-9", "caller", "", rebounded.closed_at + dt.timedelta(days=3),
                                             TERMS), EVENT)
    closed_case(cases, "QD-2", "S-STREET")                                    # its window passed: held
    closed_case(cases, "QD-3", "S-STREET", at=T0 + dt.timedelta(days=20))    # inside its window: not judged yet
    closed_case(cases, "QD-4", "D-DISTRICT")                                  # held
    now = T0 + dt.timedelta(days=40)
    closures = cases.closures(T0, T0 + dt.timedelta(days=30), now, TERMS)
    assert sorted((r["department"], r["closures_checked"], r["rebounded"]) for r in closures) == [
        ("D-DISTRICT", 1, 0), ("S-STREET", 2, 1)]
    card = scorecard(cases.ledger_counts(T0, now), {"from": "x", "to": "y"},
                     with_closures(cases.period_cases(T0, now, now), closures),
                     parents={"S-STREET": "D-DISTRICT"})
    lines = {line["department"]: line for line in card["departments"]}
    assert (lines["S-STREET"]["held_rate"], lines["S-STREET"]["rebounded"], lines["S-STREET"]["closed"]) == (0.5, 1, 3)
    assert lines["D-DISTRICT"]["held_rate"] == 1.0
    [district] = card["rolled_up"]
    assert (district["closures_checked"], district["rebounded"], district["held_rate"]) == (3, 1, 0.6667)
    assert card["city"]["held_rate"] == 0.6667
    assert "held_rate" in as_csv(card).splitlines()[0] and "66.7%" in as_table(card)


def test_a_unit_with_no_closure_judged_has_no_held_rate():
    card = scorecard([], {"from": "x", "to": "y"}, with_closures([], [{"department": "WATER",
                                                                       "closures_checked": 0, "rebounded": 0}]))
    assert card["departments"][0]["held_rate"] is None  # nothing to judge is not 100%


def test_a_rebound_window_and_outcomes_come_from_the_city(cases):
    terms = ReboundTerms.from_config({"REBOUNDS": {"window_days": 7, "outcomes": ["resolved", "untrue"]}})
    untrue = closed_case(cases, "QD-2", outcome="untrue")
    assert untrue.rebound("QD-9", "place", "", untrue.closed_at + dt.timedelta(days=6), terms) is not None
    assert untrue.rebound("QD-9", "place", "", untrue.closed_at + dt.timedelta(days=8), terms) is None
