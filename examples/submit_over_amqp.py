"""Submit a ticket to the hotline from another government system, over AMQP.

Uses only pika (``pip install pika``), no nameko: any AMQP 0-9-1 client in
any language does the same. The contract:

* publish a JSON object (docs/schemas/ticket-submit.schema.json) to the
  durable topic exchange ``hotline.inbound`` with routing key
  ``ticket.submit``, persistent, ``content_type=application/json``; set a
  ``message_id`` to match the receipt, and ``user_id`` to the broker user you
  connect as (the broker checks it; the hotline knows you by it);
* the receipt comes back on the same exchange with routing key
  ``ticket.receipt.<source_system>`` and ``correlation_id`` = your
  ``message_id``: ``{"accepted": true, "number": "QD-...", "outcome": ...}``
  or ``{"accepted": false, "errors": {field: [...]}}``.

A system registered with ``hotline sources create NAME`` has a broker user of
its own that may only publish ``ticket.submit`` and read the queue
``hotline.receipts.NAME`` the hotline declared for it: pass the printed
``amqp_uri`` and ``--receipts-queue hotline.receipts.NAME`` (nothing is
declared then). Without a queue (a development broker's guest user) this
example binds a temporary one for the length of the run.

    python examples/submit_over_amqp.py --amqp AMQP_URI --api-key KEY --source-system city-app \
        --receipts-queue hotline.receipts.city-app
    python examples/submit_over_amqp.py --api-key KEY --source-system city-app --malformed
"""
import argparse
import json
import os
import sys
import time
import uuid

import pika

EXCHANGE = "hotline.inbound"

SAMPLE = {
    "title": "路灯不亮",
    "description": "市北区辽宁路与热河路路口的路灯已经一周不亮，晚上行人很不安全。",
    "district": "市北区",
    "address": "辽宁路与热河路路口",
    "caller_name": "刘洋",
    "caller_phone": "13906391234",
    "urgency": "normal",
}

# What a buggy sender might publish: no title, a phone that is not one, an unknown urgency.
MALFORMED = {"description": "路灯不亮", "caller_phone": "call me", "urgency": "whenever", "lat": 123}


def submit(amqp_url, submission, source_system, timeout=10.0, headers=None, receipts_queue=None):
    """Publish one submission and wait for its receipt; returns the receipt (or None).

    The API key goes in the body (``api_key``) or in a message header of that
    name. ``receipts_queue``: the queue the hotline declared for this system
    (its own broker user may read nothing else, and declare nothing).
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        if receipts_queue:
            receipts = receipts_queue
        else:
            channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
            receipts = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(receipts, EXCHANGE, routing_key=f"ticket.receipt.{source_system}")
        message_id = uuid.uuid4().hex
        body = submission if isinstance(submission, bytes) else json.dumps(submission, ensure_ascii=False).encode()
        channel.confirm_delivery()
        # user_id: the broker user we are, which RabbitMQ checks; intake knows the source by it.
        channel.basic_publish(EXCHANGE, "ticket.submit", body, pika.BasicProperties(
            content_type="application/json", delivery_mode=2, message_id=message_id, headers=headers,
            user_id=pika.URLParameters(amqp_url).credentials.username))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            method, properties, payload = channel.basic_get(receipts, auto_ack=True)
            if method is None:
                connection.sleep(0.1)
                continue
            if properties.correlation_id == message_id:
                return json.loads(payload)
            # A receipt of an earlier run in the system's own durable queue: not this one's.
        return None
    finally:
        connection.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--api-key", required=True, help="from `hotline apikeys create NAME`")
    parser.add_argument("--source-system", required=True, help="your system's name, e.g. city-app")
    parser.add_argument("--external-id", default=None, help="your id for the request (default: a new one)")
    parser.add_argument("--file", help="a JSON file with the ticket fields (default: a sample)")
    parser.add_argument("--malformed", action="store_true", help="send an invalid submission to see the errors")
    parser.add_argument("--receipts-queue", default=None,
                        help="the queue `hotline sources create` printed (hotline.receipts.NAME)")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)

    if args.file:
        with open(args.file, encoding="utf-8") as handle:
            fields = json.load(handle)
    else:
        fields = MALFORMED if args.malformed else SAMPLE
    submission = dict(fields, source_system=args.source_system, api_key=args.api_key,
                      external_id=args.external_id or f"{args.source_system}-{uuid.uuid4().hex[:8]}")
    receipt = submit(args.amqp, submission, args.source_system, args.timeout,
                     receipts_queue=args.receipts_queue)
    if receipt is None:
        print(f"no receipt within {args.timeout:.0f}s: is intake running on this broker?", file=sys.stderr)
        return 1
    print(json.dumps(receipt, ensure_ascii=False, indent=2))
    return 0 if receipt.get("accepted") else 2


if __name__ == "__main__":
    sys.exit(main())
