"""``hotline``: run the stack, submit tickets and look them up.

Talks to the services over RPC (RabbitMQ at ``AMQP_URI``) or to intake's
HTTP API (``HOTLINE_URL``); it never opens a service's database, except
``hotline backup`` and ``hotline restore``, which run the database's own
tools (see ``hotline.backup``).
"""
import json
import logging
import os
import socket
import sys

import click

from hotline.local import SERVICES
from shared.platform.config import city_zone, load_config, local_time


def rpc_config():
    config = load_config()
    return {"AMQP_URI": config["AMQP_URI"], "serializer": "json"}


def rpc_call(service, method, *args, timeout=10, by=None):
    """An RPC as the CLI's signed identity (see ``hotline.people``), named ``by``."""
    from hotline.people import cli_context
    from shared.platform.principals import ClusterRpcProxy

    with ClusterRpcProxy(rpc_config(), timeout=timeout, context_data=cli_context(by)) as cluster:
        return getattr(getattr(cluster, service), method)(*args)


class ServiceAway(click.ClickException):
    """A service (or the broker) the command needs is not there: one line, exit 3."""

    exit_code = 3


def broker_address():
    """The broker the CLI uses, without its password."""
    from urllib.parse import urlparse

    first = urlparse(rpc_config()["AMQP_URI"].split(";")[0])
    return f"{first.hostname}:{first.port or 5672}/{first.path.lstrip('/')}"


class Commands(click.Group):
    """The CLI's group: a service that is away or a broker that cannot be reached is
    said in one line (exit 3), not a traceback."""

    def invoke(self, ctx):
        from kombu.exceptions import OperationalError
        from nameko.exceptions import RpcTimeout, UnknownService

        logging.getLogger("amqp").setLevel(logging.ERROR)  # its chatter as a proxy closes
        try:
            return super().invoke(ctx)
        except UnknownService as exc:  # nobody takes the service's calls (nameko: mandatory publish)
            raise ServiceAway(f"{exc.args[0]} is not running: no instance takes its calls on the broker "
                              f"({broker_address()}). Start the services: `make run` or `make up`.") from None
        except RpcTimeout as exc:
            raise ServiceAway(f"no answer within {exc} s: the service is busy or stopped "
                              "(`hotline ping SERVICE`).") from None
        except (OperationalError, ConnectionError, TimeoutError, socket.gaierror) as exc:
            raise ServiceAway(f"cannot reach the broker at {broker_address()} ({exc}): is RabbitMQ "
                              "running, and AMQP_URI right?") from None


def refused(exc, prefix=""):
    """Print a service's refusal (by field when it has fields) and exit 2."""
    try:
        errors = json.loads(exc.value)
    except ValueError:
        errors = None
    if isinstance(errors, dict):
        for field, messages in errors.items():
            click.echo(f"  {field}: {'; '.join(map(str, messages))}", err=True)
    else:
        click.echo(f"{prefix}{exc.value}", err=True)
    sys.exit(2)


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


@click.group(cls=Commands)
def main():
    """The city service hotline (12345 / 311)."""


@main.command()
@click.option("--only", multiple=True, type=click.Choice(SERVICES),
              help="Start only these services (default: every one).")
def run(only):
    """Run the services as local processes, in the foreground (Ctrl-C or SIGTERM stops them)."""
    from hotline.local import run_stack

    sys.exit(run_stack(only or SERVICES))


@main.command()
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


@main.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
def status(number, as_json):
    """Show a ticket with its department and deadline."""
    ticket = rpc_call("intake", "get_ticket", number)
    if ticket is None:
        click.echo(f"No ticket {number}.", err=True)
        sys.exit(1)
    print_ticket(ticket, as_json)


@main.command()
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--timeout", default=5, show_default=True)
def ping(service, timeout):
    """Check a service answers over RPC (used by container healthchecks)."""
    click.echo(rpc_call(service, "ping", timeout=timeout))


@main.command()
@click.option("--url", default=lambda: os.environ.get("HOTLINE_URL", "http://127.0.0.1:8000"),
              show_default="$HOTLINE_URL or http://127.0.0.1:8000")
@click.option("--wait", default=15.0, show_default=True, help="Seconds to wait for dispatch.")
def demo(url, wait):
    """Submit realistic tickets to the running stack over HTTP and show their status."""
    from hotline.demo import run_demo

    sys.exit(run_demo(url, wait))


from hotline.followup_cli import case, scorecard  # noqa: E402

main.add_command(case)
main.add_command(scorecard)
from hotline.intake_cli import register as register_intake_commands  # noqa: E402

register_intake_commands(main)
from hotline.routing_cli import routing  # noqa: E402

main.add_command(routing)
from hotline.notify_cli import clock, notifications  # noqa: E402

main.add_command(notifications)
main.add_command(clock)
from hotline.insight_cli import insight  # noqa: E402

main.add_command(insight)
from hotline.reliability_cli import numbers, reconciler  # noqa: E402

main.add_command(reconciler)
main.add_command(numbers)
from hotline.sources_cli import sources  # noqa: E402

main.add_command(sources)
from hotline.topology_cli import topology_command  # noqa: E402

main.add_command(topology_command)
from hotline.dead_letters_cli import dead_letters  # noqa: E402

main.add_command(dead_letters)
from hotline.cluster import cluster  # noqa: E402

main.add_command(cluster)
from hotline.calendar_cli import calendar  # noqa: E402

main.add_command(calendar)
from hotline.backup_cli import register as register_backup_commands  # noqa: E402

register_backup_commands(main)
from hotline.users_cli import users  # noqa: E402

main.add_command(users)
from hotline.keys_cli import keys  # noqa: E402

main.add_command(keys)


if __name__ == "__main__":
    main()
