"""Consume a queue's messages as raw bytes, whatever their content type.

nameko's ``@consume`` lets kombu decode each body by its content type; a
body that fails to decode (``application/json`` that is not JSON) raises
inside kombu's consumer loop instead of reaching the handler, and a body
without a content type arrives undecoded. Messages from other systems'
plain AMQP clients can be anything, so ``@consume_raw(queue)`` hands the
handler ``(body: bytes, properties: dict)`` -- ``headers``, ``message_id``,
``correlation_id``, ``content_type``, ``user_id`` -- and leaves decoding to it. Acks and
``requeue_on_error`` behave as in ``@consume`` (``shared.platform.messaging``: a quorum
queue, a pause before each requeue).
"""
import json
from functools import partial

from nameko.exceptions import ContainerBeingKilled

from shared.platform.messaging import BrokerSafeQueueConsumer, Consumer
from shared.platform.nesting import MAX_DEPTH, too_deep_text


class RawQueueConsumer(BrokerSafeQueueConsumer):
    """A queue consumer whose kombu consumers skip decoding (``on_message``)."""

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue],
                                    on_message=partial(self.handle_raw, provider))
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def handle_raw(self, provider, message):
        self.handle_message(provider, message.body, message)


class RawConsumer(Consumer):
    queue_consumer = RawQueueConsumer()

    def handle_message(self, body, message):
        props = message.properties or {}
        properties = {"headers": dict(message.headers or {}),
                      "message_id": props.get("message_id"),
                      "correlation_id": props.get("correlation_id"),
                      "content_type": message.content_type,
                      # The broker checks user_id against the publishing connection's user: who sent it.
                      "user_id": props.get("user_id")}
        if isinstance(body, str):
            body = body.encode("utf-8")
        handle_result = partial(self.handle_result, message)
        try:
            self.container.spawn_worker(self, (body, properties), {},
                                        context_data=self.unpack_message_headers(message),
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)


consume_raw = RawConsumer.decorator


def decode(body):
    """``(payload, None)`` or ``(raw text, reason)`` for a body that is not a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1"), "the body is not UTF-8 text"
    if too_deep_text(text):
        return text, f"the body nests deeper than {MAX_DEPTH} levels"
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return text, f"the body is not JSON: {exc}"
    if not isinstance(payload, dict):
        return payload, "the body must be a JSON object"
    return payload, None
