"""No ticket left behind: events lost on purpose, and the reconciler repairing them.

A service is stopped, the event meant for it is purged from its queue (as a
broker that lost it, or a queue that never existed, would), and the service
starts again: nothing would ever happen to the ticket. intake's reconciler
notices within its configured time, asks the owner of the missing fact to
publish it again, and the ticket moves on; what cannot be repaired reaches the
supervisors' webhook.
"""
import json

import pytest
from kombu import Connection

from tests.service.receivers import wait_until
from tests.stack.conftest import running_stack

WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。",
         "district": "崂山区", "urgency": "urgent", "channel": "web"}
TO_FOLLOWUP = "evt-routing-ticket_assigned--followup.on_ticket_assigned"
TO_ROUTING = "evt-intake-ticket_created--routing.on_ticket_created"


@pytest.fixture(scope="module")
def stack(vhost_pipeline, tmp_path_factory, webhooks):
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("reconciler"),
                       RECONCILE_INTERVAL="1", RECONCILE_DISPATCH_SECONDS="2",
                       RECONCILE_CASE_SECONDS="2", RECONCILE_WATCH_SECONDS="2", RECONCILE_REPAIRS="2",
                       NOTIFY_DELIVERY_INTERVAL="0.5", WEBHOOK_SECRET="reconciler-stack-secret",
                       NOTIFY_LEVEL2_WEBHOOK=webhooks.url("/supervising-office")) as stack:
        yield stack


def lose_what_waits_for(stack, queue):
    """Purge ``queue``: the events in it are gone, as if the broker had dropped them."""
    with Connection(stack.env["AMQP_URI"]) as connection:
        return connection.default_channel.queue_purge(queue) or 0


def queue_depth(stack, queue):
    with Connection(stack.env["AMQP_URI"]) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def test_an_assignment_lost_on_its_way_to_followup_is_published_again(stack):
    stack.stop("followup")
    number = stack.post(dict(WATER, title="小区停水两天了 1")).json()["number"]
    stack.wait_until(number, lambda view: view["status"] == "assigned")
    wait_until(lambda: queue_depth(stack, TO_FOLLOWUP) == 1, what="the assignment queued for followup")
    assert lose_what_waits_for(stack, TO_FOLLOWUP) == 1
    stack.start("followup")

    view = stack.wait_until(number, lambda v: v["case_opened"] and v["deadline_watched"], timeout=30)
    assert stack.rpc("followup", "get_case", number)["department_code"] == "WATER"
    found = stack.rpc("intake", "reconciler_findings")
    assert found["waiting"]["case"] == 0 and found["totals"]["repairs"] >= 1
    assert found["totals"]["healed"] >= 1
    assert "stalled" not in [entry["status"] for entry in view["history"]]


def test_a_ticket_lost_on_its_way_to_routing_is_dispatched_after_all(stack):
    stack.stop("routing")
    number = stack.post(dict(WATER, title="小区停水两天了 2")).json()["number"]
    wait_until(lambda: queue_depth(stack, TO_ROUTING) == 1, what="the ticket queued for routing")
    assert lose_what_waits_for(stack, TO_ROUTING) == 1
    stack.start("routing")

    view = stack.wait_until(number, lambda v: v["case_opened"] and v["deadline_watched"], timeout=30)
    assert view["department"]["code"] == "WATER"
    assert stack.rpc("routing", "get_decision", number)["status"] == "assigned"


def test_what_cannot_be_repaired_reaches_the_supervisors_and_the_cli(stack, webhooks):
    stack.stop("followup")
    try:
        number = stack.post(dict(WATER, title="小区停水两天了 3")).json()["number"]
        stack.wait_until(number, lambda view: view["status"] == "assigned")
        wait_until(lambda: queue_depth(stack, TO_FOLLOWUP) >= 1, what="the assignment queued")
        lose_what_waits_for(stack, TO_FOLLOWUP)
        # followup stays down: every repair is asked of it in vain (routing publishes
        # the assignment again, and it waits in followup's queue)
        view = stack.wait_until(number, lambda v: v.get("escalation") == "stalled_case", timeout=40)
        assert "stalled" in [entry["status"] for entry in view["history"]]
        [letter] = wait_until(lambda: [d for d in webhooks.documents("/supervising-office")
                                       if d.get("number") == number], timeout=20,
                              what="the supervising office's webhook")
        assert letter["template"] == "stalled" and number in letter["subject"]

        shown = stack.hotline("reconciler", "--json")
        assert shown.returncode == 0, shown.stderr
        found = json.loads(shown.stdout)
        assert found["escalated"] >= 1
        assert number in [t["number"] for t in found["tickets"] if t["stage"] == "case"]
    finally:
        stack.start("followup")
    # followup back: the assignment routing published again is in its queue; the case opens
    stack.wait_until(number, lambda v: v["case_opened"] and v["deadline_watched"], timeout=30)
