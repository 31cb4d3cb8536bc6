"""The platform's AMQP topology, declared before any traffic.

RabbitMQ drops a message published to a topic exchange with no queue bound,
so a consumer that has not started yet would miss every event published
before it. The topology -- every exchange, queue and binding any service
consumes -- is therefore a contract kept in ``shared/contract/topology.json`` (written
from the services' own declarations by ``make schemas``, checked by a test),
and declared:

* by ``hotline topology`` (``make run``, compose's one-shot ``topology``
  service and the test stacks run it first; it also sets the dead-letter
  queue's policy and can migrate old classic queues, see ``--migrate``);
* by every service as it starts (``Topology`` in ``shared.platform.messaging``), so
  whichever service starts first, every queue exists before it publishes.

Every durable queue is a quorum queue (replicated across a cluster's nodes)
with a delivery limit: a message delivered more than ``QUEUES.delivery_limit``
times is dead-lettered by the broker to ``hotline.dead_letters``, with its
history in the ``x-death`` header, so no poison message can spin. Dead
lettering is at-least-once: the broker keeps the message until the dead-letter
queue has taken it. RPC reply queues stay exclusive, classic and short-lived.
"""
import json
import logging
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from kombu import Exchange, Queue

log = logging.getLogger(__name__)

MANIFEST_PATH = Path(__file__).with_name("topology.json")
DEFAULT_DELIVERY_LIMIT = 20
DEAD_LETTER_NAME = "hotline.dead_letters"
RPC_EXCHANGE_NAME = "nameko-rpc"

DEAD_LETTER_EXCHANGE = Exchange(DEAD_LETTER_NAME, type="topic", durable=True)
# No delivery limit and no dead-lettering of its own: the end of the line. Its
# length and age limits are a policy (``apply_policies``), changeable live.
DEAD_LETTER_QUEUE = Queue(DEAD_LETTER_NAME, exchange=DEAD_LETTER_EXCHANGE, routing_key="#",
                          durable=True, queue_arguments={"x-queue-type": "quorum"})


Config = Mapping[str, Any] | None
Manifest = dict[str, Any]


def queue_settings(config: Config) -> Mapping[str, Any]:
    return (config or {}).get("QUEUES") or {}


def delivery_limit(config: Config) -> int:
    value = queue_settings(config).get("delivery_limit", DEFAULT_DELIVERY_LIMIT)
    limit = int(value)
    if not 1 <= limit <= 1000:
        raise ValueError(f"QUEUES.delivery_limit must be 1..1000, got {value!r}")
    return limit


def quorum_arguments(config: Config) -> dict[str, Any]:
    """Queue arguments of every durable queue the services consume."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit(config),
        "x-dead-letter-exchange": DEAD_LETTER_NAME,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
    }


def event_exchange(source: str) -> Exchange:
    # The same exchange nameko's EventDispatcher and EventHandler declare.
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=2, auto_delete=False)


def rpc_exchange() -> Exchange:
    return Exchange(RPC_EXCHANGE_NAME, type="topic", durable=True, delivery_mode=2, auto_delete=False)


def event_queue_name(source: str, event_type: str, service: str, method: str) -> str:
    """nameko's name for a service-pool event handler's queue."""
    return f"evt-{source}-{event_type}--{service}.{method}"


@lru_cache(maxsize=1)
def load_manifest(path: str | Path | None = None) -> Manifest:
    with open(path or MANIFEST_PATH, encoding="utf-8") as handle:
        manifest: Manifest = json.load(handle)
        return manifest


def consumed_events(manifest: Manifest | None = None) -> set[tuple[str, str]]:
    """``{(source, event_type)}`` that at least one service consumes."""
    manifest = manifest or load_manifest()
    return {(entry["source"], entry["event_type"]) for entry in manifest["event_queues"]}


def entities(config: Config, manifest: Manifest | None = None) -> list[Exchange | Queue]:
    """Every exchange and queue (with its binding) of the platform, in declaration order."""
    manifest = manifest or load_manifest()
    arguments = quorum_arguments(config)
    declared: list[Exchange | Queue] = [DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, rpc_exchange()]
    declared += [event_exchange(source) for source in manifest["event_exchanges"]]
    for entry in manifest["event_queues"]:
        declared.append(Queue(entry["queue"], exchange=event_exchange(entry["source"]),
                              routing_key=entry["event_type"], durable=True,
                              queue_arguments=dict(arguments)))
    for service in manifest["rpc_services"]:
        declared.append(Queue(f"rpc-{service}", exchange=rpc_exchange(), routing_key=f"{service}.*",
                              durable=True, queue_arguments=dict(arguments)))
    for entry in manifest["queues"]:
        exchange = Exchange(entry["exchange"], type=entry["exchange_type"], durable=True)
        declared.append(Queue(entry["queue"], exchange=exchange, routing_key=entry["routing_key"],
                              durable=True, queue_arguments=dict(arguments)))
    return declared


class TopologyMismatch(Exception):
    """A queue exists with other arguments (an older classic queue, say)."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"{len(names)} queue(s) exist with other arguments than the platform's "
            f"(quorum, delivery limit): {', '.join(names)}. Stop the services and run "
            "`hotline topology --migrate` to move them, messages included.")


def declare_all(connection: Any, config: Config, manifest: Manifest | None = None) -> int:
    """Declare every entity on ``connection``; returns how many. Idempotent.

    Raises ``TopologyMismatch`` naming the queues that exist with other
    arguments (after declaring everything else).
    """
    from amqp.exceptions import PreconditionFailed

    mismatched = []
    count = 0
    channel = connection.channel()
    try:
        for entity in entities(config, manifest):
            try:
                entity.bind(channel).declare()
                count += 1
            except PreconditionFailed:
                mismatched.append(entity.name)
                channel = connection.channel()  # the broker closed the old one
    finally:
        try:
            channel.close()
        except Exception:  # pragma: no cover - closing a dead channel
            pass
    if mismatched:
        raise TopologyMismatch(mismatched)
    return count


DECLARE_ATTEMPTS = 3


def declare_with_uri(amqp_uri: str, config: Config, manifest: Manifest | None = None) -> int:
    """Declare the topology over a connection of its own. A broker's internal error (541:
    a quorum queue's replica failing to start while the broker is busy creating and
    deleting others) closes the connection; the declaration, idempotent, is made again on
    a new one, a few times, before the service gives up starting."""
    from amqp.exceptions import InternalError
    from kombu import Connection

    for attempt in range(1, DECLARE_ATTEMPTS + 1):
        try:
            with Connection(amqp_uri, connect_timeout=10) as connection:
                connection.ensure_connection(max_retries=3)
                return declare_all(connection, config, manifest)
        except InternalError as exc:
            if attempt == DECLARE_ATTEMPTS:
                raise
            log.warning("declaring the topology: the broker failed (%s); again (%d of %d)",
                        exc, attempt + 1, DECLARE_ATTEMPTS)
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
