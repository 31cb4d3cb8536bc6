"""The knowledge base over RPC: a unit drafts and submits its entry, a reviewer publishes it,
operators find it and say whether it helped -- and a unit cannot touch another unit's entry; a
consultation followup closes becomes a de-identified draft of the unit that answered it."""
from datetime import timedelta

import pytest
from nameko.exceptions import RemoteError

from services.intake.service import IntakeService
from shared.contract import events
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person
from tests.service.receivers import wait_until

HOUSING = person("住建局小王", roles=("department",), department="HOUSING", user_id="u-housing")
WATER = person("水务小赵", roles=("department",), department="WATER", user_id="u-water")
REVIEWER = person("审核员老李", roles=("reviewer",), user_id="u-reviewer")
OPERATOR = person("接线员小张", roles=("operator",), user_id="u-operator")
DRAFT = {"question": "公租房怎么申请？需要什么材料？", "answer": "携带身份证、户口本到区住房保障中心申请。\n审核约20个工作日。",
         "keywords": "公租房; 保障房", "review_on": "2099-06-30"}


@pytest.fixture
def intake(container_factory, service_config):
    config = dict(service_config, INTAKE=dict(service_config.get("INTAKE") or {}, knowledge_file=None))
    container = container_factory(IntakeService, config)
    container.start()

    def as_(who):
        return ServiceRpcProxy("intake", config, context_data=context(who, config))
    return as_


def refused(call, *args):
    with pytest.raises(RemoteError) as caught:
        call(*args)
    return caught.value.exc_type


def test_a_units_entry_is_reviewed_published_found_and_rated(intake):
    with intake(HOUSING) as rpc:
        entry = rpc.save_knowledge_draft(None, DRAFT)
        entry_id = entry["id"]
        assert (entry["owner"], entry["state"], entry["versions"][0]["author"]["name"]) == (
            "HOUSING", "draft", "住建局小王")
    with intake(OPERATOR) as rpc:
        assert rpc.search_knowledge("公租房怎么申请") == []  # a draft is not offered
    with intake(HOUSING) as rpc:
        assert rpc.submit_knowledge_entry(entry_id)["state"] == "submitted"
        assert refused(rpc.decide_knowledge_entry, entry_id, True) == "NotAllowed"  # units do not approve
    with intake(REVIEWER) as rpc:
        queue = rpc.knowledge_entries({"state": "submitted"})
        assert [e["id"] for e in queue["entries"]] == [entry_id]
        decided = rpc.decide_knowledge_entry(entry_id, True)
        assert decided["state"] == "published" and decided["versions"][0]["decided_by"]["name"] == "审核员老李"
    with intake(OPERATOR) as rpc:
        [found] = rpc.search_knowledge("公租房怎么申请")
        assert found["id"] == entry_id and found["owner"] == "HOUSING"
        assert rpc.knowledge_feedback(entry_id, "outdated", "材料清单已变")["feedback"]["outdated"] == 1
        assert refused(rpc.knowledge_feedback, entry_id, "great") == "ValidationFailed"
        answered = rpc.answer_ticket({"title": "咨询公租房", "caller_phone": "13853212345"}, entry_id)
        assert answered["status"] == "answered"
    with intake(HOUSING) as rpc:
        mine = rpc.knowledge_entry(entry_id)
        assert mine["comments"][0]["comment"] == "材料清单已变" and mine["feedback"]["outdated"] == 1


def test_a_unit_cannot_edit_submit_or_read_another_units_entry(intake):
    with intake(HOUSING) as rpc:
        entry_id = rpc.save_knowledge_draft(None, DRAFT)["id"]
    with intake(WATER) as rpc:
        assert refused(rpc.save_knowledge_draft, entry_id, dict(DRAFT, answer="乱改")) == "NotAllowed"
        assert refused(rpc.submit_knowledge_entry, entry_id) == "NotAllowed"
        assert rpc.knowledge_entry(entry_id) is None
        assert rpc.knowledge_entries({"owner": "HOUSING"})["total"] == 0  # always its own unit's
    with intake(OPERATOR) as rpc:
        assert refused(rpc.save_knowledge_draft, entry_id, DRAFT) == "NotAllowed"  # not a maintainer
    with intake(REVIEWER) as rpc:
        assert rpc.knowledge_entry(entry_id)["versions"][0]["answer"] == DRAFT["answer"]


def test_a_consultation_followup_closes_is_drafted_for_the_unit_that_answered(intake, publish):
    with intake(OPERATOR) as rpc:
        number = rpc.submit_ticket({"title": "咨询公租房申请条件", "description": "公租房要什么材料？电话13853212345",
                                    "caller_phone": "13853212345", "caller_name": "王芳",
                                    "request_type": "consultation"})["received_as"]
    now = events.utcnow()
    publish("followup", "case_closed", events.new_event(
        events.CaseClosed, number=number, department_code="HOUSING", outcome="resolved",
        reply="王芳您好，携带身份证到区住房保障中心申请，咨询电话0532-8888 6666。", closed_at=now + timedelta(hours=8)))
    with intake(HOUSING) as rpc:
        [entry] = wait_until(lambda: rpc.knowledge_entries({"state": "draft"})["entries"], what="the draft")
    assert entry["source"]["ticket"] == number and entry["owner"] == "HOUSING"
    text = entry["versions"][0]["question"] + entry["versions"][0]["answer"]
    assert "区住房保障中心" in text and "公租房要什么材料" in text
    assert "13853212345" not in text and "8888 6666" not in text and "王芳" not in text
