"""The service tests' reused vhosts (tests/vhosts.py): a vhost goes to the next test
only as a fresh declaration leaves it, and never while a connection of the last test
could still hand messages back."""
import time
from urllib.parse import urlparse

import pytest
from kombu import Connection, Consumer, Exchange, Queue

from shared.contract import topology
from shared.platform.config import load_config
from tests import vhosts
from tests.vhosts import VhostPool, amqp_uri

A_PLATFORM_QUEUE = "evt-followup-assignment_opened--routing.on_assignment_opened"


class CountedHereToo(vhosts.Deletions):
    """The test's own count of its pool's deletions (the run's also moves with the other
    workers'), each still noted in the run's, for the dead-letter supervisor's check."""

    def __init__(self, folder, run):
        super().__init__(folder)
        self.run = run

    def note(self, broker, count=1):
        super().note(broker, count)
        self.run.note(broker, count)


@pytest.fixture
def pool(request, rabbit_manager, monkeypatch, tmp_path, deletions):
    monkeypatch.setattr(vhosts, "SETTLE", 0.0)
    uri = request.config.getoption("RABBIT_AMQP_URI")
    pool = VhostPool(rabbit_manager, uri, urlparse(uri).username, load_config(),
                     CountedHereToo(tmp_path, deletions))
    assert A_PLATFORM_QUEUE in pool.names[0]
    yield pool
    pool.close()


def used(pool, leave):
    """A vhost as a test leaves it: the platform's topology declared, then ``leave(uri)``."""
    with pool.get() as vhost:
        uri = amqp_uri(pool.base_uri, vhost)
        topology.declare_with_uri(uri, pool.config)
        leave(uri)
    return vhost


def publish(uri, queue=A_PLATFORM_QUEUE, extra=None):
    with Connection(uri) as connection:
        producer = connection.Producer()
        if extra:
            Queue(extra, Exchange(""), routing_key=extra)(connection.default_channel).declare()
        producer.publish({"left": "behind"}, exchange="", routing_key=queue)


def test_what_a_test_left_is_gone_when_its_vhost_comes_back(pool):
    first = used(pool, lambda uri: publish(uri, extra="a-test-s-own-queue"))
    with pool.get() as second:
        assert second == first and pool.counts == {"made": 1, "reused": 1, "discarded": 0}
        queues = {q["name"]: q for q in pool.manager.get_queues(second)}
        assert "a-test-s-own-queue" not in queues
        with Connection(amqp_uri(pool.base_uri, second)) as connection:
            _, messages, consumers = connection.default_channel.queue_declare(A_PLATFORM_QUEUE, passive=True)
        assert (messages, consumers) == (0, 0)


def test_a_vhost_with_a_consumer_still_attached_is_not_reused(pool):
    held = []

    def leave_a_consumer(uri):
        publish(uri)
        connection = Connection(uri)
        consumer = Consumer(connection.channel(), [Queue(A_PLATFORM_QUEUE, no_declare=True)],
                            callbacks=[lambda body, message: held.append(message)])  # never acked
        consumer.consume()
        connection.drain_events(timeout=5)
        held.append(connection)

    first = used(pool, leave_a_consumer)
    assert held, "the consumer got the message"
    deleted = pool.deletions.count("local")
    try:
        with pool.get() as second:
            # its unacknowledged message would come back to the next test when the
            # connection closed: the vhost is deleted instead
            assert second != first and pool.counts["discarded"] == 1
            # ... and noted, so the next module's check asks the node about its dead-letter supervisor
            assert pool.deletions.count("local") == deleted + 1
    finally:
        held[-1].release()


def test_a_vhost_with_a_connection_still_open_is_not_reused(pool):
    left = []

    def leave_a_connection(uri):
        connection = Connection(uri)
        connection.connect()
        left.append(connection)
        vhost = urlparse(uri).path.lstrip("/")
        deadline = time.monotonic() + 15  # the management API lists it with its first statistics
        while not pool.manager._get("vhosts", vhost, "connections") and time.monotonic() < deadline:
            time.sleep(0.2)

    first = used(pool, leave_a_connection)
    try:
        with pool.get() as second:
            assert second != first and pool.counts["discarded"] == 1
    finally:
        left[0].release()


def test_a_process_asks_about_the_dead_letter_supervisor_again_only_after_a_deletion(tmp_path):
    mine, other_process = vhosts.Deletions(tmp_path), vhosts.Deletions(tmp_path)
    assert mine.since_last_asked("local", None)  # the first time, always
    assert not mine.since_last_asked("local", None)
    other_process.note("cluster")
    assert not mine.since_last_asked("local", None)  # another broker's deletion
    assert mine.since_last_asked("cluster", 1)
    other_process.note("local")
    assert mine.since_last_asked("local", None)
    assert not mine.since_last_asked("local", None)
