"""``hotline topology``: declare every exchange, queue and binding before traffic.

    hotline topology               declare everything (idempotent), set the dead-letter policy
    hotline topology --check       say what is missing or different; change nothing
    hotline topology --migrate     move queues that exist with other arguments (classic
                                   queues of an older version) to quorum queues, messages kept

The manifest (``shared/contract/topology.json``) is written from the services' own
declarations by :func:`build_manifest` (``make schemas``).
"""
import importlib
import json
import sys
from urllib.parse import quote, urlparse

import click

from shared.contract import topology


def service_classes():
    from operate.stack import SERVICES

    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.service")
        yield next(value for value in vars(module).values()
                   if isinstance(value, type) and getattr(value, "name", None) == name)


def build_manifest(classes=None):
    """The topology the services declare, from their nameko entrypoints."""
    from nameko.containers import ServiceContainer
    from nameko.events import SERVICE_POOL, EventDispatcher, EventHandler
    from nameko.messaging import Consumer
    from nameko.rpc import Rpc

    from shared.platform.config import load_config

    config = load_config()
    exchanges, event_queues, rpc_services, queues = set(), [], set(), []
    for cls in classes or service_classes():
        container = ServiceContainer(cls, config)
        service = container.service_name
        for dependency in container.dependencies:
            if isinstance(dependency, EventDispatcher):
                exchanges.add(service)
        for entrypoint in container.entrypoints:
            if isinstance(entrypoint, EventHandler):
                if entrypoint.handler_type != SERVICE_POOL:
                    raise ValueError(f"{service}.{entrypoint.method_name}: only service-pool handlers "
                                     "have durable queues")
                exchanges.add(entrypoint.source_service)
                event_queues.append({
                    "source": entrypoint.source_service, "event_type": entrypoint.event_type,
                    "service": service, "method": entrypoint.method_name,
                    "queue": topology.event_queue_name(entrypoint.source_service, entrypoint.event_type,
                                                       service, entrypoint.method_name)})
            elif isinstance(entrypoint, Rpc):
                rpc_services.add(service)
            elif isinstance(entrypoint, Consumer):
                queue = entrypoint.queue
                queues.append({"queue": queue.name, "exchange": queue.exchange.name,
                               "exchange_type": queue.exchange.type, "routing_key": queue.routing_key,
                               "service": service, "method": entrypoint.method_name})
    return {
        "about": "Every exchange, queue and binding of the platform; written by `make schemas` "
                 "from the services' declarations (operate/topology.py), declared by "
                 "`hotline topology` and by every service at start (shared/contract/topology.py).",
        "event_exchanges": sorted(exchanges),
        "event_queues": sorted(event_queues, key=lambda e: e["queue"]),
        "rpc_services": sorted(rpc_services),
        "queues": sorted(queues, key=lambda e: e["queue"]),
    }


def render_manifest(manifest):
    return json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"


def write_manifest(path=topology.MANIFEST_PATH):
    path.write_text(render_manifest(build_manifest()), encoding="utf-8")
    print(f"wrote {path}")


# -- the management API: policies ---------------------------------------------------

def management_api(amqp_uri, api_uri=None):
    """``(base_url, vhost, auth)`` of the broker's management API."""
    from shared.platform import brokers

    auth = brokers.credentials(amqp_uri)
    if api_uri:
        api = urlparse(api_uri)
        if api.username:
            auth = (api.username, api.password or "")
        return f"{api.scheme}://{api.hostname}:{api.port or 15672}", brokers.vhost_of(amqp_uri), auth
    return brokers.management_url(amqp_uri), brokers.vhost_of(amqp_uri), auth


def dead_letter_policy(config):
    settings = topology.queue_settings(config).get("dead_letters") or {}
    max_length = int(settings.get("max_length", 100000))
    max_age_days = float(settings.get("max_age_days", 30))
    if max_length < 1 or not 0 < max_age_days <= 3650:
        raise ValueError("QUEUES.dead_letters: max_length >= 1, 0 < max_age_days <= 3650")
    return {"pattern": f"^{topology.DEAD_LETTER_NAME.replace('.', '[.]')}$", "apply-to": "queues",
            "priority": 10,
            "definition": {"max-length": max_length, "overflow": "reject-publish",
                           "message-ttl": int(max_age_days * 86400 * 1000)}}


def apply_policies(amqp_uri, config, api_uri=None):
    """Set the dead-letter queue's length and age limits; returns a line to print."""
    import requests

    base, vhost, auth = management_api(amqp_uri, api_uri)
    policy = dead_letter_policy(config)
    url = f"{base}/api/policies/{quote(vhost, safe='')}/hotline-dead-letters"
    try:
        response = requests.put(url, json=policy, auth=auth, timeout=10)
    except requests.RequestException as exc:
        return False, f"policy NOT set: the management API at {base} did not answer ({exc.__class__.__name__})"
    if not response.ok:
        return False, f"policy NOT set: {response.status_code} {response.text[:200]}"
    limits = policy["definition"]
    return True, (f"policy hotline-dead-letters: at most {limits['max-length']} dead letters, each kept "
                  f"{limits['message-ttl'] / 86400000:g} days")


# -- migration ------------------------------------------------------------------

def migrate_queue(connection, queue):
    """Move ``queue`` (a kombu Queue with the platform's arguments) over an older one of
    the same name: its messages to a temporary quorum queue, the old queue deleted,
    the new one declared and bound, the messages moved back. Returns how many moved."""
    from kombu import Queue

    holding = Queue(f"{queue.name}.migrating", durable=True,
                    queue_arguments={"x-queue-type": "quorum"})
    channel = connection.channel()
    holding.bind(channel).declare()
    moved = _move(connection, queue.name, holding.name)
    channel = connection.channel()
    channel.queue_delete(queue.name)
    queue.bind(channel).declare()
    back = _move(connection, holding.name, queue.name)
    if back != moved:
        raise RuntimeError(f"{queue.name}: {moved} moved out, {back} back; {holding.name} kept")
    channel.queue_delete(holding.name, if_empty=True)
    return moved


def _move(connection, source, target):
    from kombu import Producer

    if not connection.transport_options.get("confirm_publish"):
        raise ValueError("moving messages needs a connection with confirm_publish: "
                         "a message is taken from its queue only once the broker has its copy")
    channel = connection.channel()
    producer = Producer(channel)
    moved = 0
    while True:
        message = channel.basic_get(source, no_ack=False)
        if message is None:
            return moved
        producer.publish(message.body, routing_key=target, exchange="", headers=message.headers,
                         content_type=message.content_type, content_encoding=message.content_encoding,
                         delivery_mode=2, **{k: v for k, v in message.properties.items()
                                             if k in ("correlation_id", "reply_to", "message_id")})
        channel.basic_ack(message.delivery_tag)
        moved += 1


# -- the command ----------------------------------------------------------------

def prepare(config, api_uri=None):
    """Declare the topology and set the dead-letter policy; lines to print.

    Raises ``TopologyMismatch`` when an older queue is in the way.
    """
    amqp_uri = config["AMQP_URI"]
    count = topology.declare_with_uri(amqp_uri, config)
    ok, line = apply_policies(amqp_uri, config, api_uri)
    return [f"topology: {count} exchanges and queues declared on {connection_host(amqp_uri)}",
            f"topology: {line}"]


@click.command("topology")
@click.option("--check", is_flag=True, help="Report what is missing or different; change nothing.")
@click.option("--migrate", is_flag=True,
              help="Move queues that exist with other arguments to the platform's (stop the services first).")
@click.option("--api", "api_uri", envvar="RABBIT_API_URI", default=None,
              help="Management API URL for the dead-letter policy (default: beside the first broker node).")
def topology_command(check, migrate, api_uri):
    """Declare every exchange, queue and binding the services consume (idempotent)."""
    from kombu import Connection

    from shared.platform.config import load_config

    config = load_config()
    amqp_uri = config["AMQP_URI"]
    with Connection(amqp_uri, connect_timeout=10, transport_options={"confirm_publish": True}) as connection:
        connection.ensure_connection(max_retries=3)
        if check:
            sys.exit(_check(connection, config))
        try:
            count = topology.declare_all(connection, config)
        except topology.TopologyMismatch as exc:
            if not migrate:
                click.echo(f"topology: {exc}", err=True)
                sys.exit(1)
            wanted = {e.name: e for e in topology.entities(config) if e.name in exc.names}
            for name in exc.names:
                moved = migrate_queue(connection, wanted[name])
                click.echo(f"migrated {name} to a quorum queue ({moved} message(s) kept)")
            count = topology.declare_all(connection, config)
    click.echo(f"topology: {count} exchanges and queues declared on {connection_host(amqp_uri)}")
    ok, line = apply_policies(amqp_uri, config, api_uri)
    click.echo(f"topology: {line}", err=not ok)


def _check(connection, config):
    """Passive declarations: missing queues and exchanges; exit code 1 if any."""
    from amqp.exceptions import NotFound

    missing = []
    for entity in topology.entities(config):
        channel = connection.channel()
        try:
            if hasattr(entity, "queue_arguments"):
                channel.queue_declare(entity.name, passive=True)
            else:
                channel.exchange_declare(entity.name, entity.type, passive=True)
        except NotFound:
            missing.append(entity.name)
        finally:
            try:
                channel.close()
            except Exception:
                pass
    for name in missing:
        click.echo(f"missing: {name}")
    click.echo(f"topology: {len(missing)} missing" if missing else "topology: everything is declared")
    return 1 if missing else 0


def connection_host(amqp_uri):
    from shared.platform.brokers import describe

    return describe(amqp_uri)


if __name__ == "__main__":
    write_manifest()
