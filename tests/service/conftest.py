"""Service tests: one real service container against the real broker."""
import time

import pytest
from nameko.events import EventHandler
from nameko.testing.utils import get_extension

from shared.platform.doors import Doors, Services, door
from shared.platform.messaging import BrokerSafeQueueConsumer
from shared.platform.mongo import Store
from shared.platform.principals import event_dispatcher


class RecordingHandler(EventHandler):
    """nameko's event handler (no doors: it only listens), on the platform's queue
    consumer, which stops within ``CONSUMER_WAKE_SECONDS`` rather than nameko's 1 s."""

    queue_consumer = BrokerSafeQueueConsumer()


event_handler = RecordingHandler.decorator


def make_recorder(kinds, seen):
    """A nameko service that records every event of ``kinds`` it hears."""
    attrs = {"name": "recorder"}
    for index, (source, event_type) in enumerate(kinds):
        def handler(self, payload, _kind=(source, event_type)):
            seen.append((_kind, payload))
        attrs[f"on_{index}"] = event_handler(source, event_type)(handler)
    return type("Recorder", (), attrs)


class Seen(list):
    def of(self, source, event_type):
        return [payload for kind, payload in self if kind == (source, event_type)]

    def wait_for(self, source, event_type, count=1, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(source, event_type)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {source}.{event_type}, saw {len(self.of(source, event_type))}")


@pytest.fixture
def recorder(container_factory, service_config):
    """``recorder(("routing", "ticket_assigned"), ...)`` -> a list that fills up."""
    def start(*kinds):
        seen = Seen()
        container = container_factory(make_recorder(kinds, seen), service_config)
        container.start()
        return seen
    return start


@pytest.fixture
def publish(service_config):
    """Publish an event as ``source`` dispatches it: signed with its key."""
    def send(source, event_type, payload):
        event_dispatcher(service_config, source)(source, event_type, payload)
    return send


@pytest.fixture
def start_service(container_factory, service_config):
    """Start a service class; returns ``(container, repository)``."""
    def start(service_cls):
        container = container_factory(service_cls, service_config)
        container.start()
        return container, get_extension(container, Store).repository
    return start


def settle(seconds=0.3):
    """Give a redelivered message time to be (not) handled a second time."""
    time.sleep(seconds)


@pytest.fixture
def dead_letters(rabbit_config):
    """Read ``count`` messages from the dead-letter queue (without redeclaring it)."""
    import json

    from kombu import Connection

    from shared.platform.messaging import DEAD_LETTER_QUEUE

    def read(count, timeout=30.0):  # returns as soon as `count` are in; a loaded broker confirms slowly
        letters = []
        deadline = time.monotonic() + timeout
        with Connection(rabbit_config["AMQP_URI"]) as connection:
            channel = connection.channel()
            while len(letters) < count and time.monotonic() < deadline:
                message = channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True)
                if message is None:
                    time.sleep(0.05)
                    continue
                letters.append(json.loads(message.body))
        return letters
    return read


class DirectoryStandIn:
    """Stands in for routing's directory RPCs: the seed city's departments, plus ``extra``."""

    name = "routing"
    doors = Doors()
    extra = {}

    @staticmethod
    def _departments():
        from services.routing.domain.directory import Directory
        from shared.platform.city import load_city
        from shared.platform.config import load_config

        directory = Directory.from_dict(load_city(load_config()))
        found = {code: dict(d.to_dict(), version=1) for code, d in directory.all.items()}
        found.update(DirectoryStandIn.extra)
        return found

    from shared.platform.messaging import rpc as _rpc

    @door(Services("followup", "notify", "intake", "insight", "console"))
    @_rpc
    def get_department(self, code):
        return self._departments().get(code)

    @door(Services("followup", "notify", "intake", "insight", "console"))
    @_rpc
    def directory_snapshot(self):
        return {"directory_version": 1, "departments": list(self._departments().values()),
                "calendar_version": 0, "calendar_years": []}


@pytest.fixture
def routing_directory(container_factory, service_config):
    """routing's directory, as followup and notify ask for it (seed departments)."""
    DirectoryStandIn.extra = {}
    container = container_factory(DirectoryStandIn, service_config)
    container.start()
    return DirectoryStandIn
