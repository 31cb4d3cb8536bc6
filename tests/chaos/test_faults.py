"""``make chaos`` at a smaller size: nothing lost under kills, outages and garbage.

The services run as containers in the test process over one in-memory store
that survives them (see bench/chaos.py). Each scenario gets a stack of its own
and prints its accounting.
"""
import os
import shutil
from urllib.parse import urlparse

import pytest

from bench.chaos import InProcessStack, print_report, scenario
from tests.conftest import _backends

TICKETS = 80


@pytest.fixture
def stack(vhost_pipeline):
    amqp = urlparse(_backends["amqp"])
    with vhost_pipeline.get() as vhost:
        stack = InProcessStack(f"{amqp.scheme}://{amqp.netloc}/{vhost}")
        stack.start_all()
        yield stack
        stack.stop_all()


def check(report):
    print_report(report)
    assert report["containers_alive"], "a service died"
    assert report["accepted"] == report["sent"]
    assert report["difference"] == 0, report


@pytest.mark.parametrize("service", ["intake", "routing", "followup", "notify"])
def test_killing_a_service_mid_flight_loses_nothing(stack, service):
    check(scenario(stack, f"kill:{service}", TICKETS, timeout=90))


def test_a_store_outage_delays_but_loses_nothing(stack):
    check(scenario(stack, "store-outage", TICKETS, timeout=90))


def test_garbage_on_every_queue_is_dead_lettered_and_valid_traffic_flows(stack):
    from bench.garbage import flood

    report = flood(stack, per_queue=40, tickets=TICKETS, timeout=90)
    assert report["queues"] >= 8  # every event and RPC queue of the four services
    assert report["dead_lettered"] == report["garbage_sent"]
    check(report)


@pytest.mark.skipif(os.environ.get("HOTLINE_CHAOS_BROKER_RESTART") == "0",
                    reason="HOTLINE_CHAOS_BROKER_RESTART=0: leave the shared broker alone")
def test_a_broker_restart_loses_nothing(stack):
    if shutil.which("rabbitmqctl") is None or not _backends["rabbit_label"].startswith("local RabbitMQ"):
        pytest.skip("restarting the broker needs rabbitmqctl and the local node under test")
    check(scenario(stack, "broker-restart", TICKETS, timeout=120))
