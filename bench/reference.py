"""The reference rate: a bare nameko event dispatcher -> handler pair.

Run as ``python -m bench.reference AMQP_URI N``; prints one JSON line with
``events_per_s``. A worker dispatches N persistent events (publisher
confirms, nameko's defaults) and a handler in another container counts them.
"""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
# py-amqp warns of each confirm that arrives while the proxy's channel closes; harmless here
logging.getLogger("amqp").setLevel(logging.ERROR)

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.events import EventDispatcher, event_handler  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402

received = []


class Sender:
    name = "reference_sender"
    dispatch = EventDispatcher()

    @rpc
    def blast(self, count):
        for index in range(count):
            self.dispatch("pinged", {"index": index, "padding": "x" * 400})


class Receiver:
    name = "reference_receiver"

    @event_handler("reference_sender", "pinged")
    def on_pinged(self, payload):
        received.append(time.monotonic())


def measure(amqp_uri, count):
    config = {"AMQP_URI": amqp_uri}
    containers = [ServiceContainer(Sender, config), ServiceContainer(Receiver, config)]
    for container in containers:
        container.start()
    try:
        with ServiceRpcProxy("reference_sender", config, timeout=120) as sender:
            sender.blast(50)  # warm up
            deadline = time.monotonic() + 10
            while len(received) < 50 and time.monotonic() < deadline:
                time.sleep(0.01)
            received.clear()
            start = time.monotonic()
            sender.blast(count)
            deadline = time.monotonic() + 120
            while len(received) < count and time.monotonic() < deadline:
                time.sleep(0.01)
        elapsed = (received[-1] if received else time.monotonic()) - start
        return {"events": count, "received": len(received),
                "seconds": round(elapsed, 3), "events_per_s": round(len(received) / elapsed, 1)}
    finally:
        for container in containers:
            container.stop()


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
