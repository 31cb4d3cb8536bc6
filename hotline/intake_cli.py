"""``hotline`` commands for intake: API keys, the knowledge base, direct
answers, unlinking repeats and the service catalogue.

All of them go through intake's RPC; none opens a database.
"""
import datetime as dt
import json
import sys

import click


def call(method, *args, by=None):
    from hotline.client import rpc_call

    return rpc_call("intake", method, *args, by=by)


def refused(exc):
    """Print a ``ValidationFailed`` by field and exit 2; re-raise anything else."""
    if exc.exc_type != "ValidationFailed":
        raise exc
    click.echo("Refused:", err=True)
    for field, errors in json.loads(exc.value).items():
        click.echo(f"  {field}: {'; '.join(map(str, errors))}", err=True)
    sys.exit(2)


@click.group()
def apikeys():
    """API keys for Open311 clients and other government systems."""


@apikeys.command("create")
@click.argument("name")
@click.option("--expires", default=None, help="The key stops working after this long: 90d, 365d.")
def apikeys_create(name, expires):
    """Make a key for NAME (an Open311 client; other systems: `hotline sources`). Printed once, last."""
    from nameko.exceptions import RemoteError

    from hotline.notify_cli import parse_duration

    try:
        created = call("create_api_key", name, parse_duration(expires) / 86400 if expires else None)
    except RemoteError as exc:
        refused(exc)
    until = f"; it expires {created['expires_at'][:16]}" if created.get("expires_at") else ""
    click.echo(f"API key for {created['name']} (shown only now; intake keeps only its hash{until}):")
    click.echo(created["key"])


@apikeys.command("rotate")
@click.argument("name")
@click.option("--grace", default="0", show_default=True, help="How long the old key keeps working: 0, 1h.")
def apikeys_rotate(name, grace):
    """A new key for NAME under the same name; printed once, last."""
    from nameko.exceptions import RemoteError

    from hotline.notify_cli import parse_duration

    try:
        rotated = call("rotate_api_key", name, parse_duration(grace))
    except RemoteError as exc:
        refused(exc)
    click.echo(f"new API key for {name}; the old one stops {rotated['previous_keys_stop_at'][:19]}:")
    click.echo(rotated["key"])


@apikeys.command("revoke")
@click.argument("name")
def apikeys_revoke(name):
    """Revoke NAME's keys: they stop working at once (the name may get keys again)."""
    if call("revoke_api_key", name):
        click.echo(f"revoked the API keys of {name}")
    else:
        click.echo(f"no active API key named {name}", err=True)
        sys.exit(1)


@apikeys.command("list")
def apikeys_list():
    """The clients that have keys (never the keys)."""
    for client in call("list_api_keys"):
        live = [k for k in client["keys"] if not k.get("revoked_at")]
        state = client.get("state", "active")
        click.echo(f"{client['name']:<24} {state:<8} {len(live)} live key(s) of {len(client['keys'])}")


@click.group("knowledge")
def knowledge_group():
    """The knowledge base operators answer from (直接答复)."""


def knowledge_rows(text, fmt):
    """The rows of a knowledge file, YAML (a list of mappings, or ``{entries: [...]}``) or CSV
    (a header row); intake checks each entry (``import_knowledge``)."""
    import csv
    import io

    import yaml

    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list):
        raise ValueError("a knowledge file is a list of entries (or a mapping with 'entries')")
    return [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}  # YAML's dates
            if isinstance(row, dict) else row for row in data]


@knowledge_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "gb18030"]), default="auto",
              show_default=True, help="auto: UTF-8 if the bytes are UTF-8, else GB18030 (GBK).")
def knowledge_import(path, encoding):
    """Add or replace entries from a YAML or CSV file (id, question, answer, category, keywords,
    expires_on, review_on)."""
    from nameko.exceptions import RemoteError

    from shared.platform.textfiles import NotText, read_text

    fmt = "csv" if path.lower().endswith(".csv") else "yaml"
    try:
        rows = knowledge_rows(read_text(path, encoding), fmt)
    except (NotText, ValueError) as exc:
        click.echo(f"cannot read {path}: {exc}", err=True)
        sys.exit(2)
    try:
        count = call("import_knowledge", rows)
    except RemoteError as exc:
        refused(exc)
    click.echo(f"imported {count} entries from {path}")


@knowledge_group.command("search")
@click.argument("query")
@click.option("--limit", default=5, show_default=True)
def knowledge_search(query, limit):
    """Find answers for a caller's question (Chinese or English)."""
    found = call("search_knowledge", query, limit)
    if not found:
        click.echo("nothing found", err=True)
        sys.exit(1)
    for item in found:
        click.echo(f"{item['id']}  ({item['score']:.2f})  {item['question']}")
        click.echo(f"    {item['answer']}")


@click.command()
@click.argument("entry_id")
@click.option("--title", required=True, help="The caller's question in one line.")
@click.option("--description", default="")
@click.option("--caller-name", default=None)
@click.option("--phone", "caller_phone", default=None)
@click.option("--category", default=None)
@click.option("--district", default=None)
@click.option("--channel", default="phone")
@click.option("--by", "operator", default=None, help="Who answered.")
@click.option("--json", "as_json", is_flag=True)
def answer(entry_id, operator, as_json, **fields):
    """Record a request answered on the call from knowledge entry ENTRY_ID (not dispatched)."""
    from nameko.exceptions import RemoteError

    from hotline.tickets_cli import print_ticket

    request = {k: v for k, v in fields.items() if v not in (None, "")}
    try:
        ticket = call("answer_ticket", request, entry_id, operator, by=operator)
    except RemoteError as exc:
        refused(exc)
    print_ticket(ticket, as_json)
    if not as_json:
        click.echo(f"answer      {ticket['reply']}")


@click.command()
@click.argument("number")
@click.option("--by", "operator", default=None, help="Who unlinks it.")
def unlink(number, operator):
    """NUMBER was linked to an open ticket by mistake: make it a ticket of its own and dispatch it."""
    from nameko.exceptions import RemoteError

    try:
        ticket = call("unlink_ticket", number, operator, by=operator)
    except RemoteError as exc:
        refused(exc)
    click.echo(f"{ticket['number']} is a ticket of its own now [{ticket['status']}], sent for dispatch")


@click.command()
def services():
    """The service catalogue intake offers (routing's, or the directory file's)."""
    listed = call("list_services")
    click.echo(f"from {listed['source']}:")
    for entry in listed["services"]:
        click.echo(f"{entry['code']:<20} {entry.get('name', '')}  [{entry.get('group', '')}]")


COMMANDS = (apikeys, knowledge_group, answer, unlink, services)
