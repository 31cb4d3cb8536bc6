"""Tickets from other government systems over AMQP.

Another system (110, 12315, a city app)
publishes a JSON body (``docs/schemas/ticket-submit.schema.json``) to the
durable topic exchange ``hotline.inbound`` with routing key
``ticket.submit``; any AMQP client will do, no nameko needed. The sender
learns the outcome from a receipt on the same exchange, routing key
``ticket.receipt.<source_system>``: the ticket number, or the errors.

Who sent a submission is the broker user that published it, never what
the body says: the message must carry the AMQP ``user_id`` property, which
RabbitMQ checks against the publishing connection's user (a different one is
refused by the broker). ``hotline-source-NAME`` (made by ``hotline sources
create NAME``) is the source NAME; the body's ``source_system`` must be NAME
or is refused, and the receipt -- accepted or not -- goes only to NAME's own
receipts (``ticket.receipt.NAME``). The services' own user (``AMQP_URI``) is
the platform itself, which may publish any receipt anyway: its submissions
name their source in the body, checked against the API key. A message
without ``user_id``, or from any other user, is dead-lettered without a
receipt.

A submission that cannot be accepted (not JSON, invalid fields, no valid
API key, an unknown publisher) goes to the dead-letter queue
``hotline.dead_letters`` with the reason -- API keys, tokens and passwords
redacted, also in a body that is not JSON -- and the sender gets a receipt
when it is known. A store outage leaves the message in the queue for later;
nothing stops the consumer.

This module is the door's translation (the exchange and queue, decoding a
body, who published it); ``handlers/inbound.py`` handles a submission.
"""
from kombu import Exchange, Queue

from services.intake.domain.apikeys import valid_name
from shared.platform.broker_admin import USER_PREFIX
from shared.platform.redaction import redact

INBOUND_EXCHANGE = Exchange("hotline.inbound", type="topic", durable=True)
SUBMIT_QUEUE = Queue("hotline.inbound.ticket_submit", exchange=INBOUND_EXCHANGE,
                     routing_key="ticket.submit", durable=True)
ORIGIN = "inbound.ticket_submit"


def redacted(payload):
    """The payload for a dead letter: no API key, token or password, parsed or not."""
    return redact(payload)


PLATFORM = object()  # the services' own broker user: the source is named in the body


def publisher(user_id, platform_user):
    """Who published a submission: a source's name, ``PLATFORM``, or ``None`` (refused)."""
    if not isinstance(user_id, str) or not user_id:
        return None
    if platform_user and user_id == platform_user:
        return PLATFORM
    if user_id.startswith(USER_PREFIX) and valid_name(user_id[len(USER_PREFIX):]):
        return user_id[len(USER_PREFIX):]
    return None
