"""callcentre in a container: the CTI door over HTTP (form and JSON) and AMQP, the token,
the events it publishes, the missed callers' queue and the agents."""
import datetime as dt
import json

import pika
import pytest
from nameko.exceptions import RemoteError

from services.callcentre.service import CallcentreService
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person

CALLER = "13853212345"
OPERATOR = person("王芳", roles=("operator",), user_id="op7")
CALLBACK = person("李静", roles=("callback",), user_id="cb1")
SUPERVISOR = person("张督", roles=("supervisor",), user_id="sv1")
ADMIN = person("管理员", roles=("admin",), user_id="ad1")


@pytest.fixture
def callcentre(start_service, service_config):
    _, calls = start_service(CallcentreService)

    def rpc(who):
        return ServiceRpcProxy("callcentre", service_config, context_data=context(who, service_config))
    return calls, rpc


@pytest.fixture
def door(callcentre):
    _, rpc = callcentre
    with rpc(ADMIN) as proxy:
        return proxy.rotate_cti_token()["path"]


def call(event, call_id, at, **extra):
    return dict({"event": event, "from": CALLER, "to": "12345", "direction": "in", "callId": call_id,
                 "at": at}, **extra)


def test_a_call_in_form_and_json_any_order_twice_is_one_record(callcentre, door, web_session, recorder):
    calls, rpc = callcentre
    seen = recorder(("callcentre", "call_ringing"), ("callcentre", "call_ended"))
    hangup = call("hangup", "c-1", "2026-12-01T09:03:20+08:00", cause="normalClearing")
    answer = call("answer", "c-1", "2026-12-01T09:00:12+08:00", answeringNumber="op7")
    ring = dict(call("newCall", "c-1", "2026-12-01T09:00:00+08:00", queue="main"), **{"user[]": ["op7", "op8"]})
    assert web_session.post(door, json=hangup).json() == {}
    assert web_session.post(door, data=ring).status_code == 200       # form-encoded, user[] twice
    assert web_session.post(door, json=answer).status_code == 200
    assert web_session.post(door, json=hangup).status_code == 200     # a repeat: stored once
    assert calls.events.count_documents({"call_id": "c-1"}) == 3
    with rpc(SUPERVISOR) as proxy:
        record = proxy.get_call("c-1")
    assert record["outcome"] == "answered" and record["wait_seconds"] == 12 and record["talk_seconds"] == 188
    assert record["agent"] == "op7" and record["users"] == ["op7", "op8"] and record["queue"] == "main"
    assert record["caller_phone"] == "138****2345"   # a supervisor sees it masked
    ended = seen.wait_for("callcentre", "call_ended", count=2)
    assert max(e["events"] for e in ended) == 3 and all(e["caller_phone"] == "138****2345" for e in ended)
    # The newCall came after the hangup: the call no longer rang, so nobody's screen pops.
    assert seen.of("callcentre", "call_ringing") == []


def test_a_ringing_call_pops_for_its_operator_only(callcentre, door, web_session, recorder):
    calls, rpc = callcentre
    seen = recorder(("callcentre", "call_ringing"))
    assert web_session.post(door, data={"event": "newCall", "from": CALLER, "to": "12345", "direction": "in",
                                        "callId": "c-2", "user[]": "op7"}).status_code == 200
    ringing = seen.wait_for("callcentre", "call_ringing")[0]
    assert ringing["call_id"] == "c-2" and ringing["users"] == ["op7"] and CALLER not in json.dumps(ringing)
    with rpc(OPERATOR) as proxy:
        popped = proxy.ringing_for("op7")
        assert [(c["call_id"], c["caller_phone"]) for c in popped] == [("c-2", CALLER)]
        with pytest.raises(RemoteError, match="NotAllowed"):
            proxy.ringing_for("op8")
    with rpc(SUPERVISOR) as proxy:
        assert [c["call_id"] for c in proxy.ringing_for("op7")] == ["c-2"]


def test_the_door_refuses_a_bad_token_and_answers_garbage_with_field_errors(callcentre, door, web_session):
    calls, rpc = callcentre
    body = call("newCall", "c-3", "2026-12-01T09:00:00+08:00")
    assert web_session.post("/cti/not-the-token", json=body).status_code == 404
    assert web_session.post("/cti/", json=body).status_code in (404, 405)
    assert web_session.post(door + "x", json=body).status_code == 404
    with rpc(ADMIN) as proxy:
        new = proxy.rotate_cti_token()["path"]
    assert web_session.post(door, json=body).status_code == 404          # the old token stops working
    assert web_session.post(new, json=body).status_code == 200
    assert calls.events.count_documents({}) == 1
    bad = web_session.post(new, json={"event": "ring", "direction": "sideways", "at": "yesterday"})
    assert bad.status_code == 400
    errors = bad.json()
    assert {"event", "direction", "callId", "at"} <= set(errors["errors"]) and "error_codes" in errors
    assert web_session.post(new, data=b"\xff\xfe", headers={"Content-Type": "application/json"}).status_code == 400
    with rpc(OPERATOR) as proxy, pytest.raises(RemoteError, match="NotAllowed"):
        proxy.rotate_cti_token()


def test_a_source_reports_calls_over_amqp_and_garbage_is_dead_lettered(callcentre, rabbit_config, dead_letters):
    calls, rpc = callcentre
    url = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    user = pika.URLParameters(url).credentials.username
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()

    def publish(body, user_id=user):
        props = pika.BasicProperties(user_id=user_id, content_type="application/json")
        channel.basic_publish("hotline.inbound", "call.event", body, properties=props)

    for event in (call("hangup", "c-4", "2026-12-01T10:00:40+08:00", cause="cancel"),
                  call("newCall", "c-4", "2026-12-01T10:00:00+08:00", user=["op7"], queue="main"),
                  call("hangup", "c-4", "2026-12-01T10:00:40+08:00", cause="cancel")):
        publish(json.dumps(event).encode())
    publish(json.dumps(call("newCall", "", "2026-12-01T10:00:00+08:00")).encode())
    publish(b'{"event": "newCall", "from": "13853212345", ')
    publish(json.dumps(call("newCall", "c-5", "2026-12-01T10:00:00+08:00")).encode(), user_id=None)
    connection.close()
    letters = dead_letters(3)  # handled concurrently: in any order
    assert all(letter["origin"] == "inbound.call_event" for letter in letters)
    reasons = " | ".join(sorted(letter["reason"] for letter in letters))
    assert "callId" in reasons and "not JSON" in reasons and "no source of calls" in reasons
    assert CALLER not in json.dumps(letters)               # the caller's number masked in dead letters
    with rpc(CALLBACK) as proxy:
        queue = proxy.missed_callers()
    assert [(m["caller_phone"], m["calls"], m["standing"]) for m in queue] == [(CALLER, 1, "overdue")]
    assert calls.events.count_documents({"call_id": "c-4"}) == 2


def test_missed_callers_are_one_per_number_per_day_and_worked(callcentre, door, web_session):
    calls, rpc = callcentre
    for n, (ring, end) in enumerate((("09:00:00", "09:00:30"), ("11:00:00", "11:00:05"))):
        web_session.post(door, json=call("newCall", f"m-{n}", f"2026-12-01T{ring}+08:00"))
        web_session.post(door, json=call("hangup", f"m-{n}", f"2026-12-01T{end}+08:00", cause="noAnswer"))
    with rpc(SUPERVISOR) as proxy:
        listed = proxy.missed_callers()
    assert len(listed) == 1 and listed[0]["calls"] == 2 and listed[0]["caller_phone"] == "138****2345"
    key = listed[0]["key"]
    assert CALLER not in key
    with rpc(CALLBACK) as proxy:
        assert proxy.claim_missed_caller(key)["claimed_by"] == "cb1"
        with rpc(OPERATOR) as other, pytest.raises(RemoteError, match="CannotWork"):
            other.record_callback(key, "reached")
        proxy.record_callback(key, "not_reached", "无人接听")
        done = proxy.record_callback(key, "reached")
        assert done["standing"] == "late" and [a["outcome"] for a in done["attempts"]] == ["not_reached", "reached"]
        assert proxy.missed_callers() == []
        with pytest.raises(RemoteError, match="CannotWork"):
            proxy.record_callback(key, "reached")


def test_agents_follow_their_calls_and_set_their_own_state(callcentre, door, web_session):
    calls, rpc = callcentre
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).isoformat()
    assert web_session.post(door, json=call("answer", "a-1", at, answeringNumber="op7")).status_code == 200
    with rpc(OPERATOR) as proxy:
        assert {a["agent"]: a["state"] for a in proxy.floor_agents()} == {"op7": "on_call"}
        proxy.set_agent_state("break")
        assert {a["agent"]: a["state"] for a in proxy.floor_agents()} == {"op7": "break"}
        with pytest.raises(RemoteError, match="NotAllowed"):
            proxy.set_agent_state("ready", "op8")
        with pytest.raises(RemoteError, match="BadQuery"):
            proxy.set_agent_state("asleep")
