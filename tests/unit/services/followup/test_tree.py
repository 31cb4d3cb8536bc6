"""A case as a tree of assignments: co-handlers (协办), passing down (下派), the reviews of
refusals (派单异议审核) and of a child's reply -- the domain alone (``domain/tree.py``)."""
import dataclasses
import datetime as dt

import pytest

from services.followup import domain
from services.followup.domain import InvalidRequest, NotYourCase, TransitionRefused, tree
from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.services.followup.test_case import GOOD_REPLY, T0, apply, hours

DISTRICT = "D-SHINAN"
STREET = tree.Unit("S-BADAGUAN", "八大关街道", parent=DISTRICT)
COMMUNITY = tree.Unit("C-TAIPINGJIAO", "太平角社区", parent="S-BADAGUAN")
HOUSING = tree.Unit("HOUSING", "市住房和城乡建设局")


@pytest.fixture
def clock():
    return FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))  # refusals reviewed: the default


def noise_case(clock, co=(HOUSING,), days=7):
    assignment = {"event_id": "e1", "number": "QD-20261123-00002", "department_code": DISTRICT,
                  "department_name": "市南区", "urgency": "normal", "time_limit_class": "general",
                  "deadline": T0 + dt.timedelta(days=days), "sign_for_deadline": T0 + dt.timedelta(days=1),
                  "assigned_at": T0, "decided_by": "调度员", "reasons": ["施工噪音"],
                  "co_handlers": [{"department_code": u.code, "department_name": u.name} for u in co]}
    case = domain.open_case(assignment, T0)
    opened = case.co_handlers_at_open(assignment, clock)
    return apply(case, opened) if opened else case


def part(case, unit):
    return tree.live_assignment(case, unit.code if isinstance(unit, tree.Unit) else unit)


def test_co_handlers_dispatched_with_the_lead_get_their_own_part(clock):
    case = noise_case(clock)
    housing = part(case, HOUSING)
    assert (housing.role, housing.state, housing.parent_unit_code) == ("co", domain.ASSIGNED, DISTRICT)
    assert housing.deadline <= case.deadline
    assert case.co_handlers_at_open({"co_handlers": [{"department_code": "X"}]}, clock) is None  # once


def test_the_whole_tree_from_the_lead_down_to_a_community_and_back(clock):
    case = noise_case(clock)
    case = apply(case, case.sign_for("区值班员", hours(1), DISTRICT))
    change = case.pass_down(DISTRICT, STREET, "区值班员", "请街道核查施工许可", hours(1), clock)
    assert change.events[0][0] == "assignment_opened" and change.ledger[0]["department_code"] == DISTRICT
    case = apply(case, change)
    assert part(case, STREET).deadline <= case.deadline  # a child's deadlines inside its parent's
    case = apply(case, case.sign_for("街道", hours(2), STREET.code))
    case = apply(case, case.pass_down(STREET.code, COMMUNITY, "街道", "社区上门", hours(2), clock))
    # the community refuses; its parent (the street) reviews the refusal and rejects it
    case = apply(case, case.refuse("社区", "不是社区职责", hours(3), clock, COMMUNITY.code))
    assert part(case, COMMUNITY).state == domain.REFUSAL_REVIEW
    with pytest.raises(NotYourCase):  # the centre does not review a child's refusal
        case.review_refusal(COMMUNITY.code, tree.CENTRE, False, "no", "调度员", hours(3))
    with pytest.raises(InvalidRequest, match="reason"):
        case.review_refusal(COMMUNITY.code, STREET.code, False, "", "街道", hours(3))
    case = apply(case, case.review_refusal(COMMUNITY.code, STREET.code, False, "属于社区网格管理", "街道",
                                           hours(3)))
    assert part(case, COMMUNITY).state == domain.ASSIGNED
    case = apply(case, case.sign_for("社区", hours(4), COMMUNITY.code))
    # the street cannot reply while its child works; the lead cannot while anything is open
    with pytest.raises(TransitionRefused, match="太平角社区"):
        case.submit_reply("街道", "已处理", [], hours(4), unit=STREET.code)
    case = apply(case, case.submit_reply("社区", "已上门劝导施工方", [], hours(5), unit=COMMUNITY.code))
    assert part(case, COMMUNITY).state == domain.REPLIED
    with pytest.raises(NotYourCase):  # only the parent reviews its child's reply
        case.review_assignment_reply(COMMUNITY.code, DISTRICT, True, "", "区", hours(5))
    case = apply(case, case.review_assignment_reply(COMMUNITY.code, STREET.code, True, "", "街道", hours(5)))
    assert part(case, COMMUNITY) is None  # done
    case = apply(case, case.submit_reply("街道", "街道已督促施工方夜间停工", [], hours(6), unit=STREET.code))
    case = apply(case, case.review_assignment_reply(STREET.code, DISTRICT, True, "", "区", hours(6)))
    with pytest.raises(TransitionRefused, match="市住房和城乡建设局"):  # the co-handler has not replied
        case.submit_reply("区", "已处理", [], hours(6), unit=DISTRICT)
    case = apply(case, case.sign_for("住建", hours(6), HOUSING.code))
    case = apply(case, case.submit_reply("住建", "已核查施工许可，责令整改", [], hours(7), unit=HOUSING.code))
    reply = case.submit_reply("区", "施工方已停止夜间施工", [], hours(8), unit=DISTRICT)
    assert [r["unit_code"] for r in reply.set["reply"]["co_replies"]] == [HOUSING.code]
    entries = [e for step in (reply,) for e in step.ledger]
    assert all(e["department_code"] for e in entries)


def test_pass_down_only_to_a_child_and_only_once_signed_for(clock):
    case = noise_case(clock, co=())
    with pytest.raises(TransitionRefused, match="sign for it first"):
        case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock)
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    with pytest.raises(InvalidRequest, match="not a unit under"):
        case.pass_down(DISTRICT, COMMUNITY, "区", "", hours(1), clock)  # a grandchild
    case = apply(case, case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock))
    with pytest.raises(InvalidRequest, match="already works"):
        case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock)
    with pytest.raises(NotYourCase):  # a unit with no part cannot act on one
        case.sign_for("社区", hours(2), COMMUNITY.code)


def test_a_leads_refusal_waits_for_the_centre_then_reroutes_or_returns(clock):
    case = noise_case(clock, co=())
    change = case.refuse("区", "属于住建局职责", hours(1), clock, DISTRICT)
    assert change.set["state"] == domain.REFUSAL_REVIEW and change.events[0][0] == "assignment_refused"
    assert not [e for e in change.events if e[0] == "case_refused"]  # routing hears nothing yet
    held = apply(case, change)
    with pytest.raises(NotYourCase):
        held.review_refusal(DISTRICT, STREET.code, True, "", "街道", hours(2))
    back = held.review_refusal(DISTRICT, tree.CENTRE, False, "施工噪音属地管理", "调度员", hours(2))
    assert back.set["state"] == domain.ASSIGNED and [e[0] for e in back.events] == ["refusal_reviewed"]
    approved = held.review_refusal(DISTRICT, tree.CENTRE, True, "", "调度员", hours(2))
    assert approved.set["state"] == domain.REFUSED
    assert [e[0] for e in approved.events] == ["refusal_reviewed", "case_refused"]
    assert approved.events[1][1]["reason"] == "属于住建局职责"


def test_a_co_handlers_refusal_is_the_centres_to_review(clock):
    case = noise_case(clock)
    case = apply(case, case.refuse("住建", "不涉及建设工地", hours(1), clock, HOUSING.code))
    with pytest.raises(NotYourCase):
        case.review_refusal(HOUSING.code, DISTRICT, True, "", "区", hours(2))
    case = apply(case, case.review_refusal(HOUSING.code, tree.CENTRE, True, "", "调度员", hours(2)))
    assert part(case, HOUSING) is None
    case = apply(case, case.sign_for("区", hours(2), DISTRICT))
    assert "co_replies" not in case.submit_reply("区", "已处理", [], hours(3)).set["reply"]  # it may now


def test_a_rerouted_case_withdraws_what_the_lead_passed_down_and_says_so(clock):
    case = noise_case(clock, co=(HOUSING,))
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    case = apply(case, case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock))
    case = apply(case, case.refuse("区", "属于住建局", hours(2), clock, DISTRICT))
    case = apply(case, case.review_refusal(DISTRICT, tree.CENTRE, True, "", "调度员", hours(2)))
    moved = case.reassign({**noise_assignment_for("HOUSING2"), "attempt": 2}, hours(3), clock)
    states = {a["unit_code"]: a["state"] for a in moved.set["assignments"]}
    assert states == {STREET.code: domain.WITHDRAWN, HOUSING.code: domain.ASSIGNED}
    assert ended(moved) == {STREET.code: "withdrawn"}  # the co-handler works on beside the new lead
    assert [kind for kind, _ in moved.events] == ["case_opened", "assignment_ended"]


def noise_assignment_for(code):
    return {"event_id": "e2", "number": "QD-20261123-00002", "department_code": code,
            "department_name": code, "urgency": "normal", "time_limit_class": "general",
            "deadline": T0 + dt.timedelta(days=7), "sign_for_deadline": T0 + dt.timedelta(days=1),
            "assigned_at": hours(3), "decided_by": "routing", "reasons": ["x"]}


def test_a_unit_with_a_part_acts_only_on_its_part_not_as_the_lead(clock):
    """A co-handler or a child may act on its own part (sign for, refuse, ask for an extension,
    reply, pass down); the lead's own verbs -- a hold, an unreasonable-request ruling -- stay the lead's."""
    case = noise_case(clock)
    case.held_by(HOUSING.code, part=True)
    with pytest.raises(NotYourCase):
        case.held_by(HOUSING.code)
    with pytest.raises(NotYourCase):
        case.held_by("OTHER", part=True)
    case.held_by(DISTRICT)


def test_a_unit_code_that_cannot_be_one_is_refused_without_echoing_it():
    from services.followup.handlers.tree import unit

    class Nobody:
        def department(self, code):
            raise AssertionError("not asked")
    deps = type("Deps", (), {"directory": Nobody(), "routing": None})()
    for code in (None, "", "  ", ["x"], "x" * 300):
        with pytest.raises(InvalidRequest) as refused:
            unit(deps, code)
        assert refused.value.errors == {"unit": ["the code of a unit in the directory"]}


# -- extensions (延期) of a part -----------------------------------------------------------------


def street_signed_for(clock, days=21):
    """市南区 (due in ``days``) passed the case to 八大关街道 at hour 1, which signed for it: the
    street's reply is due 5 working days on (Monday 30 Nov, 10:00), well inside the district's."""
    case = noise_case(clock, co=(), days=days)
    case = apply(case, case.sign_for("区值班员", hours(1), DISTRICT))
    case = apply(case, case.pass_down(DISTRICT, STREET, "区值班员", "请街道核查", hours(1), clock))
    return apply(case, case.sign_for("街道张工", hours(2), STREET.code))


def test_a_child_asks_the_unit_above_for_an_extension_which_grants_it(clock):
    case = street_signed_for(clock)
    due = part(case, STREET).deadline
    change = case.request_extension("街道张工", 3, "需协调施工方整改", hours(3), clock, STREET.code)
    [(kind, body)] = change.events
    assert kind == "assignment_extension_requested"
    assert (body["unit_code"], body["reviewer"], body["working_days"]) == (STREET.code, DISTRICT, 3)
    [entry] = change.ledger
    assert (entry["action"], entry["department_code"], entry["actor"]) == ("extension_requested", STREET.code,
                                                                           "街道张工")
    case = apply(case, change)
    assert part(case, STREET).extension["reviewer"] == DISTRICT and part(case, STREET).deadline == due
    with pytest.raises(TransitionRefused, match="already has an extension request"):
        case.request_extension("街道张工", 1, "再延", hours(3), clock, STREET.code)
    granted = case.decide_part_extension(STREET.code, DISTRICT, True, "", "区审核员", hours(4), clock)
    [(kind, body)] = granted.events
    assert kind == "assignment_extension_decided" and body["granted"] is True
    [entry] = granted.ledger
    assert (entry["action"], entry["department_code"], entry["actor"], entry["reviewer"]) == (
        "extension_granted", STREET.code, "区审核员", DISTRICT)
    case = apply(case, granted)
    street = part(case, STREET)
    assert street.deadline == body["deadline"] == clock.extended_deadline(due, 3)  # Thursday 3 Dec
    assert (street.extension, street.extension_days_granted) == (None, 3)
    assert case.deadline == T0 + dt.timedelta(days=21)  # the district's own deadline is its own


def test_a_denied_extension_needs_a_reason_and_leaves_the_deadline(clock):
    case = street_signed_for(clock)
    due = part(case, STREET).deadline
    case = apply(case, case.request_extension("街道张工", 2, "人手不足", hours(3), clock, STREET.code))
    with pytest.raises(InvalidRequest, match="reason"):
        case.decide_part_extension(STREET.code, DISTRICT, False, " ", "区审核员", hours(4), clock)
    with pytest.raises(InvalidRequest, match="grant"):
        case.decide_part_extension(STREET.code, DISTRICT, "yes", "", "区审核员", hours(4), clock)
    denied = case.decide_part_extension(STREET.code, DISTRICT, False, "两天内可完成", "区审核员", hours(4), clock)
    assert denied.events[0][1]["granted"] is False and denied.ledger[0]["action"] == "extension_denied"
    assert denied.ledger[0]["reason"] == "两天内可完成"
    case = apply(case, denied)
    assert (part(case, STREET).deadline, part(case, STREET).extension) == (due, None)
    with pytest.raises(TransitionRefused, match="no extension request waiting"):
        case.decide_part_extension(STREET.code, DISTRICT, True, "", "区审核员", hours(5), clock)


def test_a_part_extension_never_passes_the_parents_reply_deadline(clock):
    case = street_signed_for(clock)  # the district is due Monday 14 Dec, 09:00: 9 working days fit, not 10
    with pytest.raises(InvalidRequest) as refused:
        case.request_extension("街道张工", 10, "需要十天", hours(3), clock, STREET.code)
    [message] = refused.value.errors["working_days"]
    assert "never passes its parent's" in message and "市南区" in message and "at most 9 working day" in message
    assert case.request_extension("街道张工", 9, "需要九天", hours(3), clock, STREET.code).events


def test_granting_is_refused_when_the_parents_deadline_no_longer_leaves_room(clock):
    case = street_signed_for(clock)
    case = apply(case, case.request_extension("街道张工", 5, "需要五天", hours(3), clock, STREET.code))
    case = dataclasses.replace(case, deadline=part(case, STREET).deadline)  # the district's due as soon
    with pytest.raises(TransitionRefused, match="never passes its parent's") as refused:
        case.decide_part_extension(STREET.code, DISTRICT, True, "", "区审核员", hours(4), clock)
    assert "no further until" in str(refused.value)
    assert case.decide_part_extension(STREET.code, DISTRICT, False, "不能超过区的期限", "区审核员", hours(4), clock)


def test_a_grandchild_is_bounded_by_the_street_not_the_district(clock):
    case = street_signed_for(clock)
    case = apply(case, case.pass_down(STREET.code, COMMUNITY, "街道张工", "社区上门", hours(3), clock))
    case = apply(case, case.sign_for("社区", hours(4), COMMUNITY.code))
    assert part(case, COMMUNITY).deadline == part(case, STREET).deadline  # inside the street's
    with pytest.raises(InvalidRequest, match="八大关街道"):
        case.request_extension("社区", 1, "需要一天", hours(4), clock, COMMUNITY.code)
    case = apply(case, case.request_extension("街道张工", 3, "社区需时间", hours(4), clock, STREET.code))
    case = apply(case, case.decide_part_extension(STREET.code, DISTRICT, True, "", "区审核员", hours(5), clock))
    case = apply(case, case.request_extension("社区", 2, "需要两天", hours(6), clock, COMMUNITY.code))
    with pytest.raises(NotYourCase):  # the district did not pass it to the community: the street decides
        case.decide_part_extension(COMMUNITY.code, DISTRICT, True, "", "区审核员", hours(7), clock)
    case = apply(case, case.decide_part_extension(COMMUNITY.code, STREET.code, True, "", "街道张工", hours(7),
                                                  clock))
    assert part(case, COMMUNITY).deadline <= part(case, STREET).deadline


def test_a_unit_acting_on_another_units_part_extension_is_refused(clock):
    case = street_signed_for(clock)
    with pytest.raises(NotYourCase):  # a unit with no part asks for one
        case.request_extension("社区", 1, "x", hours(3), clock, COMMUNITY.code)
    case = apply(case, case.request_extension("街道张工", 2, "需协调", hours(3), clock, STREET.code))
    for stranger in (STREET.code, COMMUNITY.code, HOUSING.code, tree.CENTRE):  # itself, others, the centre
        with pytest.raises(NotYourCase):
            case.decide_part_extension(STREET.code, stranger, True, "", "某人", hours(4), clock)
    with pytest.raises(NotYourCase):  # nor before any request: another unit learns nothing of the part
        street_signed_for(clock).decide_part_extension(STREET.code, HOUSING.code, "?", "", "某人", hours(4), clock)


def test_a_co_handlers_extension_is_the_centres_inside_the_leads_deadline(clock):
    case = noise_case(clock)  # the lead is due 30 Nov 09:00, and so is the co-handler
    case = apply(case, case.sign_for("住建", hours(1), HOUSING.code))
    with pytest.raises(InvalidRequest, match="no further until 市南区"):
        case.request_extension("住建", 1, "需现场核查", hours(2), clock, HOUSING.code)
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))  # the lead gets more time of the hotline
    case = apply(case, case.request_extension("区", 5, "需多部门协调", hours(2), clock, DISTRICT))
    case = apply(case, case.decide_extension("王值班", True, "", hours(3), clock))
    case = apply(case, case.request_extension("住建", 5, "需现场核查", hours(4), clock, HOUSING.code))
    assert part(case, HOUSING).extension["reviewer"] == tree.CENTRE
    with pytest.raises(NotYourCase):  # the lead does not decide its co-handler's extension
        case.decide_part_extension(HOUSING.code, DISTRICT, True, "", "区", hours(5), clock)
    case = apply(case, case.decide_part_extension(HOUSING.code, tree.CENTRE, True, "", "王值班", hours(5), clock))
    assert part(case, HOUSING).deadline == case.deadline


def test_a_parts_extensions_are_its_own_and_end_with_it(clock):
    """At most ``max_extension_working_days`` per part; a part that ends drops its request."""
    case = street_signed_for(clock, days=40)
    case = apply(case, case.request_extension("街道", 8, "a", hours(3), clock, STREET.code))
    case = apply(case, case.decide_part_extension(STREET.code, DISTRICT, True, "", "区", hours(3), clock))
    with pytest.raises(InvalidRequest, match="2 left for this part"):
        case.request_extension("街道", 3, "b", hours(4), clock, STREET.code)
    case = apply(case, case.request_extension("街道", 2, "c", hours(4), clock, STREET.code))
    case = apply(case, case.submit_reply("街道", "街道已督促施工方夜间停工", [], hours(5), unit=STREET.code))
    case = apply(case, case.review_assignment_reply(STREET.code, DISTRICT, True, "", "区", hours(6)))
    assert [a.extension for a in tree.assignments_of(case)] == [None]


# -- a part's end, and what intake's reconciler asks of the tree --------------------------------

def ended(change):
    """``{unit: outcome}`` of the ``assignment_ended`` events of a change."""
    return {body["unit_code"]: body["outcome"] for kind, body in change.events if kind == "assignment_ended"}


def test_a_part_that_ends_says_so_once_whichever_way_it_ends(clock):
    """Done (a co-handler's reply, a child's reply accepted), refused (its refusal approved): each
    says ``assignment_ended``, which stops its watch; a step that leaves the part open does not."""
    case = noise_case(clock)
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    case = apply(case, case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock))
    case = apply(case, case.sign_for("街道", hours(2), STREET.code))
    replied = case.submit_reply("街道", "已处理", [], hours(3), unit=STREET.code)
    assert ended(replied) == {}  # up to its parent, who reviews it: still open
    case = apply(case, replied)
    sent_back = case.review_assignment_reply(STREET.code, DISTRICT, False, "请补充照片", "区", hours(3))
    assert ended(sent_back) == {}
    accepted = case.review_assignment_reply(STREET.code, DISTRICT, True, "", "区", hours(3))
    assert ended(accepted) == {STREET.code: "done"}
    case = apply(case, case.sign_for("住建", hours(2), HOUSING.code))
    co_reply = case.submit_reply("住建", "已核查", [], hours(4), unit=HOUSING.code)
    assert ended(co_reply) == {HOUSING.code: "done"}
    assert [kind for kind, _ in co_reply.events] == ["assignment_replied", "assignment_ended"]
    case = apply(case, case.refuse("住建", "不涉及", hours(2), clock, HOUSING.code))
    assert ended(case.review_refusal(HOUSING.code, tree.CENTRE, False, "涉及", "调度员", hours(3))) == {}
    approved = case.review_refusal(HOUSING.code, tree.CENTRE, True, "", "调度员", hours(3))
    assert ended(approved) == {HOUSING.code: "refused"}
    body = dict(approved.events)["assignment_ended"]
    assert (body["role"], body["parent_unit_code"], body["ended_at"]) == ("co", DISTRICT, hours(3))


def test_a_closing_case_withdraws_a_part_still_open(clock):
    """A co-handler added after the lead's reply was approved has a part open when the callback
    closes the case: the case withdraws it, so no watch outlives the case."""
    case = noise_case(clock, co=())
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    case = apply(case, case.submit_reply("区", GOOD_REPLY, [], hours(2), unit=DISTRICT))
    case = apply(case, case.approve_reply("审核员", None, hours(3), clock))
    case = apply(case, case.add_co_handlers([HOUSING], "调度员", hours(3), clock))
    closed = case.record_callback("回访员", True, True, "satisfied", "", hours(4), clock, "resolved")
    assert closed.set["state"] == domain.CLOSED
    assert ended(closed) == {HOUSING.code: "withdrawn"}
    assert tree.part_states(apply(case, closed)) == [
        {"unit_code": HOUSING.code, "role": "co", "state": domain.WITHDRAWN, "open": False}]


def test_a_reopened_case_dispatches_each_co_handler_a_new_round_in_the_ledger(clock):
    """The co-handler's new round (重办) is a dispatch to its unit, as the lead's is: a ledger entry
    ``reopened`` under the co-handler, with who reopened it and the round's deadlines (the
    scorecard counts it, so the round's sign-for answers a dispatch of its own)."""
    case = noise_case(clock)
    case = apply(case, case.sign_for("住建", hours(1), HOUSING.code))
    case = apply(case, case.submit_reply("住建", "已核查施工许可", [], hours(2), unit=HOUSING.code))
    case = apply(case, case.sign_for("区", hours(2), DISTRICT))
    case = apply(case, case.submit_reply("区", GOOD_REPLY, [], hours(3), unit=DISTRICT))
    case = apply(case, case.approve_reply("审核员", None, hours(4), clock))
    reopened = case.record_callback("回访员", True, False, "dissatisfied", "夜间仍施工", hours(5), clock,
                                    "unresolved")
    assert [(e["action"], e["department_code"]) for e in reopened.ledger] == [
        ("callback", DISTRICT), ("reopened", DISTRICT), ("reopened", HOUSING.code)]
    entry = reopened.ledger[-1]
    round_ = part(apply(case, reopened), HOUSING)
    assert (entry["actor"], entry["reason"], entry["role"], entry["at"]) == ("回访员", "夜间仍施工", "co", hours(5))
    assert (entry["sign_for_deadline"], entry["deadline"]) == (round_.sign_for_deadline, round_.deadline)
    assert [kind for kind, _ in reopened.events] == ["callback_recorded", "assignment_opened", "case_reopened"]


# the last extension decided for an open part (published again only if one was decided)
EXTENDED = "assignment_extension_decided"


def test_each_units_latest_part_and_the_events_that_say_where_it_stands(clock):
    """What the reconciler compares (``part_states``: a unit's live part over its earlier one) and
    what followup publishes again for a part (``standing_events``)."""
    case = noise_case(clock)
    assert tree.standing_events(case, HOUSING.code) == ("assignment_opened", EXTENDED)
    assert tree.standing_events(case, DISTRICT) is None and tree.standing_events(case, "NOBODY") is None
    case = apply(case, case.sign_for("住建", hours(1), HOUSING.code))
    assert tree.standing_events(case, HOUSING.code) == ("assignment_opened", "assignment_signed_for", EXTENDED)
    case = apply(case, case.refuse("住建", "不涉及", hours(2), clock, HOUSING.code))
    assert tree.standing_events(case, HOUSING.code) == (
        "assignment_opened", "assignment_signed_for", "assignment_refused", EXTENDED)
    case = apply(case, case.review_refusal(HOUSING.code, tree.CENTRE, True, "", "调度员", hours(2)))
    assert tree.standing_events(case, HOUSING.code) == ("assignment_ended",)
    assert tree.part_states(case) == [{"unit_code": HOUSING.code, "role": "co", "state": domain.REFUSED,
                                       "open": False}]
    case = apply(case, case.add_co_handlers([HOUSING], "调度员", hours(3), clock))  # given a part again
    assert tree.part_states(case) == [{"unit_code": HOUSING.code, "role": "co", "state": domain.ASSIGNED,
                                       "open": True}]
    assert tree.standing_events(case, HOUSING.code) == ("assignment_opened", EXTENDED)


# -- another unit leads the case: the parts move with it (tree.rerouted) ---------------------------

HOUSING_QA = tree.Unit("HOUSING-QA", "市建设工程质量监督站", parent=HOUSING.code)
URBAN = tree.Unit("URBAN", "市城市管理局")
TRAFFIC = tree.Unit("TRAFFIC", "市交通运输局")
ENVIRONMENT = tree.Unit("ENV", "市生态环境局")


def routed_to(unit, co=(), **more):
    """Routing's ``ticket_assigned`` handing the noise case to ``unit`` (attempt 2), naming ``co``."""
    return {**noise_assignment_for(unit.code), "department_name": unit.name, "attempt": 2,
            "co_handlers": [{"department_code": u.code, "department_name": u.name} for u in co], **more}


def refused_by_the_district(case, clock):
    """市南区 refuses the lead's part and the centre approves: routing re-routes the case."""
    case = apply(case, case.refuse("区", "噪音属于住建局职责", hours(2), clock, DISTRICT))
    return apply(case, case.review_refusal(DISTRICT, tree.CENTRE, True, "", "调度员", hours(2)))


def withdrawn(change):
    """``{unit: why}`` of the ``part_withdrawn`` ledger entries of a change."""
    return {e["department_code"]: e["reason_codes"][0]["code"] for e in change.ledger
            if e["action"] == "part_withdrawn"}


def test_a_co_handler_that_becomes_the_lead_gives_up_its_part(clock):
    """The co-handler is the natural next lead: once it leads, its co-handling part is withdrawn
    (a ledger entry, and ``assignment_ended`` so notify stops chasing it); what it passed down
    stays, the lead's children now."""
    case = noise_case(clock)
    case = apply(case, case.sign_for("住建", hours(1), HOUSING.code))
    case = apply(case, case.pass_down(HOUSING.code, HOUSING_QA, "住建", "请质监站核查", hours(1), clock))
    case = refused_by_the_district(case, clock)
    moved = case.reassign(routed_to(HOUSING), hours(3), clock)
    assert ended(moved) == {HOUSING.code: "withdrawn"} and withdrawn(moved) == {HOUSING.code: "leads_now"}
    [entry] = [e for e in moved.ledger if e["action"] == "part_withdrawn"]
    assert (entry["actor"], entry["role"], entry["at"]) == ("routing", "co", hours(3))
    assert "市住房和城乡建设局 leads the case now" in entry["reason"]
    case = apply(case, moved)
    assert case.department_code == HOUSING.code and part(case, HOUSING) is None
    assert part(case, HOUSING_QA).parent_unit_code == HOUSING.code
    case = apply(case, case.sign_for("住建", hours(4), HOUSING.code))  # the lead's sign-for, not a part's
    assert case.state == domain.SIGNED_FOR
    with pytest.raises(TransitionRefused, match="waiting for 市建设工程质量监督站"):
        case.submit_reply("住建", GOOD_REPLY, [], hours(5), unit=HOUSING.code)


def test_the_former_lead_keeps_nothing_of_a_rerouted_case(clock):
    """What the former lead passed down goes with it, down to the community, each withdrawn with
    a ledger entry; a part it held besides (stored before a lead could not hold one) too. The
    co-handler works on beside the new lead, with what it passed down."""
    case = noise_case(clock)
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    case = apply(case, case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock))
    case = apply(case, case.sign_for("街道", hours(1), STREET.code))
    case = apply(case, case.pass_down(STREET.code, COMMUNITY, "街道", "", hours(1), clock))
    case = apply(case, case.sign_for("住建", hours(1), HOUSING.code))
    case = apply(case, case.pass_down(HOUSING.code, HOUSING_QA, "住建", "", hours(1), clock))
    own = tree.Assignment(unit_code=DISTRICT, unit_name="市南区", role=tree.CO, parent_unit_code=DISTRICT,
                          state=domain.ASSIGNED, assigned_at=T0, sign_for_deadline=hours(24), deadline=hours(48))
    case = dataclasses.replace(case, assignments=[*case.assignments, own.to_doc()])
    case = refused_by_the_district(case, clock)
    moved = case.reassign(routed_to(URBAN), hours(3), clock)
    assert ended(moved) == {DISTRICT: "withdrawn", STREET.code: "withdrawn", COMMUNITY.code: "withdrawn"}
    assert withdrawn(moved) == {DISTRICT: "former_lead", STREET.code: "with_former_lead",
                                COMMUNITY.code: "with_former_lead"}
    case = apply(case, moved)
    assert {a.unit_code: (a.state, a.parent_unit_code) for a in tree.assignments_of(case) if a.live} == {
        HOUSING.code: (domain.SIGNED_FOR, URBAN.code), HOUSING_QA.code: (domain.ASSIGNED, HOUSING.code)}
    for unit in (DISTRICT, STREET.code, COMMUNITY.code):
        with pytest.raises(NotYourCase):
            case.sign_for("某人", hours(4), unit)


def test_a_reroute_adds_the_co_handlers_it_names_that_the_case_lacks_once_each(clock):
    """Never the lead itself, never twice, nor a unit on the case: one working on it, a co-handler
    that replied, one whose refusal stands -- the former lead's too, when its refusal re-routed it."""
    case = noise_case(clock, co=(HOUSING, ENVIRONMENT, TRAFFIC))
    case = apply(case, case.sign_for("环境", hours(1), ENVIRONMENT.code))
    case = apply(case, case.submit_reply("环境", "已监测夜间噪音", [], hours(1), unit=ENVIRONMENT.code))
    case = apply(case, case.refuse("交通", "不涉及", hours(1), clock, TRAFFIC.code))
    case = apply(case, case.review_refusal(TRAFFIC.code, tree.CENTRE, True, "", "调度员", hours(1)))
    case = refused_by_the_district(case, clock)
    police = tree.Unit("POLICE", "市公安局")
    named = (URBAN, HOUSING, ENVIRONMENT, TRAFFIC, tree.Unit(DISTRICT, "市南区"), police, police)
    event = routed_to(URBAN, co=named)
    moved = case.reassign(event, hours(3), clock)
    opened = [body for kind, body in moved.events if kind == "assignment_opened"]
    assert [(b["unit_code"], b["role"], b["parent_unit_code"]) for b in opened] == [("POLICE", "co", URBAN.code)]
    assert opened[0]["deadline"] <= event["deadline"] and opened[0]["assigned_at"] == hours(3)
    assert [(e["department_code"], e["actor"]) for e in moved.ledger if e["action"] == "co_assigned"] == [
        ("POLICE", "routing")]
    case = apply(case, moved)
    assert case.co_handlers_at_open(event, clock) is None  # the handler's second step adds none again
    assert case.reassign(event, hours(4), clock) is None


def test_a_reroute_that_adds_no_co_handler_still_took_its_co_handlers(clock):
    """The case had no part and the re-route names only the former lead: nobody is added, and
    the handler's second step (``co_handlers_at_open``) does not add it either."""
    case = refused_by_the_district(noise_case(clock, co=()), clock)
    event = routed_to(URBAN, co=(tree.Unit(DISTRICT, "市南区"),))
    case = apply(case, case.reassign(event, hours(3), clock))
    assert case.assignments == []
    assert case.co_handlers_at_open(event, clock) is None


def test_a_dispatcher_moving_a_case_may_keep_the_former_lead_as_co_handler(clock):
    """改派 is not a refusal: the former lead named as co-handler is added, with its ledger entry."""
    case = noise_case(clock, co=())
    event = routed_to(URBAN, co=(tree.Unit(DISTRICT, "市南区"),), redispatched=True,
                      previous_department_code=DISTRICT, decided_by="调度员")
    moved = case.reassign(event, hours(3), clock)
    assert [(e["department_code"], e["action"]) for e in moved.ledger] == [
        (URBAN.code, "assigned"), (DISTRICT, "co_assigned")]
    assert part(apply(case, moved), DISTRICT).parent_unit_code == URBAN.code


def test_co_handlers_named_twice_or_naming_the_lead_get_one_part_each(clock):
    case = noise_case(clock, co=(tree.Unit(DISTRICT, "市南区"), HOUSING, HOUSING))
    assert [(a.unit_code, a.role) for a in tree.assignments_of(case)] == [(HOUSING.code, "co")]
    alone = noise_case(clock, co=())
    assert alone.co_handlers_at_open({"event_id": "e1", "co_handlers": [{"department_code": DISTRICT}]},
                                     clock) is None
    added = alone.add_co_handlers([URBAN, URBAN], "调度员", hours(1), clock)
    assert [body["unit_code"] for kind, body in added.events] == [URBAN.code]
    assert len(added.set["assignments"]) == 1


def test_a_unit_the_former_lead_passed_the_case_to_may_lead_it_with_what_it_passed_down(clock):
    """市南区 refuses and the case goes to its street: the street's part ends (it leads now), and
    the community it passed the case to works on, for the street as lead."""
    case = noise_case(clock, co=())
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    case = apply(case, case.pass_down(DISTRICT, STREET, "区", "", hours(1), clock))
    case = apply(case, case.sign_for("街道", hours(1), STREET.code))
    case = apply(case, case.pass_down(STREET.code, COMMUNITY, "街道", "", hours(1), clock))
    case = refused_by_the_district(case, clock)
    moved = case.reassign(routed_to(STREET), hours(3), clock)
    assert withdrawn(moved) == {STREET.code: "leads_now"} and ended(moved) == {STREET.code: "withdrawn"}
    case = apply(case, moved)
    assert (part(case, COMMUNITY).state, part(case, COMMUNITY).parent_unit_code) == (domain.ASSIGNED, STREET.code)
