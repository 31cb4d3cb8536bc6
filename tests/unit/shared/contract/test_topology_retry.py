"""Declaring the topology survives a broker's transient internal error (541)."""
import kombu
import pytest
from amqp.exceptions import InternalError

from shared.contract import topology


class FakeConnection:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ensure_connection(self, **kwargs):
        return self


@pytest.fixture
def failing(monkeypatch):
    """declare_all failing with 541 the first ``n`` times; the calls are counted."""
    calls = []

    def make(n):
        def declare_all(connection, config, manifest=None):
            calls.append(connection)
            if len(calls) <= n:
                raise InternalError("INTERNAL_ERROR", (50, 10), "queue.declare")
            return 103
        monkeypatch.setattr(kombu, "Connection", FakeConnection)
        monkeypatch.setattr(topology, "declare_all", declare_all)
        monkeypatch.setattr(topology.time, "sleep", lambda seconds: None)
        return calls
    return make


def test_a_broker_internal_error_while_declaring_is_tried_again_on_a_new_connection(failing):
    calls = failing(topology.DECLARE_ATTEMPTS - 1)
    assert topology.declare_with_uri("amqp://guest:guest@127.0.0.1:5672/x", {}) == 103
    assert len(calls) == topology.DECLARE_ATTEMPTS
    assert len({id(c) for c in calls}) == len(calls)  # each attempt on a connection of its own


def test_a_broker_that_keeps_failing_stops_the_start(failing):
    calls = failing(topology.DECLARE_ATTEMPTS)
    with pytest.raises(InternalError):
        topology.declare_with_uri("amqp://guest:guest@127.0.0.1:5672/x", {})
    assert len(calls) == topology.DECLARE_ATTEMPTS
