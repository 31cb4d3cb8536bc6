"""``hotline dead-letters``: the messages nothing could handle, for a person to work.

    hotline dead-letters list    [--consumer S] [--reason TEXT] [--older-than 2h] [--newer-than 1d]
    hotline dead-letters show    ID
    hotline dead-letters replay  ID... | --all [filters]    back to the consumer that failed on it
    hotline dead-letters purge   ID... | --all [filters] --yes

Two kinds of letter share the queue ``hotline.dead_letters``: the services' own
(a JSON envelope with ``payload``, ``reason``, ``origin``, ``consumer``), and the
broker's, for a message redelivered past its queue's delivery limit (the original
body, its history in the ``x-death`` header). Both are shown the same way.

Letters are read without taking them off the queue: they are fetched unacknowledged
and given back when the command ends, except the ones replayed or purged. They keep
the original payload (personal data included, for replay), so the command needs the
broker credentials of an administrator (``AMQP_URI``).
"""
import datetime as dt
import hashlib
import json
import re
import sys

import click
from amqp.exceptions import AMQPError as AmqpError
from amqp.exceptions import MessageNacked
from kombu.exceptions import KombuError

from shared.contract import topology
from shared.platform.redaction import redact, redact_text

SCAN_LIMIT = 100000


def parse_age(text):
    """``90m``, ``6h``, ``2d`` -> timedelta."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not match:
        raise click.BadParameter("an age like 90m, 6h or 2d")
    value, unit = float(match.group(1)), match.group(2)
    return dt.timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: value})


def _aware(value):
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        return _aware(dt.datetime.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return None


def _queue_of(consumer, origin, manifest):
    """The queue a services' letter came from: the consumer's queue for that origin."""
    source, _, event_type = (origin or "").partition(".")
    for entry in manifest["event_queues"]:
        if (entry["service"], entry["source"], entry["event_type"]) == (consumer, source, event_type):
            return entry["queue"]
    for entry in manifest["queues"]:
        if entry["service"] == consumer and origin and entry["queue"] == f"hotline.{origin}":
            return entry["queue"]
    if consumer in manifest["rpc_services"] and origin and origin.startswith(f"{consumer}."):
        return f"rpc-{consumer}"
    return None


def _consumer_of_queue(queue):
    if queue.startswith("evt-") and "--" in queue:
        return queue.split("--", 1)[1].split(".", 1)[0]
    if queue.startswith("rpc-"):
        return queue[4:]
    return queue


def describe(message, manifest):
    """One letter, the same shape whatever its kind."""
    headers = message.headers or {}
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    deaths = headers.get("x-death") or []
    digest = hashlib.sha1(body + repr(deaths[:1]).encode()).hexdigest()[:12]
    if deaths:
        death = deaths[0]
        queue = death.get("queue") or ""
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"text": body.decode("utf-8", "replace")}
        return {"id": digest, "kind": "broker", "consumer": _consumer_of_queue(queue),
                "origin": ".".join(death.get("routing-keys") or []) or death.get("exchange"),
                "reason": f"{death.get('reason')} after {headers.get('x-delivery-count', '?')} "
                          f"deliveries (x-death count {death.get('count')})",
                "dead_lettered_at": _aware(death.get("time")), "queue": queue,
                "payload": payload, "message_headers": {k: v for k, v in headers.items()
                                                        if not k.startswith("x-")}}
    try:
        letter = json.loads(body)
    except ValueError:
        letter = {"payload": {"text": body.decode("utf-8", "replace")}, "reason": "unreadable letter"}
    if not isinstance(letter, dict):
        letter = {"payload": letter, "reason": "unreadable letter"}
    consumer, origin = letter.get("consumer"), letter.get("origin")
    return {"id": digest, "kind": "service", "consumer": consumer, "origin": origin,
            "reason": letter.get("reason"), "dead_lettered_at": _aware(letter.get("dead_lettered_at")),
            "queue": letter.get("queue") or _queue_of(consumer, origin, manifest),
            "payload": letter.get("payload"), "message_headers": {}}


def matches(letter, consumer, reason, older, newer, now):
    if consumer and letter["consumer"] != consumer:
        return False
    if reason and reason.lower() not in str(letter["reason"] or "").lower():
        return False
    at = letter["dead_lettered_at"]
    if older and (at is None or now - at < older):
        return False
    if newer and (at is None or now - at > newer):
        return False
    return True


class DeadLetterQueue:
    """The dead-letter queue, read unacknowledged; what is not taken goes back."""

    def __init__(self, amqp_uri):
        from kombu import Connection

        # Confirmed publishes: a replay takes the letter only once the broker has the
        # message (kombu's Producer on a channel merely confirm_select-ed does not wait).
        self.connection = Connection(amqp_uri, connect_timeout=10, transport_options={"confirm_publish": True})
        self.manifest = topology.load_manifest()

    def __enter__(self):
        self.connection.ensure_connection(max_retries=3)
        self.channel = self.connection.channel()
        self.channel.basic_qos(0, 0, False)
        return self

    def __exit__(self, *exc):
        try:
            self.channel.close()  # everything not acknowledged goes back to the queue
        finally:
            self.connection.release()

    def depth(self):
        _, count, _ = self.channel.queue_declare(topology.DEAD_LETTER_NAME, passive=True)
        return count

    def scan(self, limit=SCAN_LIMIT):
        """Yield ``(message, letter)`` for every letter, oldest first."""
        for _ in range(limit):
            message = self.channel.basic_get(topology.DEAD_LETTER_NAME, no_ack=False)
            if message is None:
                return
            yield message, describe(message, self.manifest)

    def take(self, message):
        self.channel.basic_ack(message.delivery_tag)

    def replay(self, message, letter):
        """Publish the letter's message to the queue it came from; then take it."""
        from kombu import Producer

        if not letter["queue"]:
            raise click.ClickException(f"{letter['id']}: no queue known to replay it to")
        payload = letter["payload"]
        if letter["kind"] == "broker":
            body, content_type = message.body, message.content_type
        elif isinstance(payload, dict) and set(payload) <= {"text", "base64"} and payload:
            import base64

            body = payload["text"].encode() if "text" in payload else base64.b64decode(payload["base64"])
            content_type = "application/json"
        else:
            body, content_type = json.dumps(payload, ensure_ascii=False).encode(), "application/json"
        channel = self.connection.channel()
        try:  # waits for the broker's confirm; a refusal (nack, no such queue) raises
            Producer(channel).publish(body, exchange="", routing_key=letter["queue"], content_type=content_type,
                                      content_encoding="utf-8", delivery_mode=2, mandatory=True,
                                      headers=dict(letter["message_headers"], **{"x-hotline-replayed": letter["id"]}))
        finally:
            channel.close()
        self.take(message)


def amqp_uri():
    from shared.platform.config import load_config

    return load_config()["AMQP_URI"]


def filters(func):
    func = click.option("--consumer", help="Only letters of this service (intake, routing, ...).")(func)
    func = click.option("--reason", help="Only letters whose reason contains this text.")(func)
    func = click.option("--older-than", "older", callback=lambda c, p, v: parse_age(v),
                        help="Only letters at least this old (90m, 6h, 2d).")(func)
    func = click.option("--newer-than", "newer", callback=lambda c, p, v: parse_age(v),
                        help="Only letters at most this old.")(func)
    return func


def _local(at):
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if at else "?"


@click.group("dead-letters")
def dead_letters():
    """Messages no consumer could handle: list, show, replay, purge."""


@dead_letters.command("list")
@filters
@click.option("--json", "as_json", is_flag=True)
def list_command(consumer, reason, older, newer, as_json):
    """The dead letters (oldest first) and how full the queue is."""
    from shared.platform.config import load_config

    now = dt.datetime.now(dt.UTC)
    with DeadLetterQueue(amqp_uri()) as dlq:
        depth = dlq.depth()
        shown = [letter for _, letter in dlq.scan()
                 if matches(letter, consumer, reason, older, newer, now)]
    if as_json:
        click.echo(json.dumps([{k: v for k, v in letter.items() if k != "payload"} for letter in shown],
                              ensure_ascii=False, default=str, indent=2))
        return
    limit = (topology.queue_settings(load_config()).get("dead_letters") or {}).get("max_length", 100000)
    click.echo(f"{depth} dead letter(s) in {topology.DEAD_LETTER_NAME} (limit {limit}); {len(shown)} shown")
    if depth >= int(limit):
        click.echo("THE DEAD-LETTER QUEUE IS FULL: new dead letters are refused and wait in their "
                   "queues; replay or purge some", err=True)
    for letter in shown:
        click.echo(f"{letter['id']}  {_local(letter['dead_lettered_at'])}  {letter['consumer'] or '?':<9} "
                   f"{str(letter['origin'] or '?'):<32} {redact_text(str(letter['reason'] or ''))[:100]}")


@dead_letters.command("show")
@click.argument("letter_id")
def show_command(letter_id):
    """One letter in full, payload included."""
    with DeadLetterQueue(amqp_uri()) as dlq:
        for _, letter in dlq.scan():
            if letter["id"] == letter_id:
                # The broker's own letters (past a delivery limit) hold the message as sent: never show its keys.
                shown = dict(letter, payload=redact(letter["payload"]), reason=redact_text(letter["reason"]),
                             message_headers=redact(letter["message_headers"]))
                click.echo(json.dumps(shown, ensure_ascii=False, default=str, indent=2))
                return
    click.echo(f"no dead letter {letter_id}", err=True)
    sys.exit(1)


def _chosen(ids, every, consumer, reason, older, newer):
    if not ids and not every:
        raise click.UsageError("name letters by ID, or say --all (with filters)")
    now = dt.datetime.now(dt.UTC)

    def chosen(letter):
        if ids:
            return letter["id"] in ids
        return matches(letter, consumer, reason, older, newer, now)
    return chosen


@dead_letters.command("replay")
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every letter the filters select.")
@filters
def replay_command(ids, every, consumer, reason, older, newer):
    """Send letters back to the consumer that failed on them."""
    chosen = _chosen(ids, every, consumer, reason, older, newer)
    replayed = refused = 0
    with DeadLetterQueue(amqp_uri()) as dlq:
        for message, letter in list(dlq.scan()):
            if chosen(letter):
                try:
                    dlq.replay(message, letter)
                except (AmqpError, KombuError, MessageNacked) as exc:  # the letter stays where it is
                    refused += 1
                    click.echo(f"NOT replayed {letter['id']}: {letter['queue']} refused it ({exc})", err=True)
                    continue
                replayed += 1
                click.echo(f"replayed {letter['id']} to {letter['queue']}")
    click.echo(f"{replayed} letter(s) replayed" + (f", {refused} kept" if refused else ""))
    sys.exit(0 if (replayed or every) and not refused else 1)


@dead_letters.command("purge")
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every letter the filters select.")
@filters
@click.option("--yes", is_flag=True, help="Do it (without: say what would go).")
def purge_command(ids, every, consumer, reason, older, newer, yes):
    """Delete letters for good."""
    chosen = _chosen(ids, every, consumer, reason, older, newer)
    purged = 0
    with DeadLetterQueue(amqp_uri()) as dlq:
        for message, letter in list(dlq.scan()):
            if chosen(letter):
                if yes:
                    dlq.take(message)
                purged += 1
    click.echo(f"{purged} letter(s) {'purged' if yes else 'would be purged (add --yes)'}")
