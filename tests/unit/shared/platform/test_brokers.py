"""Broker address lists: each process starts from its own node, and fails over through all."""
from shared.platform import brokers

CLUSTER = "amqp://u:p@h:5701/v;amqp://u:p@h:5702/v;amqp://u:p@h:5703/v"


def test_spread_starts_from_the_chosen_node_and_keeps_the_ring():
    assert brokers.nodes(brokers.spread(CLUSTER, choose=lambda n: 0)) == brokers.nodes(CLUSTER)
    assert brokers.nodes(brokers.spread(CLUSTER, choose=lambda n: 2)) == [
        "amqp://u:p@h:5703/v", "amqp://u:p@h:5701/v", "amqp://u:p@h:5702/v"]


def test_spread_reaches_every_node_first_and_leaves_one_node_alone():
    firsts = {brokers.nodes(brokers.spread(CLUSTER))[0] for _ in range(200)}
    assert firsts == set(brokers.nodes(CLUSTER))
    assert brokers.spread("amqp://u:p@h:5672/v") == "amqp://u:p@h:5672/v"


def test_spread_keeps_vhost_and_credentials():
    spread = brokers.spread(CLUSTER, choose=lambda n: 1)
    assert brokers.vhost_of(spread) == "v" and brokers.credentials(spread) == ("u", "p")
