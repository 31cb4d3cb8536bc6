"""followup's exits in a container against the real broker: 不合理诉求 over the
departments' HTTP door and a reviewer's RPC, 挂账 approved and taken back on
notify's recheck, and a case raised a level (提级) after too many reopenings."""
import datetime as dt

import pytest
from nameko.exceptions import RemoteError

from services.followup.service import FollowupService
from shared.contract import events, messages
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person
from tests.service.conftest import settle
from tests.service.followup.test_followup_service import NUMBER, assigned

KINDS = ("case_opened", "case_closed", "case_raised", "case_reopened", "unreasonable_proposed",
         "unreasonable_decided", "hold_proposed", "hold_decided", "hold_rechecked", "callback_recorded")
GOOD_REPLY = "已派维修人员到海尔路小区检修供水管道，11月24日下午恢复供水，并张贴停水通知。"


@pytest.fixture
def exits(start_service, recorder, publish, service_config, routing_directory):
    # WATER's parent unit, as the directory will say it (``parent``)
    water = routing_directory._departments()["WATER"]
    routing_directory.extra = {"WATER": dict(water, parent="D-SHINAN")}
    seen = recorder(*[("followup", kind) for kind in KINDS])
    _container, cases = start_service(FollowupService)

    def rpc(method, *args, who=None):
        with ServiceRpcProxy("followup", service_config, timeout=15,
                             context_data=context(who or person("李审核"), service_config)) as followup_rpc:
            return getattr(followup_rpc, method)(*args)

    publish("routing", "ticket_assigned", assigned())
    seen.wait_for("followup", "case_opened")
    token = rpc("create_department_token", "WATER")["token"]
    return rpc, seen, cases, token


def test_an_unreasonable_request_proposed_over_http_and_ruled_by_a_reviewer(exits, web_session):
    rpc, seen, cases, token = exits
    auth = {"Authorization": f"Bearer {token}"}
    path = f"/cases/{NUMBER}/unreasonable"
    body = {"reason": "要求拆除邻居合法建筑", "evidence": ["https://files.example/permit.pdf"], "actor": "张工"}
    assert web_session.post(path, headers=auth, json=body).status_code == 409  # not signed for yet
    rpc("sign_for", token, NUMBER, "张工")
    bad = web_session.post(path, headers=auth, json={"reason": "无理", "evidence": []})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"evidence"}
    proposed = web_session.post(path, headers=auth, json=body)
    assert proposed.status_code == 200 and proposed.json()["state"] == "unreasonable_proposed"
    assert seen.wait_for("followup", "unreasonable_proposed")[0]["evidence"] == body["evidence"]
    assert [c["number"] for c in rpc("unreasonable_queue")["items"]] == [NUMBER]

    with pytest.raises(RemoteError, match="NotAllowed"):  # a supervisor is not the reviewer
        rpc("decide_unreasonable", NUMBER, True, "", who=person("王督办", roles=("supervisor",)))
    closed = rpc("decide_unreasonable", NUMBER, True, "证据充分")
    assert (closed["state"], closed["outcome"]) == ("closed", "unreasonable")
    event = seen.wait_for("followup", "case_closed")[0]
    assert event["outcome"] == "unreasonable" and event["department_code"] == "WATER"
    ledger = cases.get(NUMBER)["ledger"]
    ruled = next(e for e in ledger if e["action"] == "unreasonable_approved")
    assert ruled["actor"] == "李审核" and ruled["actor_id"] and ruled["department_code"] == "WATER"
    water = next(d for d in rpc("scorecard")["departments"] if d["department"] == "WATER")
    assert water["unreasonable"] == 1 and water["dispatched"] == 0  # counted, not in its rates


def test_a_hold_approved_then_rechecked_when_notify_says_its_day_came(exits, publish, web_session):
    rpc, seen, cases, token = exits
    rpc("sign_for", token, NUMBER, "张工")
    tomorrow = (events.utcnow() + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    auth = {"Authorization": f"Bearer {token}"}
    bad = web_session.post(f"/cases/{NUMBER}/hold", headers=auth, json={"reason": "预算", "recheck_on": "soon"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"recheck_on"}
    rpc("propose_hold", token, NUMBER, "需纳入明年财政预算", tomorrow.isoformat(), "张工")
    supervisor = person("王督办", roles=("supervisor",))
    assert [c["number"] for c in rpc("hold_queue", who=supervisor)["items"]] == [NUMBER]
    with pytest.raises(RemoteError, match="NotAllowed"):
        rpc("decide_hold", NUMBER, True, "", who=person("李审核", roles=("reviewer",)))  # not a reviewer's
    held = rpc("decide_hold", NUMBER, True, "同意", who=supervisor)
    assert held["state"] == "on_hold"
    decided = seen.wait_for("followup", "hold_decided")[0]
    assert decided["approved"] is True and decided["recheck_on"] == tomorrow.isoformat()
    assert [c["number"] for c in web_session.get("/holds", headers=auth).json()["items"]] == [NUMBER]

    recheck_at = events.load(messages.HoldDecided, decided).recheck_at
    due = events.new_event(events.HoldRecheckDue, number=NUMBER, department_code="WATER",
                           recheck_at=recheck_at, due_at=recheck_at)
    publish("notify", "hold_recheck_due", due)
    publish("notify", "hold_recheck_due", due)  # redelivered
    back = seen.wait_for("followup", "hold_rechecked")[0]
    settle()
    assert len(seen.of("followup", "hold_rechecked")) == 1
    case = cases.get(NUMBER)
    assert case["state"] == "signed_for" and case["round_started_at"] <= recheck_at  # heard early here
    assert events.load(messages.HoldRechecked, back).deadline == case["deadline"] > case["round_started_at"]
    assert rpc("hold_list")["items"] == []


def test_reopened_twice_then_raised_to_the_parent_unit(exits):
    rpc, seen, cases, token = exits
    for round_ in range(3):
        rpc("sign_for", token, NUMBER, "张工")
        rpc("submit_reply", token, NUMBER, GOOD_REPLY, [], "张工")
        rpc("review_reply", NUMBER, "李审核", True, "")
        outcome = "partly_resolved" if round_ == 0 else "unresolved"
        rpc("record_callback", NUMBER, "", True, None, "dissatisfied", "还是停水", outcome,
            who=person("赵回访", roles=("callback",)))
    assert len(seen.wait_for("followup", "case_reopened", count=2)) == 2
    raised = seen.wait_for("followup", "case_raised")[0]
    assert (raised["department_code"], raised["to_department_code"]) == ("WATER", "D-SHINAN")
    assert [e["outcome"] for e in seen.of("followup", "callback_recorded")] == [
        "partly_resolved", "unresolved", "unresolved"]
    assert cases.get(NUMBER)["state"] == "raised"
