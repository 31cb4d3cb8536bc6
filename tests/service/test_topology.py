"""Topology before traffic, strict publishing, bounded redelivery (shared/contract/topology.py)."""
import json
import logging
import time

import pytest
from kombu import Connection
from pymongo.errors import AutoReconnect

from operate.topology import build_manifest, render_manifest
from services.followup.service import FollowupService
from services.intake.service import IntakeService
from shared.contract import topology
from shared.contract.topology import DEAD_LETTER_QUEUE, MANIFEST_PATH
from tests.people import context
from tests.service.receivers import wait_until as wait
from tests.service.test_consumers import ticket_assigned

pytestmark = pytest.mark.fresh_vhost  # nothing declared before the test (tests/vhosts.py)


def test_the_committed_manifest_is_what_the_services_declare():
    assert MANIFEST_PATH.read_text(encoding="utf-8") == render_manifest(build_manifest()), \
        "shared/contract/topology.json is out of date: run `make schemas`"


def queue_facts(amqp_uri, name):
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(name, passive=True)


def test_a_service_declares_every_consumer_queue_before_it_publishes(start_service, service_config):
    start_service(IntakeService)
    manifest = topology.load_manifest()
    for entry in manifest["event_queues"] + manifest["queues"]:
        assert queue_facts(service_config["AMQP_URI"], entry["queue"]).queue == entry["queue"]
    # routing never ran, but its queue holds the ticket intake published
    from shared.platform.principals import ServiceRpcProxy

    with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:
        intake.submit_ticket({"title": "路灯不亮", "district": "市南区", "channel": "phone"})
    queue = "evt-intake-ticket_created--routing.on_ticket_created"
    wait(lambda: queue_facts(service_config["AMQP_URI"], queue).message_count == 1, what="the queued ticket")


def test_an_event_no_queue_takes_stays_in_the_outbox_and_is_published_once_a_queue_exists(
        start_service, service_config, caplog):
    service_config["DECLARE_TOPOLOGY"] = False  # a broker someone emptied, say
    service_config["OUTBOX_INTERVAL"] = 0.2
    _, tickets = start_service(IntakeService)
    from shared.platform.principals import ServiceRpcProxy

    with caplog.at_level(logging.ERROR, logger="shared.platform.outbox"):
        with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:
            number = intake.submit_ticket({"title": "路灯不亮", "district": "市南区", "channel": "phone"})["number"]
        time.sleep(1.0)  # several outbox ticks
    doc = tickets.tickets.find_one({"number": number})
    assert [e["event_type"] for e in doc["outbox"]] == ["ticket_created"]
    assert any("taken by no queue" in r.getMessage() for r in caplog.records)

    topology.declare_with_uri(service_config["AMQP_URI"], service_config)
    queue = "evt-intake-ticket_created--routing.on_ticket_created"
    wait(lambda: queue_facts(service_config["AMQP_URI"], queue).message_count == 1, what="the late publish")
    wait(lambda: not tickets.tickets.find_one({"number": number}).get("outbox"), what="the outbox emptied")


def test_a_message_that_keeps_failing_is_dead_lettered_after_the_delivery_limit(
        start_service, service_config, publish, monkeypatch):
    service_config["QUEUES"] = {"delivery_limit": 2}
    monkeypatch.setattr("shared.platform.messaging.TRANSIENT_BACKOFF_SECONDS", 0.01)
    _, cases = start_service(FollowupService)
    tries = []

    def always_unreachable(case, outbox):
        tries.append(case["number"])
        raise AutoReconnect("store unreachable for good")

    monkeypatch.setattr(cases, "open", always_unreachable)
    publish("routing", "ticket_assigned", ticket_assigned())

    with Connection(service_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        letter = wait(lambda: channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True), what="the dead letter")
    assert len(tries) == 3  # the first delivery and two redeliveries, then no more
    [death] = letter.headers["x-death"]
    assert death["reason"] == "delivery_limit"
    assert death["queue"] == "evt-routing-ticket_assigned--followup.on_ticket_assigned"
    assert json.loads(letter.body)["number"] == ticket_assigned()["number"]
    time.sleep(0.5)
    assert len(tries) == 3


def test_deeply_nested_json_is_dead_lettered_once_not_spun(start_service, service_config):
    """2 KB of nesting once raised RecursionError outside every guard and was requeued for ever."""
    from services.intake.entrypoints.inbound import INBOUND_EXCHANGE, SUBMIT_QUEUE

    start_service(IntakeService)
    start_service(FollowupService)
    submission = b'{"a":' * 1100 + b'1' + b'}' * 1100  # 7 KB, 1,100 levels
    event = b"[" * 5000 + b"]" * 5000
    with Connection(service_config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        producer.publish(submission, exchange=INBOUND_EXCHANGE, routing_key="ticket.submit",
                         content_type="application/json", content_encoding="binary", user_id=connection.userid)
        producer.publish(event, exchange="routing.events", routing_key="ticket_assigned",
                         content_type="application/json", content_encoding="binary")
        channel = connection.channel()
        letters = []
        # the submission, and the event once per consumer (intake's status view, followup)
        wait(lambda: letters.append(channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True)) or
             len([x for x in letters if x]) == 3, what="three dead letters")
        time.sleep(1.0)
        extra = channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True)
        assert extra is None, (extra.body[:200], extra.headers, [x.body[:200] for x in letters if x])  # not spinning
        for queue in (SUBMIT_QUEUE.name, "evt-routing-ticket_assigned--followup.on_ticket_assigned",
                      "evt-routing-ticket_assigned--intake.on_ticket_assigned"):
            assert channel.queue_declare(queue, passive=True).message_count == 0
    messages = [x for x in letters if x]
    assert all("x-death" not in (x.headers or {}) for x in messages)  # ours, not the broker's
    letters = {(json.loads(x.body)["consumer"], json.loads(x.body)["origin"]): json.loads(x.body)["reason"]
               for x in messages}
    assert "nests deeper than 64 levels" in letters[("intake", "inbound.ticket_submit")], letters
    for consumer in ("intake", "followup"):  # kombu's decoder gave up: dead-lettered raw
        assert "undecodable body" in letters[(consumer, "ticket_assigned")], letters


def test_a_consumer_the_broker_dropped_is_noticed_and_consumes_again(
        start_service, recorder, publish, monkeypatch):
    """After a cluster node stopped, a consumer's channel was once gone at the broker
    while the client waited on, its connection healthy: nothing came for ever."""
    from nameko.testing.utils import get_extension

    from shared.platform.messaging import BrokerSafeQueueConsumer, DeadLetteringQueueConsumer

    monkeypatch.setattr(BrokerSafeQueueConsumer, "consumer_check_seconds", 0.5)
    seen = recorder(("followup", "case_opened"))
    container, cases = start_service(FollowupService)
    queue_consumer = get_extension(container, DeadLetteringQueueConsumer)
    wait(lambda: queue_consumer._consumers and all(c._active_tags for c in queue_consumer._consumers.values()),
         what="followup consuming")
    # The broker forgets the consumer; the client is not told (kombu still lists its tag).
    [consumer] = [c for p, c in queue_consumer._consumers.items()
                  if p.queue.name == "evt-routing-ticket_assigned--followup.on_ticket_assigned"]
    consumer.channel.basic_cancel(next(iter(consumer._active_tags.values())), nowait=True)

    publish("routing", "ticket_assigned", ticket_assigned())
    seen.wait_for("followup", "case_opened", timeout=15)
    assert cases.count(ticket_assigned()["number"]) == 1
