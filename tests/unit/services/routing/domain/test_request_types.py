"""The request type (诉求类型): suggested by simple rules, recorded with the decision, timed by the city."""
import datetime as dt
from types import SimpleNamespace

import pytest

from services.routing.domain import request_types
from services.routing.domain.decision import Decision, Known
from services.routing.domain.errors import RoutingError
from shared.contract import events
from shared.contract.reasons import sentence
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.conftest import routing_ticket as ticket

T0 = dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC)  # a Monday, 09:00 in Qingdao
CONSULTATION = {"consultation": {"*": {"working_days": 3}}}


@pytest.mark.parametrize("title, description, kind", [
    ("投诉工地夜间施工噪音", "", "complaint"),
    ("举报有人违章搭建", "", "report"),
    ("请问社保卡如何补办", "", "consultation"),
    ("咨询落户政策", "", "consultation"),
    ("建议增设公交站点", "", "suggestion"),
    ("表扬环卫工人", "", "praise"),
    ("非常感谢供电局的师傅", "", "praise"),
    ("小区停水两天", "", "help"),
    ("How do I renew my residence permit?", "", "consultation"),
    ("I want to complain about the noise", "", "complaint"),
    ("Thanks to the bus driver", "", "praise"),
    ("Broken street light", "", "help"),
])
def test_the_words_suggest_a_type(title, description, kind):
    assert request_types.suggest(title, description).request_type == kind


def test_mixed_words_follow_the_order_of_the_rules():
    # a complaint ending with a suggestion is a complaint; a question that thanks is a consultation
    assert request_types.suggest("投诉噪音，建议夜间停工").request_type == "complaint"
    assert request_types.suggest("请问是否可以补办，谢谢感谢").request_type == "consultation"


def test_the_title_speaks_before_the_description():
    choice = request_types.suggest("表扬社区网格员", "之前投诉过的问题解决了")
    assert choice.request_type == "praise"


def test_each_suggestion_says_which_words_decided():
    choice = request_types.suggest("小区门口", "建议增加路灯")
    assert (choice.request_type, choice.source) == ("suggestion", "suggested")
    assert sentence(choice.reason) == "request type suggestion suggested from the words 建议"
    nothing = request_types.suggest("路灯不亮")
    assert nothing.reason["code"] == "request_type_default" and nothing.request_type == "help"


def test_a_type_given_at_intake_stands():
    choice = request_types.choose(ticket(title="投诉噪音", request_type="consultation"))
    assert (choice.request_type, choice.source, choice.reason["code"]) == \
        ("consultation", "given", "request_type_given")


@pytest.fixture
def known(directory):
    return Known(directory, None, 0.5, DeadlinePolicy(calendar=ChineseCalendar(), type_limits=CONSULTATION))


def test_the_decision_records_the_type_and_the_events_carry_it(known):
    decision, outcome = Decision.received(ticket(title="投诉暖气不热", category="heating"), known, T0)
    assert (outcome.body["request_type"], outcome.body["request_type_source"]) == ("complaint", "suggested")
    assert outcome.record["request_type_reason"]["code"] == "request_type_words"
    events.new_event(events.TicketAssigned, **outcome.body)  # valid against the contract
    again = Decision.from_doc(decision.to_doc(outcome))
    assert again.request_type is not None and again.request_type.request_type == "complaint"


def test_a_waiting_ticket_carries_its_type_too(known):
    _, outcome = Decision.received(ticket(title="有事反映，请问找谁"), known, T0)
    assert outcome.kind == "ticket_awaiting_dispatch"
    assert outcome.body["request_type"] == "consultation"
    events.new_event(events.TicketAwaitingDispatch, **outcome.body)


def test_a_consultation_has_three_working_days_and_a_complaint_its_class_limit(known):
    _, asked = Decision.received(ticket(title="水费怎么交", category="property-mgmt",
                                        request_type="consultation"), known, T0)
    _, complained = Decision.received(ticket(title="物业不作为", category="property-mgmt",
                                             request_type="complaint"), known, T0)
    assert asked.body["deadline"] == dt.datetime(2026, 12, 3, 1, tzinfo=dt.UTC)      # Thursday
    assert complained.body["deadline"] == dt.datetime(2026, 12, 7, 1, tzinfo=dt.UTC)  # next Monday
    assert asked.record["request_type_limit"] and not complained.record["request_type_limit"]


def test_an_emergency_keeps_the_emergency_limit_whatever_the_type(known):
    _, outcome = Decision.received(ticket(title="燃气泄漏", category="safety-hazard",
                                          request_type="consultation"), known, T0)
    assert outcome.body["deadline"] == T0 + dt.timedelta(hours=2)


def test_a_dispatcher_may_set_the_type_when_assigning(known):
    decision, outcome = Decision.received(ticket(title="有事反映"), known, T0)
    waiting = Decision.from_doc(decision.to_doc(outcome))
    with pytest.raises(RoutingError, match="request type"):
        waiting.assign("WATER", "王调度", "停水", known, T0, request_type="grumble")
    assigned = waiting.assign("WATER", "王调度", "停水", known, T0, request_type="complaint")
    assert (assigned.body["request_type"], assigned.body["request_type_source"]) == ("complaint", "dispatcher")
    assert sentence(assigned.record["request_type_reason"]) == "request type complaint set by 王调度"


def test_a_redispatch_keeps_the_type_unless_the_dispatcher_changes_it(known):
    decision, outcome = Decision.received(ticket(title="暖气不热", category="heating"), known, T0)
    held = Decision.from_doc(decision.to_doc(outcome))
    moved = held.redispatch("WATER", "王调度", "其实是供水", known, T0)
    assert (moved.body["request_type"], moved.body["request_type_source"]) == ("help", "suggested")
    again = held.redispatch("ENERGY", "王调度", "还是供热", known, T0, request_type="咨询")  # the word will do
    assert again.body["request_type"] == "consultation"


def test_a_proactive_case_stays_one_and_no_citizens_request_becomes_one(known):
    decision, outcome = Decision.received(ticket(title="主动治理：供热诉求激增", category="heating",
                                                 request_type="proactive"), known, T0)
    assert (outcome.body["request_type"], outcome.body["request_type_source"]) == ("proactive", "given")
    held = Decision.from_doc(decision.to_doc(outcome))
    with pytest.raises(RoutingError, match="proactive"):
        held.redispatch("WATER", "王调度", "改派", known, T0, request_type="complaint")
    assert held.redispatch("WATER", "王调度", "改派", known, T0).body["request_type"] == "proactive"
    decision, outcome = Decision.received(ticket(title="暖气不热", category="heating"), known, T0)
    with pytest.raises(RoutingError, match="proactive"):
        Decision.from_doc(decision.to_doc(outcome)).redispatch("WATER", "王调度", "改派", known, T0,
                                                               request_type="主动治理")


def test_a_decision_stored_before_types_gets_one_from_its_ticket(known):
    decision, outcome = Decision.received(ticket(title="举报占道经营", category="street-vendor"), known, T0)
    doc = decision.to_doc(outcome)
    for name in ("request_type", "request_type_source", "request_type_reason"):
        doc.pop(name)
    refused = Decision.from_doc(doc).refused({"department_code": "URBAN_MGMT", "reason": "不归我们"}, known, T0)
    assert refused.body["request_type"] == "report"


def test_the_city_cannot_time_a_type_that_does_not_exist():
    with pytest.raises(ValueError, match="no request type"):
        DeadlinePolicy(type_limits={"grumble": {"*": {"working_days": 1}}})
    with pytest.raises(ValueError, match="consultation"):
        DeadlinePolicy(type_limits={"consultation": {"*": {"weeks": 1}}})


class Learned:
    """A request-type model that reads every ticket as a complaint, 80% sure."""

    def __init__(self):
        self.read = []

    def suggest_type(self, title, description=""):
        self.read.append((title, description))
        return SimpleNamespace(request_type="complaint", confidence=0.8, words="不作为")


def test_a_learned_type_model_suggests_before_the_rules_and_a_given_type_still_stands(known):
    learner = Learned()
    choice = request_types.choose(ticket(title="物业不作为", description="要求查处"), learner)
    assert (choice.request_type, choice.source, choice.confidence) == ("complaint", "suggested", 0.8)
    assert choice.reason == {"code": "request_type_learned",
                             "params": {"request_type": "complaint", "confidence": 0.8, "words": "不作为"}}
    assert "confidence 0.80" in sentence(choice.reason)
    given = request_types.choose(ticket(title="物业不作为", request_type="help"), learner)
    assert (given.source, given.confidence) == ("given", None) and len(learner.read) == 1

    decision, outcome = Decision.received(ticket(title="物业不作为"), Known(
        known.directory, None, 0.5, known.policy, type_learner=learner), T0)
    assert (outcome.record["request_type"], outcome.record["request_type_confidence"]) == ("complaint", 0.8)
    events.new_event(events.TicketAwaitingDispatch if outcome.kind == "ticket_awaiting_dispatch"
                     else events.TicketAssigned, **outcome.body)  # the contract is unchanged
    again = Decision.from_doc(decision.to_doc(outcome))
    assert (again.typed.request_type, again.typed.confidence) == ("complaint", 0.8)
    assert request_types.choose(ticket(title="物业不作为")).request_type == "help"  # the rules alone
