"""``hotline submit | status | ping | demo``: tickets on a call, and whether the services answer."""
import json
import os
import sys

import click

from hotline.client import rpc_call
from operate.stack import SERVICES
from shared.contract.request_types import label
from shared.platform.config import city_zone, load_config, local_time


def print_ticket(ticket, as_json=False):
    if as_json:
        click.echo(json.dumps(ticket, ensure_ascii=False, indent=2))
        return
    dept = ticket.get("department") or {}
    zone = city_zone(load_config())
    click.echo(f"ticket      {ticket['number']}  [{ticket['status']}]")
    click.echo(f"title       {ticket['title']}")
    if ticket.get("district") or ticket.get("address"):
        click.echo(f"place       {ticket.get('district') or ''} {ticket.get('address') or ''}".rstrip())
    click.echo(f"urgency     {ticket['urgency']}   channel {ticket['channel']}")
    if ticket.get("request_type"):
        click.echo(f"type        {label(ticket['request_type'])}")
    click.echo(f"received    {local_time(ticket['received_at'], zone)} ({zone.key})")
    if dept:
        click.echo(f"department  {dept.get('name')} ({dept.get('code')})  tel {dept.get('phone') or '-'}")
        click.echo(f"sign for by {local_time(ticket.get('sign_for_deadline'), zone)}")
        click.echo(f"reply by    {local_time(ticket.get('deadline'), zone)}")
    else:
        click.echo("department  (not yet assigned)")
    if ticket.get("linked_to"):
        click.echo(f"repeat of   {ticket['linked_to']} (handled with it)")
    if ticket.get("linked"):
        click.echo(f"repeats     {', '.join(ticket['linked'])}")
    for entry in ticket.get("history", []):
        click.echo(f"  {local_time(entry['at'], zone)}  {entry['status']:<18} {entry.get('note', '')}")


@click.command()
@click.option("--title", required=True, help="One line saying what the problem is.")
@click.option("--description", default="", help="The caller's full account.")
@click.option("--caller-name", default=None)
@click.option("--phone", "caller_phone", default=None, help="Caller's phone number.")
@click.option("--category", default=None, help="Catalogue category code, if known.")
@click.option("--district", default=None)
@click.option("--street", default=None)
@click.option("--address", default=None)
@click.option("--lat", type=float, default=None)
@click.option("--lng", type=float, default=None)
@click.option("--urgency", type=click.Choice(["emergency", "urgent", "normal"]), default="normal")
@click.option("--type", "request_type", default=None,
              help="The request type: consultation, help, complaint, report, suggestion or praise "
                   "(or 咨询 求助 投诉 举报 建议 表扬); routing suggests one if not given.")
@click.option("--channel", default="phone", show_default=True,
              help="How the request came in: an operator's CLI records calls.")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
def submit(as_json, **fields):
    """Record a citizen's request as a ticket (what an operator does on a call)."""
    from nameko.exceptions import RemoteError

    request = {k: v for k, v in fields.items() if v not in (None, "")}
    try:
        ticket = rpc_call("intake", "submit_ticket", request)
    except RemoteError as exc:
        if exc.exc_type != "ValidationFailed":
            raise
        click.echo("The ticket was not accepted:", err=True)
        for field, errors in json.loads(exc.value).items():
            click.echo(f"  {field}: {'; '.join(map(str, errors))}", err=True)
        sys.exit(2)
    print_ticket(ticket, as_json)
    if ticket.get("lookup_code") and not as_json:
        click.echo(f"lookup code {ticket['lookup_code']} for {ticket['received_as']} (tell the caller: "
                   "with the number it shows the ticket's status online)")
    if ticket.get("outcome") == "linked" and not as_json:
        click.echo(f"repeat      recorded as {ticket['received_as']}, linked to this open ticket "
                   f"(undo: hotline unlink {ticket['received_as']})")


@click.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
def status(number, as_json):
    """Show a ticket with its department and deadline."""
    ticket = rpc_call("intake", "get_ticket", number)
    if ticket is None:
        click.echo(f"No ticket {number}.", err=True)
        sys.exit(1)
    print_ticket(ticket, as_json)


@click.command()
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--timeout", default=5, show_default=True)
def ping(service, timeout):
    """Check a service answers over RPC (used by container healthchecks)."""
    click.echo(rpc_call(service, "ping", timeout=timeout))


@click.command()
@click.option("--url", default=lambda: os.environ.get("HOTLINE_URL", "http://127.0.0.1:8000"),
              show_default="$HOTLINE_URL or http://127.0.0.1:8000")
@click.option("--wait", default=15.0, show_default=True, help="Seconds to wait for dispatch.")
def demo(url, wait):
    """Submit realistic tickets to the running stack over HTTP and show their status."""
    from hotline.demo import run_demo

    sys.exit(run_demo(url, wait))


COMMANDS = (submit, status, ping, demo)
