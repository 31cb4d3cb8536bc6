"""Quality checking (质检) over RPC: an operator's phone ticket is sampled, a quality reviewer
scores it, and the month's results count it -- and each door keeps out who it should."""
import pytest
from nameko.exceptions import RemoteError

from services.intake.service import IntakeService
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person

WANG = person("王芳", roles=("operator",), user_id="u-wang")
LI = person("李强", roles=("operator",), user_id="u-li")
QUALITY = person("质检甲", roles=("quality",), user_id="u-q1")
SUPERVISOR = person("督办乙", roles=("supervisor",), user_id="u-s1")
REQUEST = {"title": "路面塌陷", "description": "南京路12号门口路面塌陷一个大坑，车辆无法通行",
           "caller_phone": "13853212345", "district": "崂山区", "category": "road-damage",
           "request_type": "help", "address": "南京路12号", "channel": "phone"}
FULL = {"faithful": {"points": 30}, "classified": {"points": 20}, "address": {"points": 15},
        "courtesy": {"points": 5, "comment": "没有使用规范用语"}, "knowledge": {"points": 20}}


@pytest.fixture
def intake(container_factory, service_config):
    config = dict(service_config, QUALITY={"rate": 0.0, "minimum": 1, "place_categories": ["road-damage"]})
    container_factory(IntakeService, config).start()

    def as_(who):
        return ServiceRpcProxy("intake", config, context_data=context(who, config))
    return as_


def refused(call, *args):
    with pytest.raises(RemoteError) as caught:
        call(*args)
    return caught.value.exc_type


def test_a_reviewer_scores_an_operators_sampled_ticket_and_the_month_counts_it(intake):
    with intake(WANG) as rpc:
        number = rpc.submit_ticket(REQUEST)["received_as"]
        second = rpc.submit_ticket(dict(REQUEST, caller_phone="13953212345", title="路灯不亮",
                                        description="南京路路灯不亮已经一周了，晚上很危险"))["received_as"]
    month = f"{number.split('-')[1][:4]}-{number.split('-')[1][4:6]}"
    with intake(QUALITY) as rpc:
        queue = rpc.quality_queue({"status": "waiting"})
        assert [c["number"] for c in queue["checks"]] == [number]  # the monthly minimum is one
        assert second not in str(queue) and "13853212345" not in str(queue)  # numbers and flags, no caller
        shown = rpc.quality_check(number)
        assert shown["ticket"]["address"] == "南京路12号" and shown["ticket"]["caller_phone"] != "13853212345"
        assert [i["code"] for i in shown["checklist"]] == list(FULL) and shown["recording_url"] is None
        assert refused(rpc.score_quality_check, number, dict(FULL, courtesy={"points": 99})) == "ValidationFailed"
        scored = rpc.score_quality_check(number, FULL, "整体良好")
        assert scored["status"] == "scored" and scored["score"]["total"] == 90
        assert scored["score"]["by"]["name"] == "质检甲"
    with intake(WANG) as rpc:
        mine = rpc.quality_results(month)
        assert [(r["recorded"], r["sampled"], r["reviewed"], r["average"]) for r in mine["operators"]] == \
            [(2, 1, 1, 90.0)]
        assert mine["operators"][0]["failed"] == [{"code": "courtesy", "times": 1}]


def test_an_operator_may_neither_score_nor_read_the_queue_nor_anothers_results(intake):
    with intake(WANG) as rpc:
        number = rpc.submit_ticket(REQUEST)["received_as"]
        assert refused(rpc.quality_queue) == "NotAllowed"
        assert refused(rpc.score_quality_check, number, FULL) == "NotAllowed"
        assert refused(rpc.quality_results, "2026-12", "u-li") == "NotAllowed"
        assert refused(rpc.quality_results, "December") == "ValidationFailed"
    with intake(SUPERVISOR) as rpc:
        assert refused(rpc.score_quality_check, number, FULL) == "NotAllowed"  # supervisors read, reviewers score
        assert rpc.quality_queue()["total"] == 1


def test_a_complaint_about_the_operator_queues_their_ticket_and_a_supervisor_sees_everyone(intake):
    with intake(WANG) as rpc:
        rpc.submit_ticket(REQUEST)  # the monthly minimum: sampled
        complained_of = rpc.submit_ticket(dict(REQUEST, caller_phone="13953212345"))["received_as"]
    with intake(LI) as rpc:
        complaint = rpc.submit_ticket(dict(REQUEST, caller_phone="13953212345", request_type="complaint",
                                           title="投诉接线员", category=None,
                                           description=f"我上午打12345反映路面塌陷，工单{complained_of}，接线员没记全就挂了"))
    with intake(SUPERVISOR) as rpc:
        check = rpc.quality_check(complained_of)
        assert check["check"]["reasons"] == ["complaint"] and check["check"]["complaints"] == [complaint["received_as"]]
        month = check["check"]["month"]
        rows = {r["operator"]["user_id"]: r for r in rpc.quality_results(month)["operators"]}
        assert rows["u-wang"]["complaints"] == 1 and rows["u-wang"]["sampled"] == 2
        assert rows["u-li"]["sampled"] == 1  # 李强's complaint ticket is his own month's minimum
