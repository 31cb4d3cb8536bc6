"""The honest ends of a case: callback outcomes, 提级 after the reopen limit,
不合理诉求 and 挂账 -- every transition, and the refusal of a wrong one."""
import datetime as dt

import pytest

from services.followup import domain
from services.followup.domain import InvalidRequest, TransitionRefused
from services.followup.domain.states import (
    HOLD_PROPOSED,
    ON_HOLD,
    RAISED,
    UNREASONABLE_PROPOSED,
)
from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.services.followup.test_case import SH, T0, TICKET, apply, assignment, hours, walk_to_replied

FILE = {"id": "f1", "filename": "现场照片.jpg", "size": 10, "content_type": "image/jpeg", "extra": "x"}


@pytest.fixture
def clock():
    return FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))


def approved(clock, case=None):
    case = case or walk_to_replied(clock)
    return apply(case, domain.approve_reply(case, "r", TICKET, case.reply["replied_at"] + dt.timedelta(hours=1),
                                            clock))


def signed(clock):
    case = domain.open_case(assignment(), T0)
    return apply(case, domain.sign_for(case, "张工", hours(1)))


def back_to_replied(case, at):
    case = apply(case, domain.sign_for(case, "张工", at))
    return apply(case, domain.submit_reply(case, "张工", "已第二次检修供水管道，恢复供水并张贴通知。", [],
                                           at + dt.timedelta(hours=1)))


# -- outcomes -------------------------------------------------------------------------------

@pytest.mark.parametrize("outcome, closes", [("resolved", True), ("untrue", True),
                                             ("partly_resolved", False), ("unresolved", False)])
def test_each_outcome_closes_or_reopens(clock, outcome, closes):
    case = approved(clock)
    change = domain.record_callback(case, "op", True, None, "satisfied", "", hours(24), clock, outcome)
    callback = change.events[0][1]
    assert callback["outcome"] == outcome and callback["resolved"] is (outcome == "resolved")
    if closes:
        assert change.set["state"] == domain.CLOSED and change.set["outcome"] == outcome
        closed = change.events[-1]
        assert closed[0] == "case_closed" and closed[1]["outcome"] == outcome
        assert change.ledger[-1]["outcome"] == outcome
    else:
        assert change.set["state"] == domain.ASSIGNED and change.events[-1][0] == "case_reopened"


def test_untrue_closes_even_when_dissatisfied_but_resolved_does_not(clock):
    case = approved(clock)
    untrue = domain.record_callback(case, "op", True, None, "dissatisfied", "", hours(24), clock, "untrue")
    assert untrue.set["state"] == domain.CLOSED
    resolved = domain.record_callback(case, "op", True, None, "dissatisfied", "", hours(24), clock, "resolved")
    assert resolved.set["state"] == domain.ASSIGNED


def test_old_clients_saying_only_resolved_still_work(clock):
    case = approved(clock)
    yes = domain.record_callback(case, "op", True, True, "satisfied", "", hours(24), clock)
    assert yes.set["outcome"] == "resolved" and yes.events[-1][1]["outcome"] == "resolved"
    no = domain.record_callback(case, "op", True, False, "satisfied", "", hours(24), clock)
    assert no.events[0][1]["outcome"] == "unresolved" and no.set["state"] == domain.ASSIGNED


def test_an_unknown_outcome_is_refused(clock):
    case = approved(clock)
    with pytest.raises(InvalidRequest) as bad:
        domain.record_callback(case, "op", True, None, "satisfied", "", hours(24), clock, "fixed")
    assert set(bad.value.errors) == {"outcome"}


# -- 提级 after the reopen limit -----------------------------------------------------------------

def reopened_times(clock, times):
    case = approved(clock)
    at = hours(24)
    for _ in range(times):
        case = apply(case, domain.record_callback(case, "op", True, None, "dissatisfied", "", at, clock,
                                                  "partly_resolved"))
        case = approved(clock, back_to_replied(case, at + dt.timedelta(hours=1)))
        at += dt.timedelta(days=3)
    return case, at


def test_the_reopen_limit_raises_the_case_to_the_parent(clock):
    case, at = reopened_times(clock, clock.reopen_limit)
    assert case.reopen_count == 2
    change = domain.record_callback(case, "op", True, None, "dissatisfied", "还是没修好", at, clock,
                                    "unresolved", parent="D-SHINAN")
    assert change.set["state"] == RAISED and not change.inc.get("reopen_count")
    kind, raised = change.events[-1]
    assert kind == "case_raised" and raised["to_department_code"] == "D-SHINAN"
    assert raised["department_code"] == "WATER" and raised["raised_at"] == at
    assert change.ledger[-1]["action"] == "raised" and change.ledger[-1]["department_code"] == "WATER"


def test_without_a_parent_the_case_goes_to_the_centre(clock):
    case, at = reopened_times(clock, 2)
    change = domain.record_callback(case, "op", True, None, "satisfied", "", at, clock, "unresolved")
    assert change.events[-1][1]["to_department_code"] is None


def test_below_the_limit_it_reopens(clock):
    case, at = reopened_times(clock, 1)
    change = domain.record_callback(case, "op", True, None, "satisfied", "", at, clock, "unresolved",
                                    parent="D-SHINAN")
    assert change.set["state"] == domain.ASSIGNED


def test_the_limit_is_configurable(clock):
    strict = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()), reopen_limit=0)
    case = approved(clock)
    change = domain.record_callback(case, "op", True, None, "satisfied", "", hours(24), strict, "unresolved")
    assert change.set["state"] == RAISED


def test_a_raised_case_moves_to_the_parent_with_its_own_allowance(clock):
    case, at = reopened_times(clock, 2)
    case = apply(case, domain.record_callback(case, "op", True, None, "satisfied", "", at, clock, "unresolved",
                                              parent="D-SHINAN"))
    moved = dict(assignment("e9", "D-SHINAN", at + dt.timedelta(hours=1)), attempt=2, redispatched=True,
                 previous_department_code="WATER")
    case = apply(case, domain.reassign(case, moved, at + dt.timedelta(hours=1), clock))
    assert (case.state, case.department_code) == (domain.ASSIGNED, "D-SHINAN")
    case = approved(clock, back_to_replied(case, at + dt.timedelta(hours=2)))
    again = domain.record_callback(case, "op", True, None, "satisfied", "", at + dt.timedelta(days=2), clock,
                                   "unresolved")
    assert again.set["state"] == domain.ASSIGNED  # D-SHINAN's first reopening, not a raise


def test_a_raised_case_waits_for_routing_like_a_refused_one(clock):
    case, at = reopened_times(clock, 2)
    case = apply(case, domain.record_callback(case, "op", True, None, "satisfied", "", at, clock, "unresolved"))
    assigned = dict(assignment("e9", "D-SHINAN", at + dt.timedelta(hours=1)), attempt=2)
    assert domain.reassign(case, assigned, at + dt.timedelta(hours=1), clock) is not None
    with pytest.raises(TransitionRefused):
        domain.sign_for(case, "x", at)


# -- 不合理诉求 ----------------------------------------------------------------------------------

def test_unreasonable_proposed_then_approved_closes_as_unreasonable(clock):
    case = signed(clock)
    proposed = case.propose_unreasonable("张工", "要求拆除合法建筑", ["https://files.example/law.pdf"], hours(2),
                                         [FILE])
    assert proposed.set["state"] == UNREASONABLE_PROPOSED
    assert proposed.events[0][0] == "unreasonable_proposed"
    assert proposed.events[0][1]["files"] == [{k: FILE[k] for k in ("id", "filename", "size", "content_type")}]
    case = apply(case, proposed)
    ruled = case.decide_unreasonable("审核员", True, "", hours(3))
    assert ruled.set["state"] == domain.CLOSED and ruled.set["outcome"] == "unreasonable"
    assert [e[0] for e in ruled.events] == ["unreasonable_decided", "case_closed"]
    assert ruled.events[1][1]["outcome"] == "unreasonable"
    assert [e["action"] for e in ruled.ledger] == ["unreasonable_approved", "closed"]
    assert all(e["department_code"] == "WATER" and e["actor"] == "审核员" for e in ruled.ledger)


def test_unreasonable_rejected_goes_back_to_the_department(clock):
    case = apply(signed(clock), signed(clock).propose_unreasonable("张工", "无理", [], hours(2), [FILE]))
    with pytest.raises(InvalidRequest, match="reason"):
        case.decide_unreasonable("审核员", False, "", hours(3))
    rejected = case.decide_unreasonable("审核员", False, "诉求合理，应予处理", hours(3))
    assert rejected.set["state"] == domain.SIGNED_FOR and rejected.set["proposal"] is None
    assert rejected.events == [("unreasonable_decided", rejected.events[0][1])]
    assert rejected.events[0][1]["approved"] is False


def test_unreasonable_needs_a_signed_for_case_a_reason_and_evidence(clock):
    fresh = domain.open_case(assignment(), T0)
    with pytest.raises(TransitionRefused):
        fresh.propose_unreasonable("a", "无理", ["https://e.example/1"], hours(1))
    case = signed(clock)
    with pytest.raises(InvalidRequest, match="reason"):
        case.propose_unreasonable("a", " ", ["https://e.example/1"], hours(2))
    with pytest.raises(InvalidRequest, match="evidence"):
        case.propose_unreasonable("a", "无理", [], hours(2))
    with pytest.raises(InvalidRequest, match="evidence"):
        case.propose_unreasonable("a", "无理", ["file:///etc/passwd"], hours(2))
    with pytest.raises(InvalidRequest, match="approve"):
        apply(case, case.propose_unreasonable("a", "无理", ["https://e.example/1"], hours(2))) \
            .decide_unreasonable("r", "yes", "", hours(3))
    with pytest.raises(TransitionRefused):
        case.decide_unreasonable("r", True, "", hours(3))  # nothing proposed


def test_a_proposal_waiting_stops_the_other_verbs(clock):
    case = apply(signed(clock), signed(clock).propose_unreasonable("a", "无理", ["https://e.example/1"], hours(2)))
    for verb in (lambda: case.submit_reply("a", "回复", [], hours(3)),
                 lambda: case.propose_hold("a", "预算", "2027-03-01", hours(3), clock),
                 lambda: case.decide_hold("s", True, "", hours(3))):
        with pytest.raises(TransitionRefused):
            verb()


# -- 挂账 ---------------------------------------------------------------------------------------

def held(clock, day="2027-03-01"):
    case = signed(clock)
    case = apply(case, case.propose_hold("张工", "需纳入明年预算", day, hours(2), clock))
    return apply(case, case.decide_hold("督办员", True, "同意挂账", hours(3)))


def test_hold_proposed_approved_and_rechecked_on_its_day(clock):
    case = signed(clock)
    proposed = case.propose_hold("张工", "需纳入明年预算", "2027-03-01", hours(2), clock)
    recheck_at = dt.datetime(2027, 3, 1, tzinfo=SH).astimezone(dt.UTC)
    assert proposed.set["state"] == HOLD_PROPOSED
    assert proposed.events[0] == ("hold_proposed", proposed.events[0][1])
    assert proposed.events[0][1]["recheck_at"] == recheck_at
    case = apply(case, proposed)
    approved_ = case.decide_hold("督办员", True, "", hours(3))
    assert approved_.set["state"] == ON_HOLD and approved_.events[0][1]["approved"] is True
    assert approved_.events[0][1]["recheck_at"] == recheck_at
    case = apply(case, approved_)
    assert case.recheck_hold(recheck_at - dt.timedelta(days=1), recheck_at, clock) is None  # another hold's
    later = recheck_at + dt.timedelta(hours=10)
    back = case.recheck_hold(recheck_at, later, clock)
    assert back is not None and back.set["state"] == domain.SIGNED_FOR
    assert back.set["deadline"] == clock.terms(recheck_at, "general", "normal").deadline
    assert back.events[0][0] == "hold_rechecked" and back.events[0][1]["deadline"] == back.set["deadline"]
    case = apply(case, back)
    assert case.recheck_hold(recheck_at, later, clock) is None  # a redelivery changes nothing


def test_hold_rejected_goes_back_to_the_department(clock):
    case = signed(clock)
    case = apply(case, case.propose_hold("张工", "预算", "2027-03-01", hours(2), clock))
    with pytest.raises(InvalidRequest, match="reason"):
        case.decide_hold("督办员", False, " ", hours(3))
    rejected = case.decide_hold("督办员", False, "可以先行处置", hours(3))
    assert rejected.set["state"] == domain.SIGNED_FOR and rejected.events[0][1]["approved"] is False


def test_hold_needs_a_signed_for_case_and_a_day_ahead(clock):
    with pytest.raises(TransitionRefused):
        domain.open_case(assignment(), T0).propose_hold("a", "预算", "2027-03-01", hours(1), clock)
    case = signed(clock)
    for day in ("2026-11-23", "2020-01-01", "tomorrow", 20270301, "2030-01-01"):
        with pytest.raises(InvalidRequest, match="recheck_on"):
            case.propose_hold("a", "预算", day, hours(2), clock)
    with pytest.raises(TransitionRefused):
        case.decide_hold("s", True, "", hours(2))  # nothing proposed


def test_a_hold_whose_day_came_while_waiting_cannot_be_approved(clock):
    case = signed(clock)
    case = apply(case, case.propose_hold("张工", "预算", "2026-11-25", hours(2), clock))
    with pytest.raises(TransitionRefused, match="recheck day"):
        case.decide_hold("s", True, "", hours(24 * 5))


def test_a_case_on_hold_cannot_be_replied_to_or_refused(clock):
    case = held(clock)
    with pytest.raises(TransitionRefused):
        case.submit_reply("a", "回复", [], hours(4))
    with pytest.raises(TransitionRefused):
        case.refuse("a", "不是我们的", hours(4), clock)
    with pytest.raises(TransitionRefused):
        case.propose_hold("a", "再挂", "2027-05-01", hours(4), clock)


def test_the_new_fields_stay_out_of_an_old_case_document(clock):
    doc = domain.open_case(assignment(), T0).to_doc()
    assert not {"outcome", "proposal", "hold", "reopen_base", "raise_count"} & set(doc)
