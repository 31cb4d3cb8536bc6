"""Consuming events without crashing and without losing a message.

``@consumes(Schema)`` sits under nameko's ``@event_handler`` (declared with
``requeue_on_error=True``) and decides each message's fate:

* the payload breaks the contract, or the handler meets bad data -> the raw
  payload goes to the dead-letter queue ``hotline.dead_letters`` with the
  reason, and the message is acknowledged: the consumer carries on;
* a transient fault (the store is unreachable) -> the exception propagates,
  nameko requeues the message, and it is delivered again later;
* otherwise the handler gets the loaded event.

A service using it declares ``dead_letters = DeadLetters()``.
"""
import functools
import logging
import traceback

import eventlet
from kombu import Exchange, Queue
from marshmallow import ValidationError
from nameko.messaging import Publisher
from pymongo.errors import ConnectionFailure

from shared.events import utcnow

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = Exchange("hotline.dead_letters", type="topic", durable=True)
DEAD_LETTER_QUEUE = Queue(
    "hotline.dead_letters", exchange=DEAD_LETTER_EXCHANGE, routing_key="#", durable=True)

# Faults that pass: the message is worth delivering again.
TRANSIENT_ERRORS = (ConnectionFailure,)
TRANSIENT_BACKOFF_SECONDS = 1.0


class DeadLetters(Publisher):
    """Publish a message that cannot be handled, with the reason, for a person."""

    def __init__(self):
        super().__init__(exchange=DEAD_LETTER_EXCHANGE, declare=[DEAD_LETTER_QUEUE])

    def get_dependency(self, worker_ctx):
        publish = super().get_dependency(worker_ctx)
        service = self.container.service_name

        def dead_letter(payload, reason, origin):
            log.warning("dead-lettering a message from %s in %s: %s", origin, service, reason)
            publish(
                {"payload": payload, "reason": reason, "origin": origin,
                 "consumer": service, "dead_lettered_at": utcnow().isoformat()},
                routing_key=f"{service}.{origin}",
            )

        return dead_letter


def consumes(schema_cls):
    """Load the payload through ``schema_cls``; dead-letter what cannot be handled."""
    schema = schema_cls()
    origin = f"{schema_cls.source}.{schema_cls.event_type}"

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, payload):
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
                eventlet.sleep(TRANSIENT_BACKOFF_SECONDS)
                raise
            except Exception as exc:
                log.exception("handler for %s failed", origin)
                reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self.dead_letters(payload, f"handler failed: {reason}", origin)
                return None

        return wrapper

    return decorate
