"""The case's state machine: transitions, refusals of nonsense, the ledger (no store:
the repository's conditional updates are in ``test_cases_repository.py``)."""
import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from services.followup import domain
from services.followup.domain import Case, InvalidRequest, TransitionRefused
from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH).astimezone(dt.UTC)  # a Monday
TICKET = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。"}
GOOD_REPLY = "已派维修人员到海尔路小区检修供水管道，11月24日下午恢复停水小区供水，并张贴停水通知。"


def hours(n):
    return T0 + dt.timedelta(hours=n)


@pytest.fixture
def clock():
    """A city whose refusals re-route at once (``refusal_review`` off; reviews: ``test_tree.py``)."""
    return FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()), refusal_review=False)


def assignment(event_id="e1", department="WATER", at=T0):
    return {"event_id": event_id, "number": "QD-20261123-00001", "department_code": department,
            "department_name": "市水务管理局", "urgency": "normal", "time_limit_class": "general",
            "deadline": at + dt.timedelta(days=7), "sign_for_deadline": at + dt.timedelta(days=1),
            "assigned_at": at, "decided_by": "routing", "reasons": ["停水"]}


def apply(case, change):
    """What the repository does, in memory."""
    doc = dict(case.to_doc(), **change.set)
    for key, n in change.inc.items():
        doc[key] = doc.get(key, 0) + n
    doc["ledger"] = case.ledger + change.ledger
    doc["version"] += 1
    return Case.from_doc(doc)


def walk_to_replied(clock, text=GOOD_REPLY):
    case = domain.open_case(assignment(), T0)
    case = apply(case, domain.sign_for(case, "张工", hours(1)))
    return apply(case, domain.submit_reply(case, "张工", text, ["https://files.example/1.jpg"], hours(3)))


def test_the_whole_life_with_a_rejection_and_a_reopening(clock):
    case = walk_to_replied(clock, "已处理")
    rejected = domain.reject_reply(case, "审核员", "没有说明处理结果", TICKET, hours(4))
    assert rejected.events[0][1]["rejection_count"] == 1
    assert {f["code"] for f in rejected.ledger[0]["findings"]} >= {"too_short", "boilerplate"}
    case = apply(case, rejected)
    assert case["state"] == domain.SIGNED_FOR
    case = apply(case, domain.submit_reply(case, "张工", GOOD_REPLY, [], hours(5)))
    case = apply(case, domain.approve_reply(case, "审核员", TICKET, hours(6), clock))
    assert case["callback_due"] == dt.datetime(2026, 11, 25, 0, 0, tzinfo=SH)  # end of Tue 24th

    unresolved = domain.record_callback(case, "回访员", True, False, "dissatisfied", "还是没水", hours(25), clock)
    assert [e for e, _ in unresolved.events] == ["callback_recorded", "case_reopened"]
    case = apply(case, unresolved)
    assert case["state"] == domain.ASSIGNED and case["reopen_count"] == 1
    assert case["deadline"] > hours(25)

    case = apply(case, domain.sign_for(case, "张工", hours(26)))
    case = apply(case, domain.submit_reply(case, "张工", GOOD_REPLY + "已更换阀门。", [], hours(27)))
    case = apply(case, domain.approve_reply(case, "审核员", TICKET, hours(28), clock))
    closed = domain.record_callback(case, "回访员", True, True, "satisfied", "", hours(50), clock)
    assert closed.events[-1] == ("case_closed", closed.events[-1][1])
    assert closed.events[-1][1]["reply"] == GOOD_REPLY + "已更换阀门。"
    case = apply(case, closed)
    assert case["state"] == domain.CLOSED
    assert [e["action"] for e in case["ledger"]] == [
        "assigned", "signed_for", "replied", "rejected", "replied", "approved", "callback",
        "reopened", "signed_for", "replied", "approved", "callback", "closed"]
    assert all(e["department_code"] == "WATER" and e["at"] for e in case["ledger"])


@pytest.mark.parametrize("verb", [
    lambda c, clock: domain.sign_for(c, "x", hours(9)),
    lambda c, clock: domain.submit_reply(c, "x", "again", [], hours(9)),
    lambda c, clock: domain.refuse(c, "x", "not ours", hours(9), clock),
    lambda c, clock: domain.request_extension(c, "x", 2, "need time", hours(9), clock),
    lambda c, clock: domain.approve_reply(c, "x", TICKET, hours(9), clock),
])
def test_nonsense_on_a_closed_case_is_refused(clock, verb):
    case = replace(walk_to_replied(clock), state=domain.CLOSED)
    with pytest.raises(TransitionRefused, match="is closed"):
        verb(case, clock)


def test_second_sign_for_is_refused(clock):
    case = domain.open_case(assignment(), T0)
    case = apply(case, domain.sign_for(case, "a", hours(1)))
    with pytest.raises(TransitionRefused, match="signed_for: cannot sign for it"):
        domain.sign_for(case, "b", hours(2))


def test_late_sign_for_and_late_reply_are_marked(clock):
    case = domain.open_case(assignment(), T0)
    signed = domain.sign_for(case, "a", hours(30))
    assert signed.ledger[0]["on_time"] is False
    case = apply(case, signed)
    assert domain.submit_reply(case, "a", GOOD_REPLY, [], hours(24 * 8)).ledger[0]["on_time"] is False


def test_refusal_needs_a_reason_and_the_window(clock):
    case = domain.open_case(assignment(), T0)
    with pytest.raises(InvalidRequest, match="reason"):
        domain.refuse(case, "a", "  ", hours(1), clock)
    # Monday 09:00 + 2 working days = Wednesday 09:00.
    with pytest.raises(TransitionRefused, match="refusal window closed"):
        domain.refuse(case, "a", "不属于我局职责", hours(49), clock)
    change = domain.refuse(case, "a", "不属于我局职责", hours(47), clock)
    assert change.events[0][0] == "case_refused" and change.set["state"] == domain.REFUSED


def test_refused_case_moves_to_the_next_department_once(clock):
    case = domain.open_case(assignment(), T0)
    case = apply(case, domain.refuse(case, "a", "不属于我局职责", hours(2), clock))
    assert domain.reassign(case, assignment("e1"), hours(3), clock) is None  # redelivery of the first
    moved = domain.reassign(case, assignment("e2", "D-LAOSHAN", hours(3)), hours(3), clock)
    case = apply(case, moved)
    assert (case["state"], case["department_code"], case["attempt"]) == (domain.ASSIGNED, "D-LAOSHAN", 2)
    assert moved.ledger[0]["previous_department_code"] == "WATER"
    assert moved.events[0][0] == "case_opened" and moved.events[0][1]["attempt"] == 2
    assert domain.reassign(case, assignment("e2", "D-LAOSHAN", hours(3)), hours(4), clock) is None


def test_extension_limits_and_decision(clock):
    case = domain.open_case(assignment(), T0)
    case = apply(case, domain.sign_for(case, "a", hours(1)))
    with pytest.raises(InvalidRequest, match="at most 10 working days"):
        domain.request_extension(case, "a", 11, "材料多", hours(2), clock)
    with pytest.raises(InvalidRequest, match="whole number"):
        domain.request_extension(case, "a", "3", "材料多", hours(2), clock)
    case = apply(case, domain.request_extension(case, "a", 8, "需要现场勘查", hours(2), clock))
    with pytest.raises(TransitionRefused, match="already has an extension"):
        domain.request_extension(case, "a", 1, "more", hours(2), clock)
    granted = domain.decide_extension(case, "op", True, "同意", hours(3), clock)
    assert granted.set["deadline"] == clock.extended_deadline(case["deadline"], 8)
    case = apply(case, granted)
    with pytest.raises(InvalidRequest, match="2 left"):
        domain.request_extension(case, "a", 3, "again", hours(4), clock)
    case = apply(case, domain.request_extension(case, "a", 2, "again", hours(4), clock))
    denied = domain.decide_extension(case, "op", False, "理由不足", hours(5), clock)
    assert denied.set["deadline"] == case["deadline"]
    assert denied.events[0][1]["granted"] is False


def test_reply_input_is_checked(clock):
    case = domain.open_case(assignment(), T0)
    case = apply(case, domain.sign_for(case, "a", hours(1)))
    with pytest.raises(InvalidRequest, match="text"):
        domain.submit_reply(case, "a", "", [], hours(2))
    with pytest.raises(InvalidRequest, match="attachments"):
        domain.submit_reply(case, "a", GOOD_REPLY, ["file:///etc/passwd"], hours(2))
    with pytest.raises(InvalidRequest, match="attachments"):
        domain.submit_reply(case, "a", GOOD_REPLY, 5, hours(2))


def test_callback_tries_on_different_days_then_closes_unreached(clock):
    case = walk_to_replied(clock)
    case = apply(case, domain.approve_reply(case, "r", TICKET, hours(4), clock))
    with pytest.raises(InvalidRequest) as missing:
        domain.record_callback(case, "op", True, None, "great", "", hours(20), clock)
    assert set(missing.value.errors) == {"resolved", "satisfaction"}
    case = apply(case, domain.record_callback(case, "op", False, None, None, "无人接听", hours(24), clock))
    with pytest.raises(TransitionRefused, match="already tried today"):
        domain.record_callback(case, "op", False, None, None, "", hours(26), clock)
    case = apply(case, domain.record_callback(case, "op", False, None, None, "", hours(48), clock))
    assert case["state"] == domain.APPROVED
    last = domain.record_callback(case, "op", False, None, None, "", hours(72), clock)
    assert last.set["state"] == domain.CLOSED
    assert last.events[0][1]["attempt"] == 3 and last.events[-1][1]["resolved"] is None


def test_resolved_but_dissatisfied_reopens(clock):
    case = walk_to_replied(clock)
    case = apply(case, domain.approve_reply(case, "r", TICKET, hours(4), clock))
    change = domain.record_callback(case, "op", True, True, "dissatisfied", "", hours(24), clock)
    assert change.set["state"] == domain.ASSIGNED


def test_an_earlier_assignment_heard_late_does_not_move_a_case_back(clock):
    """Guard: ``domain.reassign`` moves a case only for a later attempt."""
    first = dict(assignment("e1"), attempt=1)
    case = domain.open_case(first, T0)
    case = apply(case, domain.refuse(case, "a", "不属于我局职责", hours(2), clock))
    case = apply(case, domain.reassign(case, dict(assignment("e2", "D-LAOSHAN", hours(3)), attempt=2),
                                       hours(3), clock))
    case = apply(case, domain.refuse(case, "b", "不属于本街道", hours(4), clock))
    # WATER's assignment, redelivered now, while the case waits for its third department
    assert domain.reassign(case, first, hours(5), clock) is None
    assert (case["state"], case["department_code"], case["attempt"]) == (domain.REFUSED, "D-LAOSHAN", 2)
    refusal = domain.refuse(replace(case, state=domain.ASSIGNED), "b", "x", hours(4), clock)
    assert refusal.events[0][1]["attempt"] == 2  # a refusal names the assignment refused


def test_an_assignment_of_another_ticket_under_the_cases_number_is_refused(clock):
    case = domain.open_case(dict(assignment(), received_at=T0), T0)
    case = apply(case, domain.refuse(case, "a", "不属于我局职责", hours(2), clock))
    reissued = dict(assignment("e9", "D-LAOSHAN", hours(30)), received_at=hours(29), attempt=2)
    with pytest.raises(domain.NumberReused, match="names two tickets"):
        domain.reassign(case, reissued, hours(30), clock)
    same = dict(reissued, received_at=T0 + dt.timedelta(microseconds=300))  # stored to the ms
    assert domain.reassign(case, same, hours(30), clock) is not None
