"""routing, followup and notify in containers: idempotent, and nothing lost."""
import json

import pytest
from nameko.exceptions import RpcTimeout, UnknownService
from pymongo.errors import AutoReconnect

from services.followup.service import FollowupService
from services.notify.service import NotifyService
from services.routing.service import RoutingService
from shared.contract import events
from tests.service.conftest import settle


def ticket_created(**overrides):
    body = {"number": "QD-20261126-00007", "title": "公司拖欠工资三个月", "description": "老板欠薪",
            "district": "黄岛区", "urgency": "normal", "channel": "phone",
            "received_at": events.utcnow()}
    body.update(overrides)
    return events.new_event(events.TicketCreated, **body)


def ticket_assigned(number="QD-20261126-00007"):
    now = events.utcnow()
    return events.new_event(
        events.TicketAssigned, number=number, department_code="HRSS",
        department_name="市人力资源和社会保障局", time_limit_class="general", deadline=now,
        sign_for_deadline=now, assigned_at=now, decided_by="routing", reasons=["欠薪"])


def test_routing_assigns_with_deadlines_and_reasons(start_service, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"))
    start_service(RoutingService)

    publish("intake", "ticket_created", ticket_created())

    assigned = seen.wait_for("routing", "ticket_assigned")[0]
    assert assigned["department_code"] == "HRSS"
    assert assigned["rule"] == "keywords"
    assert any("欠薪" in reason for reason in assigned["reasons"])
    assert assigned["deadline"] > assigned["sign_for_deadline"] > assigned["assigned_at"]


def test_routing_sends_the_unknowable_to_a_person(start_service, recorder, publish):
    seen = recorder(("routing", "ticket_awaiting_dispatch"))
    start_service(RoutingService)
    publish("intake", "ticket_created", ticket_created(title="有事反映", description="", district=None))
    assert seen.wait_for("routing", "ticket_awaiting_dispatch")[0]["reasons"]


def test_routing_decides_a_redelivered_ticket_once(start_service, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"))
    _, decisions = start_service(RoutingService)
    event = ticket_created()

    publish("intake", "ticket_created", event)
    publish("intake", "ticket_created", event)
    seen.wait_for("routing", "ticket_assigned")
    settle()

    assert decisions.decisions.count_documents({}) == 1
    assert len(seen.of("routing", "ticket_assigned")) == 1


def test_followup_opens_one_case_for_a_repeated_event(start_service, recorder, publish):
    seen = recorder(("followup", "case_opened"))
    _, cases = start_service(FollowupService)
    event = ticket_assigned()

    publish("routing", "ticket_assigned", event)
    publish("routing", "ticket_assigned", event)
    seen.wait_for("followup", "case_opened")
    settle()

    assert cases.count("QD-20261126-00007") == 1
    assert len(seen.of("followup", "case_opened")) == 1
    assert cases.get("QD-20261126-00007")["ledger"][0]["action"] == "assigned"


def test_notify_watches_each_case_once(start_service, recorder, publish):
    seen = recorder(("notify", "deadline_watched"))
    _, watches = start_service(NotifyService)
    now = events.utcnow()
    opened = events.new_event(events.CaseOpened, number="QD-1", department_code="HRSS",
                              deadline=now, sign_for_deadline=now, opened_at=now)

    publish("followup", "case_opened", opened)
    publish("followup", "case_opened", opened)
    seen.wait_for("notify", "deadline_watched")
    settle()

    assert watches.watches.count_documents({}) == 1
    assert [w["number"] for w in watches.due(now)] == ["QD-1"]


def test_a_malformed_event_is_dead_lettered_with_its_reason(start_service, recorder, publish,
                                                           dead_letters):
    seen = recorder(("followup", "case_opened"))
    _, cases = start_service(FollowupService)

    publish("routing", "ticket_assigned", {"number": 42, "department_code": None})
    publish("routing", "ticket_assigned", "not even an object")
    publish("routing", "ticket_assigned", ticket_assigned())  # the consumer carries on

    seen.wait_for("followup", "case_opened")
    letters = dead_letters(2)
    assert len(letters) == 2
    assert {letter["consumer"] for letter in letters} == {"followup"}
    by_payload = {json.dumps(letter["payload"], sort_keys=True): letter for letter in letters}
    bad_fields = by_payload[json.dumps({"department_code": None, "number": 42})]
    assert "invalid routing.ticket_assigned" in bad_fields["reason"]
    assert "department_code" in bad_fields["reason"]
    assert "Invalid input type" in by_payload[json.dumps("not even an object")]["reason"]
    assert cases.cases.count_documents({}) == 1


def open_fails_twice_then_opens(start_service, recorder, publish, monkeypatch, fault):
    """followup's store raises ``fault`` on the first two tries to open the case: the
    event is delivered again and the case is opened once."""
    seen = recorder(("followup", "case_opened"))
    _, cases = start_service(FollowupService)
    real_open, failures = cases.open, []

    def flaky_open(case, outbox):
        if len(failures) < 2:
            failures.append(case["number"])
            raise fault
        return real_open(case, outbox)

    monkeypatch.setattr(cases, "open", flaky_open)
    monkeypatch.setattr("shared.platform.messaging.TRANSIENT_BACKOFF_SECONDS", 0.05)

    publish("routing", "ticket_assigned", ticket_assigned())

    seen.wait_for("followup", "case_opened", timeout=10)
    assert len(failures) == 2
    assert cases.count("QD-20261126-00007") == 1


def test_a_store_outage_delays_but_loses_nothing(start_service, recorder, publish, monkeypatch):
    open_fails_twice_then_opens(start_service, recorder, publish, monkeypatch,
                                AutoReconnect("store unreachable"))


@pytest.mark.parametrize("fault", [ConnectionResetError("broker connection reset"),
                                   UnknownService("intake"), RpcTimeout(10)],
                         ids=["broker-went-away", "service-not-running", "service-silent"])
def test_a_fault_that_passes_is_delivered_again_not_dead_lettered(start_service, recorder, publish,
                                                                  monkeypatch, fault):
    """A handler that meets the broker going away, or another service not answering, has
    its message delivered again: once, a node stopped mid-flight dead-lettered six valid
    events this way."""
    open_fails_twice_then_opens(start_service, recorder, publish, monkeypatch, fault)


def test_an_undecodable_body_is_dead_lettered_not_dropped(start_service, recorder, publish,
                                                         dead_letters, service_config):
    from kombu import Connection, Exchange

    seen = recorder(("followup", "case_opened"))
    start_service(FollowupService)
    with Connection(service_config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for body, content_type in ((b"\xff\xfe not json", "application/json"),
                                   (b'{"number":', "application/json"),
                                   (b"pickled?", "application/x-python-serialize")):
            producer.publish(body, exchange=Exchange("routing.events", type="topic"),
                             routing_key="ticket_assigned", content_type=content_type,
                             content_encoding="binary")
    publish("routing", "ticket_assigned", ticket_assigned())  # valid traffic still flows

    seen.wait_for("followup", "case_opened")
    letters = dead_letters(3)
    assert len(letters) == 3
    assert all("undecodable body" in letter["reason"] for letter in letters)
    payloads = [letter["payload"] for letter in letters]
    assert {"base64": "//4gbm90IGpzb24="} in payloads
    assert {"text": '{"number":'} in payloads


def test_a_broker_fault_after_saving_loses_nothing(start_service, recorder, publish, monkeypatch):
    """The case is saved with its event; the publish fails; the outbox timer sends it."""
    seen = recorder(("followup", "case_opened"))
    container, cases = start_service(FollowupService)
    from nameko.events import EventDispatcher
    from nameko.testing.utils import get_extension

    dispatcher = get_extension(container, EventDispatcher)
    real_get = dispatcher.get_dependency
    calls = []

    def failing_once(worker_ctx):
        dispatch = real_get(worker_ctx)

        def flaky(event_type, payload):
            calls.append(event_type)
            if len(calls) == 1:
                raise ConnectionError("broker went away")
            return dispatch(event_type, payload)
        return flaky

    monkeypatch.setattr(dispatcher, "get_dependency", failing_once)

    publish("routing", "ticket_assigned", ticket_assigned())

    # The outbox timer re-publishes events older than its grace period (5 s).
    opened = seen.wait_for("followup", "case_opened", timeout=15)
    assert len(opened) == 1
    assert calls[0] == "case_opened" and len(calls) >= 2
    assert cases.count("QD-20261126-00007") == 1


def test_rpc_requests_nobody_can_answer_are_dead_lettered(start_service, dead_letters, service_config):
    """nameko alone dies on an RPC request without reply_to; ours dead-letters it."""
    from kombu import Connection, Exchange

    from shared.platform.principals import ServiceRpcProxy

    container, _ = start_service(NotifyService)
    # Confirmed publishes: without them a quorum queue may drop what a channel closing at
    # once had in flight, and the test would wait for letters that never come.
    with Connection(service_config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        rpc_exchange = Exchange("nameko-rpc", type="topic", durable=True)
        producer.publish({"x": 1}, exchange=rpc_exchange, routing_key="notify.ping")
        producer.publish(["not", "a", "request"], exchange=rpc_exchange, routing_key="notify.ping",
                         reply_to="nobody-listens", correlation_id="c1")

    letters = dead_letters(2)
    assert sorted(letter["reason"][:20] for letter in letters) == [
        "RPC request body mus", "RPC request without "]
    assert not container._died.ready()
    with ServiceRpcProxy("notify", service_config) as notify:
        assert notify.ping() == "notify"


def test_a_reply_that_cannot_be_sent_does_not_kill_the_service(start_service, service_config, monkeypatch):
    """nameko lets a failed reply publish kill the container; ours requeues the request."""
    from kombu.exceptions import OperationalError
    from nameko import rpc as nameko_rpc

    from shared.platform.principals import ServiceRpcProxy

    container, _ = start_service(NotifyService)
    real_send = nameko_rpc.Responder.send_response
    attempts = []

    def broker_gone_once(responder, result, exc_info):
        attempts.append(result)
        if len(attempts) == 1:
            raise OperationalError("[Errno 111] ECONNREFUSED")
        return real_send(responder, result, exc_info)

    monkeypatch.setattr(nameko_rpc.Responder, "send_response", broker_gone_once)
    with ServiceRpcProxy("notify", service_config, timeout=10) as notify:
        assert notify.ping() == "notify"  # answered on the second delivery
    assert attempts == ["notify", "notify"]
    assert not container._died.ready()


def test_an_ack_on_a_connection_the_broker_reset_does_not_kill_the_service(
        start_service, recorder, publish, monkeypatch):
    """nameko lets ConnectionResetError from an ack escape and kill the container."""
    from kombu.message import Message

    seen = recorder(("followup", "case_opened"))
    container, cases = start_service(FollowupService)
    real_ack = Message.ack
    acks = []

    def reset_once(message, *args, **kwargs):
        if message.delivery_info.get("routing_key") == "ticket_assigned":  # followup's, not the recorder's
            acks.append(message.delivery_tag)
            if len(acks) == 1:
                raise ConnectionResetError(104, "Connection reset by peer")
        return real_ack(message, *args, **kwargs)

    monkeypatch.setattr(Message, "ack", reset_once)
    publish("routing", "ticket_assigned", ticket_assigned("QD-20261126-00008"))
    seen.wait_for("followup", "case_opened")
    publish("routing", "ticket_assigned", ticket_assigned("QD-20261126-00009"))
    assert len(seen.wait_for("followup", "case_opened", count=2)) == 2
    assert len(acks) >= 2
    assert not container._died.ready()
