"""Consuming events without crashing and without losing a message.

``@consumes(Schema)`` sits under nameko's ``@event_handler`` (declared with
``requeue_on_error=True``) and decides each message's fate:

* the payload breaks the contract, or the handler meets bad data -> the raw
  payload goes to the dead-letter queue ``hotline.dead_letters`` with the
  reason, and the message is acknowledged: the consumer carries on;
* a transient fault (the store is unreachable) -> the exception propagates,
  and the message is requeued after a pause that doubles with each delivery
  (``x-delivery-count``); past the queue's delivery limit the broker
  dead-letters it (see ``shared.contract.topology``);
* otherwise the handler gets the loaded event.

A service using it declares ``dead_letters = DeadLetters()``.

A body that cannot even be decoded (not JSON, a disallowed content type)
never reaches a handler: kombu's default logs and acknowledges it, losing it.
``event_handler``, ``consume``, ``rpc`` and ``RpcProxy`` here are nameko's, with
a queue consumer that survives the broker going away (``BrokerSafeQueueConsumer``)
and dead-letters such a body with the decoding error instead (and
requeues it if the dead letter cannot be published); ``rpc`` also
dead-letters requests it could not answer (see ``DeadLetteringRpcConsumer``). ``event_handler`` requeues on error by
default, since ``@consumes`` has already dead-lettered whatever is not
transient.

Every queue these consumers declare is a quorum queue with the platform's
delivery limit (``shared.contract.topology``), and ``EventDispatcher`` declares the whole
topology before its service publishes anything, then publishes ``mandatory``
(with confirms) every event some service consumes: an event no queue takes
raises, and stays in the outbox (``shared.platform.outbox``) instead of vanishing.
"""
import functools
import logging
import time
import traceback

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Queue
from kombu.exceptions import OperationalError as KombuOperationalError
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher as AmqpPublisher
from nameko.amqp.publish import UndeliverableMessage
from nameko.constants import DEFAULT_SERIALIZER, SERIALIZER_CONFIG_KEY
from nameko.events import EventDispatcher as NamekoEventDispatcher
from nameko.events import EventHandler as NamekoEventHandler
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer as NamekoConsumer
from nameko.messaging import Publisher, QueueConsumer
from nameko.rpc import ReplyListener as NamekoReplyListener
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer
from nameko.rpc import RpcProxy as NamekoRpcProxy
from pymongo.errors import ConnectionFailure

from shared.contract import topology
from shared.contract.events import utcnow
from shared.contract.topology import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE  # noqa: F401 (re-exported)
from shared.platform import doors, metrics, principals
from shared.platform.letters import raw_body, serializable_letter  # noqa: F401 (re-exported)
from shared.platform.nesting import MAX_DEPTH, too_deep
from shared.platform.redaction import redact, redact_text

log = logging.getLogger(__name__)

# The broker went away: kombu's and py-amqp's connection errors, and the socket's.
BROKER_ERRORS = (KombuOperationalError, AmqpConnectionError, OSError)

# Faults that pass: the message is worth delivering again. The store unreachable;
# the broker going away while the handler publishes or calls another service (a node
# stopped mid-flight once dead-lettered six valid events this way); a service that
# does not answer or is not running yet; a step another worker is doing. Past the delivery limit they still end in
# the dead letters.


class TryLater(Exception):
    """Another worker is doing this very step now (the same event delivered twice at once):
    deliver the message again later, when that worker has finished or given up."""


TRANSIENT_ERRORS = (ConnectionFailure, *BROKER_ERRORS, RpcTimeout, UnknownService, UndeliverableMessage,
                    TryLater)
TRANSIENT_BACKOFF_SECONDS = 0.5      # before the first redelivery; doubles with each one ...
TRANSIENT_BACKOFF_MAX_SECONDS = 60   # ... up to this


def redelivery_pause(message):
    """Seconds to wait before requeueing ``message`` after a transient fault."""
    count = (message.headers or {}).get("x-delivery-count") or 0
    try:
        count = max(0, min(int(count), 16))
    except (TypeError, ValueError):
        count = 0
    return min(TRANSIENT_BACKOFF_MAX_SECONDS, TRANSIENT_BACKOFF_SECONDS * 2 ** count)


def with_quorum(queue, config):
    """``queue`` as the platform declares it: a quorum queue with a delivery limit."""
    return Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key, durable=True,
                 queue_arguments=topology.quorum_arguments(config))


class DeadLetters(Publisher):
    """Publish a message that cannot be handled, with the reason, for a person."""

    def __init__(self):
        super().__init__(exchange=DEAD_LETTER_EXCHANGE, declare=[DEAD_LETTER_QUEUE])

    def get_dependency(self, worker_ctx):
        publish = super().get_dependency(worker_ctx)
        service = self.container.service_name
        queue = metrics.entrypoint_queue(worker_ctx.entrypoint)

        def dead_letter(payload, reason, origin):
            log.warning("dead-lettering a message from %s in %s: %s", origin, service, reason)
            metrics.message_dead_lettered(self.container, queue)
            publish(
                serializable_letter({"payload": redact(payload), "reason": redact_text(reason), "origin": origin,
                                     "consumer": service, "queue": queue,
                                     "dead_lettered_at": utcnow().isoformat()}),
                routing_key=f"{service}.{origin}",
            )

        return dead_letter


def shown_as_text(payload, limit=100000):
    """A payload too deep to keep as JSON, as (the start of) its JSON text."""
    import json

    try:
        return {"text": json.dumps(payload, ensure_ascii=False)[:limit]}
    except (RecursionError, ValueError, TypeError):
        return {"text": "(nested too deeply to be written out)"}


def consumes(schema_cls):
    """Load the payload through ``schema_cls``; dead-letter what cannot be handled."""
    schema = schema_cls()
    origin = f"{schema_cls.source}.{schema_cls.event_type}"

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, payload):
            if too_deep(payload):
                self.dead_letters(shown_as_text(payload),
                                  f"invalid {origin}: nested deeper than {MAX_DEPTH} levels", origin)
                return None
            try:
                event = schema.load(payload)
            except ValidationError as exc:
                self.dead_letters(payload, f"invalid {origin}: {exc.messages}", origin)
                return None
            except Exception as exc:  # not even a mapping
                self.dead_letters(payload, f"unreadable {origin}: {exc!r}", origin)
                return None
            try:
                return handler(self, event)
            except TRANSIENT_ERRORS:
                log.warning("transient fault handling %s; it will be delivered again", origin)
                raise
            except Exception as exc:
                log.exception("handler for %s failed", origin)
                reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self.dead_letters(payload, f"handler failed: {reason}", origin)
                return None

        return wrapper

    return decorate


def publish_dead_letter(extension, message, payload, reason, kind):
    """Dead-letter a message a queue consumer cannot hand to any worker, then ack it.

    If the dead letter cannot be published, the message is requeued instead:
    never lost. ``extension`` is the queue consumer, or an extension that has
    one; its ack and requeue survive a connection the broker has dropped.
    """
    queue_consumer = getattr(extension, "queue_consumer", extension)
    service = extension.container.service_name
    origin = message.delivery_info.get("routing_key") or "unknown"
    queue = metrics.queue_of(extension, message)
    letter = serializable_letter(
        {"payload": redact(payload), "reason": redact_text(reason), "origin": origin, "consumer": service,
         "queue": queue, "dead_lettered_at": utcnow().isoformat()}, message)
    try:
        AmqpPublisher(extension.container.config["AMQP_URI"], serializer=extension.container.config.get(
            SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)).publish(
            letter, exchange=DEAD_LETTER_EXCHANGE, routing_key=f"{service}.{kind}",
            declare=[DEAD_LETTER_QUEUE])
    except Exception:
        log.exception("could not dead-letter a message from %s; requeueing it", origin)
        queue_consumer.requeue_message(message)
        return
    log.warning("dead-lettered a message from %s in %s: %s", origin, service, reason)
    metrics.message_dead_lettered(extension.container, queue or kind)
    queue_consumer.ack_message(message)


CONSUMER_CHECK_SECONDS = 20


class ConsumersLost(AmqpConnectionError):
    """The broker stopped delivering to this consumer: reconnect (kombu does, on this error)."""


class BrokerSafeQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but an ack or requeue that meets a dead connection
    does not kill the service.

    nameko skips acks on a connection it knows is closed and ignores py-amqp's
    ``ConnectionError``, but a write to a socket the broker has just reset
    raises the socket's own ``ConnectionResetError``/``BrokenPipeError``, which
    escapes the worker and kills the container (seen restarting RabbitMQ with
    1,000 tickets in flight). The broker requeues an unacknowledged message of
    a closed channel by itself, so there is nothing left to do.
    """

    broker_connected = None  # for readiness: None until the first connection
    consumer_check_seconds = CONSUMER_CHECK_SECONDS
    _last_check = 0.0

    def run(self, _tokens=1, **kwargs):
        """kombu's consuming loop, which wakes every ``CONSUMER_WAKE_SECONDS`` (1 s unless
        set) to see whether it should stop: a service's stop waits that long, once or twice
        per consumer. The tests, which stop hundreds of services, set it lower."""
        kwargs.setdefault("safety_interval", float(self.container.config.get("CONSUMER_WAKE_SECONDS") or 1.0))
        return super().run(_tokens, **kwargs)

    def on_iteration(self):
        super().on_iteration()
        now = time.monotonic()
        if self._consumers and now - self._last_check >= self.consumer_check_seconds:
            self._last_check = now
            self.check_consumers()

    def check_consumers(self):
        """Ask the broker, on the consuming channel itself, about every queue consumed.

        Seen on a cluster with a node stopped mid-flight: a consumer's channel
        gone at the broker while the client, its connection alive and its
        heartbeats answered, went on waiting for deliveries that never came.
        A channel the broker no longer has fails this declaration; a queue with
        nobody consuming it answers ``consumer_count`` 0. Either way the
        connection is dropped and kombu reconnects and consumes again.
        """
        for provider, consumer in list(self._consumers.items()):
            name = provider.queue.name
            try:
                declared = consumer.channel.queue_declare(name, passive=True)
            except Exception as exc:
                log.warning("%s: the channel consuming %s does not answer (%r); reconnecting",
                            self.container.service_name, name, exc)
                raise ConsumersLost(name) from exc
            if declared.consumer_count == 0:
                log.warning("%s: the broker has no consumer on %s; reconnecting",
                            self.container.service_name, name)
                raise ConsumersLost(name)

    def handle_message(self, provider, body, message):
        metrics.message_consumed(self.container, provider.queue.name,
                                 message.delivery_info.get("redelivered"))
        super().handle_message(provider, body, message)

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.broker_connected = True
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_connection_error(self, exc, interval):
        self.broker_connected = False
        super().on_connection_error(exc, interval)

    def ack_message(self, message):
        try:
            super().ack_message(message)
        except BROKER_ERRORS as exc:
            log.info("ack lost with the connection (%s); the broker will deliver it again", exc)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_ERRORS as exc:
            log.info("requeue lost with the connection (%s); the broker requeues it", exc)


class DeadLetteringQueueConsumer(BrokerSafeQueueConsumer):
    """nameko's queue consumer, but an undecodable body is dead-lettered, not dropped."""

    def on_decode_error(self, message, exc):
        publish_dead_letter(self, message, raw_body(message),
                            f"undecodable body ({message.content_type}): {exc!r}", "undecodable")


class DeadLetteringRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, safe against requests it cannot answer.

    nameko answers a malformed request on its ``reply_to`` queue; a request
    with no ``reply_to`` makes that answer raise, which kills the container
    (and the requeued request kills the next one). Such requests, and bodies
    that are not ``{"args": [...], "kwargs": {...}}``, are dead-lettered.

    nameko also lets a reply that cannot be published (the broker went away
    while the worker ran) escape the worker, which kills the container. Here
    the request is requeued instead (when its channel is gone, the broker
    has requeued it already) and answered again once the broker is back.
    """

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("could not send the reply to %s (%s); the request will be delivered "
                        "again", message.properties.get("reply_to"), exc)
            self.queue_consumer.requeue_message(message)  # broker-safe
            return result, exc_info

    queue_consumer = DeadLetteringQueueConsumer()

    def setup(self):
        super().setup()
        self.queue = with_quorum(self.queue, self.container.config)

    def handle_message(self, body, message):
        if not message.properties.get("reply_to"):
            reason = "RPC request without reply_to: nobody to answer"
        elif not (isinstance(body, dict) and isinstance(body.get("args"), list)
                  and isinstance(body.get("kwargs"), dict)):
            reason = "RPC request body must be {\"args\": [...], \"kwargs\": {...}}"
        else:
            return super().handle_message(body, message)
        publish_dead_letter(self, message, body, reason, "rpc")


class PausingRequeue:
    """A consumer entrypoint that waits before requeueing a message its worker failed
    on (``redelivery_pause``): a store outage is ridden out with growing pauses, not
    a spin, and the queue's delivery limit bounds the tries."""

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None and self.requeue_on_error:
            eventlet.sleep(redelivery_pause(message))
        super().handle_message_processed(message, result, exc_info)


class EventHandler(PausingRequeue, NamekoEventHandler):
    queue_consumer = DeadLetteringQueueConsumer()

    def __init__(self, source_service, event_type, requeue_on_error=True, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=requeue_on_error, **kwargs)

    def setup(self):
        doors.require_gate(self)
        super().setup()  # builds nameko's queue and registers with the queue consumer
        self.queue = with_quorum(self.queue, self.container.config)


class Consumer(PausingRequeue, NamekoConsumer):
    queue_consumer = DeadLetteringQueueConsumer()

    def setup(self):
        doors.require_gate(self)
        self.queue = with_quorum(self.queue, self.container.config)
        super().setup()


def declare_topology(container):
    """Declare the platform's topology for ``container`` (unless ``DECLARE_TOPOLOGY`` is off)."""
    config = container.config
    if str(config.get("DECLARE_TOPOLOGY", True)).lower() in ("false", "0", "no"):
        return 0
    count = topology.declare_with_uri(config["AMQP_URI"], config)
    log.debug("%s declared the topology (%d entities)", container.service_name, count)
    return count


class Topology(DependencyProvider):
    """Declares the platform's topology when the service starts (for services that
    consume but publish no events; ``EventDispatcher`` does the same)."""

    def setup(self):
        declare_topology(self.container)

    def get_dependency(self, worker_ctx):
        return None


class EventDispatcher(NamekoEventDispatcher):
    """nameko's dispatcher; declares the platform's topology first, publishes strictly.

    ``setup()`` declares every exchange, queue and binding of the platform
    (``shared.contract.topology``) before any worker of the service runs, so no event is
    published before the queues of its consumers exist, whichever service
    starts first. Events some service consumes are published ``mandatory``:
    if no queue takes one, nameko raises ``UndeliverableMessage`` and the
    caller (the outbox) keeps it.
    """

    def setup(self):
        declare_topology(self.container)
        self.consumed = topology.consumed_events()
        super().setup()

    def get_dependency(self, worker_ctx):
        extra_headers = self.get_message_headers(worker_ctx)
        source = self.container.service_name
        keyring = principals.keyring_of(self.container)

        def dispatch(event_type, event_data):
            signed = dict(extra_headers, **{self._get_header_name(principals.CALL_KEY):
                                            principals.event_token(keyring, source, event_type, event_data)})
            self.publisher.publish(event_data, exchange=self.exchange, routing_key=event_type,
                                   extra_headers=signed,
                                   mandatory=(source, event_type) in self.consumed)

        return dispatch


class Rpc(NamekoRpc):
    rpc_consumer = DeadLetteringRpcConsumer()

    def setup(self):
        doors.require_gate(self)
        super().setup()


class ReplyListener(NamekoReplyListener):
    queue_consumer = BrokerSafeQueueConsumer()


class RpcProxy(NamekoRpcProxy):
    """nameko's RPC client dependency, its replies consumed by ``BrokerSafeQueueConsumer``."""

    rpc_reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx):
        """Every call goes out signed as this service (``shared.platform.principals``)."""
        return principals.SignedServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                             **self.options)


event_handler = EventHandler.decorator
consume = Consumer.decorator
rpc = Rpc.decorator
