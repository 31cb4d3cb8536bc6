"""``hotline sources``: other government systems, each through its own door.

A source is an API key (intake, RPC) plus a broker user of its own (RabbitMQ's
management API, ``BROKER_MANAGEMENT_URI``) that may only publish
``ticket.submit`` to ``hotline.inbound`` and read ``hotline.receipts.<NAME>``
(see ``shared.platform.broker_admin``). Neither the key nor the password is stored in
the clear anywhere; both are printed once::

    hotline sources create police-110 [--expires 365d]
    hotline sources rotate police-110 [--grace 1h] [--only key|broker]
    hotline sources revoke police-110
    hotline sources list
"""
import json
import sys

import click

from hotline.notify_cli import parse_duration


def admin_and_config():
    from operate.management import ensure
    from shared.platform.broker_admin import BrokerAdmin, vhost_of
    from shared.platform.config import load_config

    config = load_config()
    api_uri = config.get("BROKER_MANAGEMENT_URI") or "http://guest:guest@127.0.0.1:15672/"
    if not ensure(api_uri, lambda line: click.echo(f"hotline: {line}", err=True)):
        sys.exit(2)
    return BrokerAdmin(api_uri, vhost_of(config["AMQP_URI"])), config


def intake(method, *args):
    from nameko.exceptions import RemoteError

    from hotline.client import rpc_call
    from hotline.intake_cli import refused

    try:
        return rpc_call("intake", method, *args)
    except RemoteError as exc:
        refused(exc)


def days(text):
    return None if text is None else parse_duration(text) / 86400


def show(name, key=None, broker_uri=None, expires_at=None, as_json=False, note=None):
    from shared.platform.broker_admin import INBOUND_EXCHANGE, SUBMIT_KEY, receipts_queue

    details = {"name": name, "api_key": key, "amqp_uri": broker_uri, "expires_at": expires_at,
               "publish": {"exchange": INBOUND_EXCHANGE, "routing_key": SUBMIT_KEY},
               "receipts_queue": receipts_queue(name)}
    if as_json:
        click.echo(json.dumps({k: v for k, v in details.items() if v is not None}, ensure_ascii=False, indent=2))
        return
    if note:
        click.echo(note)
    click.echo(f"publish to  exchange {INBOUND_EXCHANGE}, routing key {SUBMIT_KEY} (nothing else is allowed)")
    click.echo(f"receipts    queue {receipts_queue(name)}")
    if expires_at:
        click.echo(f"key expires {expires_at}")
    click.echo("shown only now; the hotline keeps neither in the clear:")
    if key:
        click.echo(f"api_key     {key}")
    if broker_uri:
        click.echo(f"amqp_uri    {broker_uri}")


@click.group()
def sources():
    """Other government systems: an API key and a broker user of their own each."""


@sources.command("create")
@click.argument("name")
@click.option("--expires", default=None, help="The key stops working after this long: 90d, 365d.")
@click.option("--json", "as_json", is_flag=True)
def sources_create(name, expires, as_json):
    """Create NAME's API key and broker user; prints both once."""
    from shared.platform.broker_admin import BrokerAdminError, amqp_uri_for

    admin, config = admin_and_config()
    created = intake("create_api_key", name, days(expires))
    try:
        user, password = admin.open_source(name)
    except BrokerAdminError as exc:
        intake("revoke_api_key", name)  # no half-made source: the key goes too
        click.echo(f"the broker refused: {exc}; nothing was created", err=True)
        sys.exit(1)
    uri = amqp_uri_for(config["AMQP_URI"], user, password, config.get("BROKER_PUBLIC_URI"))
    show(name, created["key"], uri, created.get("expires_at"), as_json, f"source {name} created")


@sources.command("rotate")
@click.argument("name")
@click.option("--grace", default="0", show_default=True,
              help="How long the old key keeps working: 0, 30m, 1h (the broker password changes at once).")
@click.option("--expires", default=None, help="The new key stops working after this long.")
@click.option("--only", type=click.Choice(["key", "broker"]), default=None, help="Rotate just one of them.")
@click.option("--json", "as_json", is_flag=True)
def sources_rotate(name, grace, expires, only, as_json):
    """A new key and broker password for NAME, under the same name."""
    from shared.platform.broker_admin import BrokerAdminError, amqp_uri_for

    admin, config = admin_and_config()
    key = uri = expires_at = None
    if only != "broker":
        rotated = intake("rotate_api_key", name, parse_duration(grace), days(expires))
        key, expires_at = rotated["key"], rotated.get("expires_at")
    if only != "key":
        try:
            user, password = admin.new_password(name)
        except BrokerAdminError as exc:
            click.echo(f"the broker refused: {exc}", err=True)
            sys.exit(1)
        uri = amqp_uri_for(config["AMQP_URI"], user, password, config.get("BROKER_PUBLIC_URI"))
    show(name, key, uri, expires_at, as_json, f"source {name} rotated")


@sources.command("revoke")
@click.argument("name")
@click.option("--keep-queue", is_flag=True, help="Keep the receipts queue (and what is in it).")
def sources_revoke(name, keep_queue):
    """NAME's keys stop working, its broker user is deleted and its connections closed."""
    from shared.platform.broker_admin import BrokerAdminError

    admin, _ = admin_and_config()
    revoked = intake("revoke_api_key", name)
    try:
        admin.close_source(name, keep_queue=keep_queue, linger=6.0)
    except BrokerAdminError as exc:
        click.echo(f"the key is revoked, but the broker refused: {exc}", err=True)
        sys.exit(1)
    click.echo(f"source {name} revoked" if revoked else f"{name} had no active key; its broker user is gone")


@sources.command("list")
def sources_list():
    """Every client with keys: its state and its keys' dates (never the keys)."""
    from shared.platform.broker_admin import source_user

    admin, _ = admin_and_config()
    for client in intake("list_api_keys"):
        live = [k for k in client["keys"] if not k.get("revoked_at")]
        broker = "broker user" if admin.user_exists(source_user(client["name"])) else "no broker user"
        click.echo(f"{client['name']:<24} {client.get('state', 'active'):<8} {len(live)} live key(s)  {broker}")
        for key in client["keys"]:
            ends = key.get("revoked_at") and f"revoked {key['revoked_at'][:16]}" or (
                key.get("expires_at") and f"expires {key['expires_at'][:16]}") or "no expiry"
            click.echo(f"    key created {key['created_at'][:16]}  {ends}")
