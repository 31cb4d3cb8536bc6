"""Two containers of every service over one store: what is done once stays once.

See bench/twice.py: the store yields between every read and write, so the
two instances of each service interleave as two processes on a real MongoDB
would.
"""
from urllib.parse import urlparse

import pytest

from bench.twice import TwinStack, delivered_once, scenario
from tests.conftest import _backends
from tests.service.receivers import WebhookServer

TICKETS = 40


@pytest.fixture
def twins(vhost_pipeline):
    amqp = urlparse(_backends["amqp"])
    webhooks = WebhookServer().start()
    with vhost_pipeline.get() as vhost:
        stack = TwinStack(f"{amqp.scheme}://{amqp.netloc}/{vhost}", webhooks.url)
        stack.start_all()
        try:
            yield stack, webhooks
        finally:
            stack.stop_all()
            webhooks.stop()


def test_two_instances_of_every_service_do_each_thing_once(twins):
    stack, webhooks = twins
    report = scenario(stack, TICKETS, timeout=120)
    report["webhook_deliveries"], report["delivered_twice"] = delivered_once(webhooks)
    print(report)
    assert report["containers_alive"], "a container died"
    assert report["accepted"] == report["numbers_issued"] == TICKETS
    assert report["numbers_issued_twice"] == 0
    assert report["client_retries"] == 0  # no request failed while two intakes numbered at once
    assert (report["missing_case"], report["duplicate_case"]) == (0, 0)
    assert (report["missing_watch"], report["duplicate_watch"]) == (0, 0)
    assert report["settled"], report
    assert report["steps_taken"] >= TICKETS * 4  # reminder, yellow, red, supervision orders...
    assert report["steps_taken_twice"] == 0
    assert report["steps_with_two_event_ids"] == 0 and report["steps_without_event"] == 0
    assert report["escalations_counted_by_metrics"] == report["steps_taken"]
    assert report["notifications"] > 0 and report["notifications_queued_twice"] == 0
    assert report["webhook_deliveries"] >= report["notifications"] - report["notifications_by_status"].get(
        "failed", 0)
    assert report["delivered_twice"] == 0
    assert report["outbox_backlog"] == 0
    assert report["models_trained"] == 1
    assert report["training_answers"] == ["refused", "trained"]
