"""A case keeps the request type routing assigned, and a reopened case is timed by it."""
import datetime as dt
from zoneinfo import ZoneInfo

from services.followup import domain
from services.followup.domain import Case
from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.services.followup.test_case import GOOD_REPLY, TICKET, apply, assignment

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH).astimezone(dt.UTC)  # a Monday


def test_the_case_stores_the_type_and_case_opened_carries_it():
    case = domain.open_case(dict(assignment(), request_type="consultation"), T0)
    assert case.request_type == "consultation" and case.to_doc()["request_type"] == "consultation"
    assert case.opened()[1]["request_type"] == "consultation"
    assert Case.from_doc(case.to_doc()).request_type == "consultation"


def test_a_case_stored_before_types_loads_without_one():
    doc = domain.open_case(assignment(), T0).to_doc()
    doc.pop("request_type")
    assert Case.from_doc(doc).request_type is None


def test_a_redispatch_carries_the_type_the_dispatcher_set():
    case = domain.open_case(dict(assignment(), request_type="help"), T0)
    moved = case.reassign(dict(assignment("e2", "ENERGY"), attempt=2, redispatched=True,
                               previous_department_code="WATER", request_type="complaint"), T0,
                          FollowupClock(DeadlinePolicy(calendar=ChineseCalendar())))
    assert moved is not None and moved.set["request_type"] == "complaint"


def test_a_reopened_consultation_gets_the_types_limit_again():
    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar(),
                                         type_limits={"consultation": {"*": {"working_days": 3}}}))
    case = domain.open_case(dict(assignment(), request_type="consultation"), T0)
    case = apply(case, domain.sign_for(case, "张工", T0 + dt.timedelta(hours=1)))
    case = apply(case, domain.submit_reply(case, "张工", GOOD_REPLY, [], T0 + dt.timedelta(hours=2)))
    case = apply(case, domain.approve_reply(case, "审核员", TICKET, T0 + dt.timedelta(hours=3), clock))
    reopened = domain.record_callback(case, "回访员", True, False, "dissatisfied", "没讲清楚",
                                      T0 + dt.timedelta(hours=4), clock)
    assert reopened.set["deadline"] == dt.datetime(2026, 11, 26, 13, 0, tzinfo=SH).astimezone(dt.UTC)


def test_a_proactive_case_has_no_callback_its_approved_reply_closes_it():
    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
    case = domain.open_case(dict(assignment(), request_type="proactive"), T0)
    case = apply(case, domain.sign_for(case, "张工", T0 + dt.timedelta(hours=1)))
    case = apply(case, domain.submit_reply(case, "张工", GOOD_REPLY, [], T0 + dt.timedelta(hours=2)))
    approved_at = T0 + dt.timedelta(hours=3)
    change = domain.approve_reply(case, "审核员", TICKET, approved_at, clock)
    assert [name for name, _ in change.events] == ["reply_approved", "case_closed"]
    approved, closed = (body for _, body in change.events)
    assert approved["callback_due"] is None  # nobody to call, nobody to send a rating link to
    assert closed["outcome"] is None and closed["resolved"] is None and closed["reply"] == GOOD_REPLY
    assert [e["action"] for e in change.ledger] == ["approved", "closed"]
    case = apply(case, change)
    assert (case.state, case.closed_at, case.approved_reply) == ("closed", approved_at, GOOD_REPLY)
    assert case.callback_due is None
    citizens = domain.open_case(dict(assignment(), request_type="complaint"), T0)  # a citizen's waits for its callback
    citizens = apply(citizens, domain.sign_for(citizens, "张工", T0 + dt.timedelta(hours=1)))
    citizens = apply(citizens, domain.submit_reply(citizens, "张工", GOOD_REPLY, [], T0 + dt.timedelta(hours=2)))
    assert apply(citizens, domain.approve_reply(citizens, "审核员", TICKET, approved_at, clock)).state == "approved"
