"""``make chaos`` at a smaller size, on the local three-node RabbitMQ cluster.

The services run as containers in the test process over one in-memory store
that survives them (see bench/chaos.py), connected to the cluster through its
list of node addresses. Each scenario gets a fresh vhost and prints its
accounting: sent / arrived / dead-lettered / repaired / difference. Every eighth
ticket is worked as a tree meanwhile (co-handlers, a pass-down, a co-handler's
reply), and the difference counts every open part without its watch and every
watch that outlived its part.
"""
import pytest

from bench.chaos import InProcessStack, print_report, scenario, start_last

TICKETS = 80
# `make chaos` kills each service alone and starts each alone last; here the same services
# meet the same faults two at a time and all at once (the suite's time is a budget).
KILLED = ["intake+followup", "routing+notify"]
LAST = ["last:intake", "last:routing+followup+notify+insight+console"]


@pytest.fixture
def stack(rabbit_cluster):
    with rabbit_cluster.vhost() as amqp_uri:
        stack = InProcessStack(amqp_uri)
        stack.start_all()
        yield stack
        stack.stop_all()


def check(report):
    print_report(report)
    assert report["containers_alive"], "a service died"
    assert report["accepted"] == report["sent"]
    assert report["trees"] and report["parts_open"] and report["parts_ended"], report  # the tree was worked
    assert report["difference"] == 0, report


@pytest.mark.parametrize("services", KILLED)
def test_killing_services_mid_flight_loses_nothing(stack, services):
    check(scenario(stack, f"kill:{services}", TICKETS, timeout=90))


def test_a_store_outage_delays_but_loses_nothing(stack):
    check(scenario(stack, "store-outage", TICKETS, timeout=90))


def test_garbage_on_every_queue_is_dead_lettered_and_valid_traffic_flows(stack):
    from bench.garbage import flood

    report = flood(stack, per_queue=40, tickets=TICKETS, timeout=120)
    assert report["queues"] >= 40  # every event, RPC and inbound queue of the services
    assert report["dead_lettered"] == report["garbage_sent"]
    assert report["over_the_limit"] == 0
    check(report)


def test_restarting_every_broker_node_in_turn_loses_nothing(stack):
    check(scenario(stack, "broker-restart", TICKETS, timeout=150))


def test_stopping_the_node_the_services_use_mid_flight_loses_nothing(stack):
    check(scenario(stack, "node-stop", TICKETS, timeout=150))


@pytest.mark.parametrize("name", LAST)
def test_services_started_last_find_their_work_waiting(rabbit_cluster, name):
    with rabbit_cluster.vhost() as amqp_uri:
        check(start_last(amqp_uri, name.split(":", 1)[1], 40, timeout=90))
