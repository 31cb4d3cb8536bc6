"""Scorecard arithmetic from ledger counts."""
from services.followup.domain.scorecard import as_csv, as_table, scorecard


def row(department, action, count=1, **outcome):
    return {"department": department, "action": action, "count": count,
            "on_time": outcome.get("on_time"), "reached": outcome.get("reached"),
            "resolved": outcome.get("resolved"), "satisfaction": outcome.get("satisfaction"),
            "working_days": outcome.get("working_days", 0)}


ROWS = [
    row("WATER", "assigned", 3), row("WATER", "reopened", 1),
    row("WATER", "signed_for", 3, on_time=True), row("WATER", "signed_for", 1, on_time=False),
    row("WATER", "replied", 4, on_time=True), row("WATER", "replied", 1, on_time=False),
    row("WATER", "rejected", 2), row("WATER", "approved", 2, working_days=5.0),
    row("WATER", "callback", 1, reached=True, resolved=False, satisfaction="dissatisfied"),
    row("WATER", "callback", 1, reached=True, resolved=True, satisfaction="basically_satisfied"),
    row("WATER", "callback", 2, reached=False),
    row("WATER", "closed", 1),
    row("HRSS", "assigned", 1), row("HRSS", "refused", 1),
]


def test_rates_per_department_and_city():
    card = scorecard(ROWS, {"from": "2026-11-01", "to": "2026-11-30"})
    water = next(d for d in card["departments"] if d["department"] == "WATER")
    assert water["response_rate"] == 0.75
    assert water["on_time_reply_rate"] == 0.8
    assert water["callbacks_reached"] == 2
    assert water["resolution_rate"] == 0.5 and water["satisfaction_rate"] == 0.5
    assert water["avg_handling_working_days"] == 2.5
    assert (water["rejected_replies"], water["refusals"], water["closed"]) == (2, 0, 1)
    hrss = next(d for d in card["departments"] if d["department"] == "HRSS")
    assert hrss["refusals"] == 1 and hrss["response_rate"] == 0.0
    assert hrss["resolution_rate"] is None  # nothing to count is not 0%
    assert card["city"]["dispatched"] == 5 and card["city"]["response_rate"] == 0.6


PARENTS = {"D-SHINAN": "", "S-BADAGUAN": "D-SHINAN", "C-SHAOGUAN": "S-BADAGUAN",
           "S-XIANGGANG": "D-SHINAN", "WATER": "", "HRSS": ""}
TREE_ROWS = [
    row("D-SHINAN", "assigned", 2), row("D-SHINAN", "signed_for", 2, on_time=True),
    row("S-BADAGUAN", "assigned", 3), row("S-BADAGUAN", "signed_for", 1, on_time=True),
    row("S-BADAGUAN", "signed_for", 1, on_time=False),  # the street's late sign-for counts for the district
    row("C-SHAOGUAN", "assigned", 1), row("C-SHAOGUAN", "signed_for", 1, on_time=True),
    row("C-SHAOGUAN", "callback", 1, reached=True, resolved=True, satisfaction="satisfied"),
    row("C-SHAOGUAN", "approved", 1, working_days=3.0),
    row("D-SHINAN", "callback", 1, reached=True, resolved=False, satisfaction="dissatisfied"),
    row("D-SHINAN", "approved", 1, working_days=1.0),
    row("WATER", "assigned", 1),
]


def test_a_unit_with_units_below_it_has_a_rolled_up_line():
    card = scorecard(TREE_ROWS, {"from": "2026-11-01", "to": "2026-11-30"},
                     [{"department": "S-BADAGUAN", "awaiting_sign_for": 1, "still_open": 2},
                      {"department": "C-SHAOGUAN", "awaiting_sign_for": 0, "still_open": 1}], PARENTS)
    own = {line["department"]: line for line in card["departments"]}
    assert own["D-SHINAN"]["scope"] == "unit" and own["D-SHINAN"]["dispatched"] == 2
    assert own["D-SHINAN"]["response_rate"] == 1.0  # its own line: only what it did itself
    rolled = {line["department"]: line for line in card["rolled_up"]}
    assert set(rolled) == {"D-SHINAN", "S-BADAGUAN"}  # units with units below them; WATER has none
    district = rolled["D-SHINAN"]
    assert district["scope"] == "rolled_up" and district["units"] == ["D-SHINAN", "S-BADAGUAN", "C-SHAOGUAN"]
    assert (district["dispatched"], district["signed_for"], district["awaiting_sign_for"],
            district["still_open"]) == (6, 5, 1, 3)
    assert district["response_rate"] == 0.8  # 4 on time of (6 - 1 still in their window), not a mean of rates
    assert district["resolution_rate"] == 0.5 and district["avg_handling_working_days"] == 2.0
    street = rolled["S-BADAGUAN"]
    assert street["units"] == ["S-BADAGUAN", "C-SHAOGUAN"] and street["dispatched"] == 4
    assert street["response_rate"] == round(2 / 3, 4)
    assert card["city"]["dispatched"] == 7 and card["city"]["scope"] == "city"  # counted once, not per level


def test_rolled_up_lines_are_marked_in_every_output():
    card = scorecard(TREE_ROWS, {"from": "2026-11-01", "to": "2026-11-30"}, (), PARENTS)
    lines = as_csv(card).splitlines()
    assert lines[0].endswith(",scope")
    assert [line.split(",")[0] + "/" + line.split(",")[-1] for line in lines[1:]] == [
        "C-SHAOGUAN/unit", "D-SHINAN/unit", "S-BADAGUAN/unit", "WATER/unit",
        "D-SHINAN/rolled_up", "S-BADAGUAN/rolled_up", "CITY/city"]
    assert "D-SHINAN (rolled up)" in as_table(card)
    assert scorecard(TREE_ROWS, {"from": "2026-11-01", "to": "2026-11-30"})["rolled_up"] == []  # no tree known


def test_outputs():
    card = scorecard(ROWS, {"from": "2026-11-01", "to": "2026-11-30"})
    lines = as_csv(card).splitlines()
    assert lines[0].startswith("department,dispatched,awaiting_sign_for,signed_for,response_rate")
    assert lines[-1].startswith("CITY,5,0,4,0.6,")
    table = as_table(card)
    assert "75.0%" in table and "CITY" in table


def test_the_period_bounds_which_ledger_entries_count():
    import datetime as dt
    from zoneinfo import ZoneInfo

    import mongomock
    import pytest

    from services.followup.adapters.cases import CaseRepository
    from services.followup.domain import Case, InvalidRequest
    from services.followup.domain.scorecard import local_day_range

    zone = ZoneInfo("Asia/Shanghai")
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.ensure_indexes()

    def entry(month, day, hour, minute, action, **more):
        at = dt.datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(dt.UTC)
        return {"at": at, "action": action, "department_code": "WATER", **more}

    cases.open(Case.from_doc({"number": "QD-1", "state": "closed", "department_code": "WATER", "ledger": [
        entry(10, 31, 23, 59, "rejected"),              # the minute before the period
        entry(11, 1, 0, 0, "assigned"),                 # its first moment (local time)
        entry(11, 1, 1, 0, "signed_for", on_time=True),
        entry(11, 30, 23, 59, "refused"),               # its last minute
        entry(12, 1, 0, 0, "closed"),                   # the moment after
    ]}), [])
    start, end, period = local_day_range("2026-11-01", "2026-11-30", zone, dt.date(2026, 12, 5))
    card = scorecard(cases.ledger_counts(start, end), period)
    water = card["departments"][0]
    assert (water["dispatched"], water["response_rate"], water["refusals"]) == (1, 1.0, 1)
    assert (water["rejected_replies"], water["closed"]) == (0, 0)

    assert local_day_range(None, None, zone, dt.date(2026, 12, 5))[2] == {"from": "2026-11-06", "to": "2026-12-05"}
    with pytest.raises(InvalidRequest, match="from"):
        local_day_range("2026-12-05", "2026-11-01", zone, dt.date(2026, 12, 5))
    with pytest.raises(InvalidRequest, match="to"):
        local_day_range(None, "yesterday", zone, dt.date(2026, 12, 5))


def test_a_case_still_inside_its_sign_for_window_is_not_counted_unanswered():
    # Seconds after dispatch: one case, not signed for yet, its window open.
    card = scorecard([row("GAS", "assigned", 1)], {"from": "2026-11-01", "to": "2026-11-30"},
                     [{"department": "GAS", "awaiting_sign_for": 1, "still_open": 1}])
    gas = card["departments"][0]
    assert gas["response_rate"] is None  # not 0%: nothing to judge yet
    assert (gas["dispatched"], gas["awaiting_sign_for"], gas["still_open"]) == (1, 1, 1)
    # Three dispatched, one signed on time, one still waiting inside its window, one missed it.
    card = scorecard([row("GAS", "assigned", 3), row("GAS", "signed_for", 1, on_time=True)],
                     {"from": "2026-11-01", "to": "2026-11-30"},
                     [{"department": "GAS", "awaiting_sign_for": 1, "still_open": 3}])
    assert card["departments"][0]["response_rate"] == 0.5
    assert card["city"]["awaiting_sign_for"] == 1 and card["city"]["still_open"] == 3
    assert "to sign" in as_table(card) and "open" in as_table(card)


def test_the_store_finds_the_periods_cases_still_waiting():
    import datetime as dt

    import mongomock

    from services.followup.adapters.cases import CaseRepository
    from services.followup.domain import Case

    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    now = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)

    def case(number, state, started_hours_ago, sign_for_in_hours, department="GAS"):
        cases.open(Case.from_doc({"number": number, "state": state, "department_code": department,
                                  "round_started_at": now - dt.timedelta(hours=started_hours_ago),
                                  "sign_for_deadline": now + dt.timedelta(hours=sign_for_in_hours),
                                  "ledger": []}), [])

    case("QD-1", "assigned", 0.01, 24)      # just dispatched: waiting inside its window
    case("QD-2", "assigned", 30, -6)        # its window closed: counts against GAS
    case("QD-3", "signed_for", 2, 22)
    case("QD-4", "closed", 5, 19)
    case("QD-5", "assigned", 24 * 40, 1)    # dispatched before the period
    rows = cases.period_cases(now - dt.timedelta(days=7), now + dt.timedelta(seconds=1), now)
    assert rows == [{"department": "GAS", "awaiting_sign_for": 1, "still_open": 3}]


def test_after_appeal_figures_take_out_the_accepted_appeals_events():
    excused = [row("WATER", "signed_for", 1, on_time=False), row("WATER", "replied", 1, on_time=False),
               row("WATER", "rejected", 1),
               row("WATER", "callback", 1, reached=True, resolved=False, satisfaction="dissatisfied")]
    card = scorecard(ROWS, {"from": "2026-11-01", "to": "2026-11-30"}, excused=excused)
    water = next(d for d in card["departments"] if d["department"] == "WATER")
    # the raw figures keep their meaning
    assert (water["response_rate"], water["on_time_reply_rate"], water["resolution_rate"]) == (0.75, 0.8, 0.5)
    assert water["rejected_replies"] == 2
    # after appeals: the late sign-for and its round, the late reply, one rejection, the callback out
    assert water["appeals_accepted"] == 4
    assert water["response_rate_after_appeal"] == 1.0          # 3 on time of 3
    assert water["on_time_reply_rate_after_appeal"] == 1.0     # 4 of 4
    assert water["rejected_replies_after_appeal"] == 1
    assert water["resolution_rate_after_appeal"] == 1.0 and water["satisfaction_rate_after_appeal"] == 1.0
    hrss = next(d for d in card["departments"] if d["department"] == "HRSS")
    assert hrss["appeals_accepted"] == 0 and hrss["response_rate_after_appeal"] == hrss["response_rate"]
    assert card["city"]["appeals_accepted"] == 4 and card["city"]["response_rate_after_appeal"] == 0.75
    assert "response_rate_after_appeal" in as_csv(card).splitlines()[0]
    assert "100.0%" in as_table(card)


def test_an_accepted_appeal_changes_the_after_appeal_rate_and_a_rejected_one_does_not():
    import datetime as dt
    from zoneinfo import ZoneInfo

    import mongomock

    from services.followup.adapters.cases import CaseRepository
    from services.followup.domain import Case
    from services.followup.domain.appeal import Appeal, excused_rows
    from services.followup.domain.scorecard import local_day_range
    from services.followup.domain.timing import FollowupClock
    from shared.platform.unit_of_work import UnitOfWork
    from shared.timelimits.calendar import ChineseCalendar
    from shared.timelimits.deadlines import DeadlinePolicy

    zone = ZoneInfo("Asia/Shanghai")
    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.ensure_indexes()
    at = dt.datetime(2026, 11, 23, 10, tzinfo=zone).astimezone(dt.UTC)
    for number, on_time in (("QD-1", True), ("QD-2", False), ("QD-3", False)):
        cases.open(Case.from_doc({"number": number, "state": "signed_for", "department_code": "SHINAN",
                                  "ledger": [{"at": at, "action": "assigned", "department_code": "SHINAN"},
                                             {"at": at, "action": "signed_for", "on_time": on_time,
                                              "department_code": "SHINAN"}]}), [])
    start, end, period = local_day_range("2026-11-01", "2026-11-30", zone, dt.date(2026, 12, 5))

    def figures():
        card = scorecard(cases.ledger_counts(start, end), period,
                         excused=excused_rows(cases.appeals.accepted_between(start, end)))
        line = card["departments"][0]
        return line["response_rate"], line["response_rate_after_appeal"], line["appeals_accepted"]

    assert figures() == (0.3333, 0.3333, 0)
    uow = UnitOfWork(lambda *_: None)
    now = at + dt.timedelta(days=1)
    for number in ("QD-2", "QD-3"):
        entry = cases.ledger_entry(number, f"{number}:0:1")
        appeal, change = Appeal.file(number, number, f"{number}:0:1", entry, "SHINAN", "李科长", "u7",
                                     "系统故障", None, [], now, clock)
        cases.appeals.add(uow, appeal, change, 0)
    assert figures() == (0.3333, 0.3333, 0)  # open appeals change nothing
    rejected = cases.appeals.load("QD-2")
    cases.appeals.save(uow, rejected, rejected.decide("王主任", "u9", False, "无依据", now), 0)
    assert figures() == (0.3333, 0.3333, 0)  # nor does a rejected one
    accepted = cases.appeals.load("QD-3")
    cases.appeals.save(uow, accepted, accepted.decide("王主任", "u9", True, "故障属实", now), 0)
    assert figures() == (0.3333, 0.5, 1)  # QD-3's late sign-for and its round are out: 1 of 2
    # the case's ledger names the person and the unit of each appeal step
    actions = [(e["action"], e.get("actor"), e.get("actor_id"), e["department_code"])
               for e in cases.get("QD-3")["ledger"]]
    assert actions[-2:] == [("appeal_filed", "李科长", "u7", "SHINAN"), ("appeal_accepted", "王主任", "u9", "SHINAN")]


def test_the_honest_ends_are_counted_and_an_unreasonable_case_is_out_of_the_rates():
    import datetime as dt

    import mongomock

    from services.followup.adapters.cases import CaseRepository
    from services.followup.domain import Case

    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    at = dt.datetime(2026, 11, 10, 2, tzinfo=dt.UTC)

    def entry(action, **more):
        return {"at": at, "action": action, "department_code": "WATER", **more}

    late_and_ruled = [entry("assigned"), entry("signed_for", on_time=False),
                      entry("unreasonable_approved"), entry("closed", outcome="unreasonable")]
    honest = [entry("assigned"), entry("signed_for", on_time=True), entry("hold_approved"),
              entry("callback", reached=True, resolved=False, satisfaction="satisfied", outcome="untrue"),
              entry("callback", reached=True, resolved=True, satisfaction="satisfied", outcome="resolved"),
              entry("raised")]
    cases.open(Case.from_doc({"number": "QD-1", "state": "closed", "outcome": "unreasonable",
                              "department_code": "WATER", "ledger": late_and_ruled}), [])
    cases.open(Case.from_doc({"number": "QD-2", "state": "closed", "department_code": "WATER",
                              "ledger": honest}), [])
    card = scorecard(cases.ledger_counts(at, at + dt.timedelta(days=1)), {"from": "x", "to": "y"})
    water = card["departments"][0]
    assert (water["dispatched"], water["response_rate"]) == (1, 1.0)  # QD-1's late sign-for is not held
    assert (water["unreasonable"], water["on_hold"], water["raised"], water["untrue"]) == (1, 1, 1, 1)
    assert water["resolution_rate"] == 1.0  # the untrue request is not unresolved
    assert water["closed"] == 0 and card["city"]["unreasonable"] == 1
    assert "still_open,untrue,unreasonable,raised,on_hold" in as_csv(card).splitlines()[0]
