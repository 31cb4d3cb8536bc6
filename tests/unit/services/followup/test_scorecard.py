"""Scorecard arithmetic from ledger counts."""
import datetime as _dt

from services.followup.domain import tree
from services.followup.domain.scorecard import as_csv, as_table, scorecard
from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.services.followup.test_cases_repository import T0, assignment


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
    assert rows == [{"department": "GAS", "awaiting_sign_for": 1, "still_open": 3, "withdrawn_unanswered": 0}]


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


# -- parts: a part awaiting its sign-for, a part withdrawn before its unit answered it ----------

def test_a_part_withdrawn_unanswered_is_not_a_dispatch_held_to_its_unit_in_the_arithmetic():
    pending = [{"department": "S-BADAGUAN", "awaiting_sign_for": 0, "still_open": 0, "withdrawn_unanswered": 1},
               {"department": "D-SHINAN", "awaiting_sign_for": 0, "still_open": 1, "withdrawn_unanswered": 0}]
    rows = [row("D-SHINAN", "assigned", 1), row("D-SHINAN", "signed_for", 1, on_time=True),
            row("S-BADAGUAN", "passed_down", 2), row("S-BADAGUAN", "signed_for", 1, on_time=True)]
    card = scorecard(rows, {"from": "x", "to": "y"}, pending, {"S-BADAGUAN": "D-SHINAN"})
    street = next(line for line in card["departments"] if line["department"] == "S-BADAGUAN")
    assert (street["dispatched"], street["response_rate"], street["response_rate_after_appeal"]) == (1, 1.0, 1.0)
    [district] = card["rolled_up"]
    assert (district["dispatched"], district["response_rate"]) == (2, 1.0)
    assert (card["city"]["dispatched"], card["city"]["response_rate"]) == (2, 1.0)
    # an older store's rows, without the figure, read as none withdrawn
    old = scorecard(rows, {"from": "x", "to": "y"}, [{"department": "S-BADAGUAN", "awaiting_sign_for": 0,
                                                      "still_open": 0}], {"S-BADAGUAN": "D-SHINAN"})
    assert next(line for line in old["departments"] if line["department"] == "S-BADAGUAN")["dispatched"] == 2


CLOCK = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))  # refusals reviewed by the centre
DISTRICT = "D-SHINAN"
STREET = tree.Unit("S-BADAGUAN", "八大关街道", parent=DISTRICT)
COMMUNITY = tree.Unit("C-TAIPINGJIAO", "太平角社区", parent=STREET.code)
HOUSING = tree.Unit("HOUSING", "市住房和城乡建设局")
URBAN = tree.Unit("URBAN", "市城市管理局")
REPLY = "已派执法人员到八大关施工现场检查，责令施工方11月24日起晚十点后停工，并每晚巡查。"


def at(hours):
    """``hours`` after T0 (Monday 09:00 in Qingdao); a part's sign-for window is one working day."""
    return T0 + _dt.timedelta(hours=hours)


class Parts:
    """A case 市南区 leads, worked as a tree in the store (mongomock), and the scorecard it makes."""

    def __init__(self, co=(), number="QD-20261123-00001", cases=None):
        import mongomock

        from services.followup import domain
        from services.followup.adapters.cases import CaseRepository

        self.number = number
        self.cases = cases or CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
        opened = dict(assignment(department=DISTRICT), number=number, co_handlers=[
            {"department_code": u.code, "department_name": u.name} for u in co])
        case = domain.open_case(opened, T0)
        self.cases.open(case, [])
        more = case.co_handlers_at_open(opened, CLOCK)
        if more:
            self.cases.apply(self.cases.load(number), more, self.event)

    @staticmethod
    def event(kind, body):
        return {"event_id": kind, "body": body}

    def do(self, *steps):
        for step in steps:
            case = self.cases.load(self.number)
            self.cases.apply(case, step(case), self.event)
        return self

    def card(self, now):
        card = scorecard(self.cases.ledger_counts(T0, at(24 * 30)), {"from": "x", "to": "y"},
                         self.cases.period_cases(T0, at(24 * 30), now))
        return {line["department"]: figures(line) for line in card["departments"]}, card["city"]


def figures(line):
    """(dispatched, awaiting sign-for, signed for, response rate) of a scorecard line."""
    return line["dispatched"], line["awaiting_sign_for"], line["signed_for"], line["response_rate"]


def moved_to(unit, when, **more):
    """Routing's ``ticket_assigned`` handing the case to ``unit`` (attempt 2)."""
    return {**assignment("e2", unit.code, when), "department_name": unit.name, "attempt": 2, **more}


def test_a_part_withdrawn_by_a_reroute_before_its_unit_signed_for_it_is_not_held_against_it():
    """市南区 passes the case to 八大关街道, which signs for it and passes it to 太平角社区; then
    市南区 refuses, and within the hour routing gives the case to the co-handler 住建局. Neither
    the community (withdrawn with the former lead) nor 住建局 (its co-handling part withdrawn: it
    leads now) had its window close on its part: neither part is a miss. The street's sign-for on
    time, before its part was withdrawn, stands."""
    parts = Parts(co=(HOUSING,)).do(
        lambda c: c.sign_for("区值班员", at(1), DISTRICT),
        lambda c: c.pass_down(DISTRICT, STREET, "区值班员", "", at(1), CLOCK),
        lambda c: c.sign_for("街道王", at(1.5), STREET.code),
        lambda c: c.pass_down(STREET.code, COMMUNITY, "街道王", "", at(1.5), CLOCK),
        lambda c: c.refuse("区值班员", "噪音属于住建局职责", at(2), CLOCK, DISTRICT),
        lambda c: c.review_refusal(DISTRICT, tree.CENTRE, True, "", "调度员", at(2)),
        lambda c: c.reassign(moved_to(HOUSING, at(3)), at(3), CLOCK))
    assert {a["unit_code"]: a["state"] for a in parts.cases.get(parts.number)["assignments"]} == {
        HOUSING.code: "withdrawn", STREET.code: "withdrawn", COMMUNITY.code: "withdrawn"}
    lines, city = parts.card(now=at(4))
    assert lines[COMMUNITY.code] == (0, 0, 0, None)  # not 0%: nothing it could have answered
    assert lines[HOUSING.code] == (1, 1, 0, None)  # only its dispatch as lead, inside its window
    assert lines[STREET.code] == (1, 0, 1, 1.0)
    assert lines[DISTRICT] == (1, 0, 1, 1.0)
    assert (city["dispatched"], city["awaiting_sign_for"]) == (3, 1)
    # days later the lead's own window has closed unanswered: that miss is 住建局's, the part's is not
    lines, _ = parts.card(now=at(24 * 5))
    assert lines[HOUSING.code] == (1, 0, 0, 0.0) and lines[COMMUNITY.code] == (0, 0, 0, None)


def test_a_part_its_unit_was_late_on_before_the_withdrawal_still_counts_late():
    """The street signs for its part a day late and passes it to a community, which lets its own
    window close; then a dispatcher moves the case (改派). Each delay was the unit's own: the
    street's late sign-for and the community's unanswered part both count."""
    parts = Parts().do(
        lambda c: c.sign_for("区值班员", at(1), DISTRICT),
        lambda c: c.pass_down(DISTRICT, STREET, "区值班员", "", at(1), CLOCK),
        lambda c: c.sign_for("街道王", at(30), STREET.code),  # its window closed at 10:00 the next day
        lambda c: c.pass_down(STREET.code, COMMUNITY, "街道王", "", at(30), CLOCK),
        lambda c: c.reassign(moved_to(URBAN, at(56), redispatched=True, previous_department_code=DISTRICT),
                             at(56), CLOCK))
    case = parts.cases.get(parts.number)
    assert {a["unit_code"]: a["state"] for a in case["assignments"]} == {
        STREET.code: "withdrawn", COMMUNITY.code: "withdrawn"}
    lines, _ = parts.card(now=at(57))
    assert lines[STREET.code] == (1, 0, 1, 0.0)
    assert lines[COMMUNITY.code] == (1, 0, 0, 0.0)  # withdrawn two hours after its window closed


def test_a_part_withdrawn_when_the_case_closes_is_not_held_against_its_unit():
    """住建局 is added (加派) after the lead's reply was approved and the callback closes the case
    an hour later: its part, withdrawn with the case, is not a dispatch it failed to answer."""
    parts = Parts().do(
        lambda c: c.sign_for("区值班员", at(1), DISTRICT),
        lambda c: c.submit_reply("区值班员", REPLY, [], at(2)),
        lambda c: c.approve_reply("审核员", None, at(3), CLOCK),
        lambda c: c.add_co_handlers([HOUSING], "调度员", at(3), CLOCK),
        lambda c: c.record_callback("回访员", True, True, "satisfied", "", at(4), CLOCK, "resolved"))
    assert parts.cases.get(parts.number)["assignments"][0]["state"] == "withdrawn"
    lines, city = parts.card(now=at(5))
    assert lines[HOUSING.code] == (0, 0, 0, None)
    assert (city["dispatched"], city["response_rate"]) == (1, 1.0)


def test_a_part_still_inside_its_sign_for_window_is_not_a_miss():
    """Like the lead's own dispatch: a part not signed for yet is shown apart while its window is
    open (``awaiting_sign_for``), and counted unanswered once it has closed."""
    parts = Parts(co=(HOUSING,)).do(
        lambda c: c.sign_for("区值班员", at(1), DISTRICT),
        lambda c: c.pass_down(DISTRICT, STREET, "区值班员", "", at(1), CLOCK))
    lines, city = parts.card(now=at(2))
    assert lines[HOUSING.code] == (1, 1, 0, None) and lines[STREET.code] == (1, 1, 0, None)
    assert (city["dispatched"], city["awaiting_sign_for"], city["response_rate"]) == (3, 2, 1.0)
    lines, city = parts.card(now=at(26))  # both windows closed the next morning, unanswered
    assert lines[HOUSING.code] == (1, 0, 0, 0.0) and lines[STREET.code] == (1, 0, 0, 0.0)
    assert city["response_rate"] == round(1 / 3, 4)


def test_a_co_handlers_reopened_round_is_a_dispatch_to_it():
    """A case reopened (重办) gives its co-handler a new round: a dispatch it answers with a new
    sign-for (never two sign-fors for one dispatch: 200%), and inside the round's window it waits."""
    parts = Parts(co=(HOUSING,)).do(
        lambda c: c.sign_for("住建张", at(1), HOUSING.code),
        lambda c: c.submit_reply("住建张", "已核查施工许可，责令整改", [], at(2), unit=HOUSING.code),
        lambda c: c.sign_for("区值班员", at(2), DISTRICT),
        lambda c: c.submit_reply("区值班员", REPLY, [], at(3)),
        lambda c: c.approve_reply("审核员", None, at(4), CLOCK),
        lambda c: c.record_callback("回访员", True, False, "dissatisfied", "夜间仍施工", at(5), CLOCK,
                                    "unresolved"))
    lines, _ = parts.card(now=at(6))
    assert lines[HOUSING.code] == (2, 1, 1, 1.0)  # the new round waits inside its window
    parts.do(lambda c: c.sign_for("住建张", at(7), HOUSING.code))
    lines, _ = parts.card(now=at(8))
    assert lines[HOUSING.code] == (2, 0, 2, 1.0)


def test_the_parts_of_a_case_ruled_unreasonable_are_left_out_once():
    """A ruled case's entries are out of the unit's rates already (its part's dispatch with them):
    its part, withdrawn when the case closed, takes nothing more away from the unit's other cases."""
    parts = Parts(co=(HOUSING,)).do(
        lambda c: c.sign_for("住建张", at(1), HOUSING.code),
        lambda c: c.submit_reply("住建张", "已核查施工许可，责令整改", [], at(2), unit=HOUSING.code))
    ruled = Parts(co=(HOUSING,), number="QD-20261123-00002", cases=parts.cases).do(
        lambda c: c.sign_for("区值班员", at(1), DISTRICT),
        lambda c: c.propose_unreasonable("区值班员", "诉求要求拆除合法建筑", ["https://files.example/permit.pdf"],
                                         at(2)),
        lambda c: c.decide_unreasonable("审核员", True, "", at(3)))
    assert parts.cases.get(ruled.number)["assignments"][0]["state"] == "withdrawn"
    lines, _ = parts.card(now=at(4))
    assert lines[HOUSING.code] == (1, 0, 1, 1.0)  # its first case; the ruled case is not held at all
