"""``hotline reconciler`` and ``hotline numbers``: what intake's reconciler found,
and intake's ticket counters.

Both ask intake over RPC; nothing here opens a database.
"""
import json
import sys

import click

from shared.platform.config import city_zone, load_config, local_time


def call(method, *args, by=None):
    from hotline.client import rpc_call

    return rpc_call("intake", method, *args, timeout=60, by=by)


@click.command()
@click.option("--run", "run_now", is_flag=True, help="Run a round now, then show the findings.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def reconciler(run_now, as_json):
    """Tickets that wait too long for a department, a case, a deadline watch or their parts' watches."""
    if run_now:
        done = call("reconcile_now")
        if not as_json:
            click.echo(f"round: looked at {done['looked_at']}, {done['repairs']} repair(s), "
                       f"{done['escalations']} escalation(s), {done.get('settled', 0)} found kept"
                       + (f"; not answering: {', '.join(done['not_answering'])}" if done["not_answering"] else ""))
    found = call("reconciler_findings")
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    zone = city_zone(load_config())
    waiting, totals = found["waiting"], found["totals"]
    click.echo(f"waiting too long  dispatch {waiting['dispatch']}  case {waiting['case']}  "
               f"watch {waiting['watch']}  parts {waiting.get('parts', 0)}   escalated {found['escalated']}")
    click.echo(f"since the start   repairs {totals['repairs']}  healed {totals['healed']}  "
               f"escalations {totals['escalations']}")
    last = found.get("last_round")
    if last:
        click.echo(f"last round        {local_time(last['at'], zone)}"
                   + (f"  (not answering: {', '.join(last['not_answering'])})" if last.get("not_answering") else ""))
    for ticket in found["tickets"]:
        click.echo(f"  {ticket['number']}  {ticket['stage']:<8} since {local_time(ticket['since'], zone)}  "
                   f"repairs {ticket['repairs']}{'  escalated' if ticket['escalated'] else ''}")


@click.group()
def numbers():
    """intake's ticket counters: a number is never issued twice."""


@numbers.command("show")
@click.option("--series", default=None, help="A day's series, e.g. QD-20261127 (default today's).")
def numbers_show(series):
    """The next number, and the highest number routing, followup and intake hold."""
    shown = call("numbering", series)
    click.echo(f"{shown['series']}: next number {shown['series']}-{shown['next']:05d}  "
               f"({'fenced' if shown['fenced'] else 'NOT fenced: a service did not answer'})")
    if shown.get("fenced_at"):
        zone = city_zone(load_config())
        click.echo(f"the highest number each held at the last check, {local_time(shown['fenced_at'], zone)}:")
    for source, highest in sorted((shown.get("answers") or {}).items()):
        click.echo(f"  {source:<9} {'no answer' if highest is None else highest}")


@numbers.command("raise")
@click.argument("series")
@click.argument("at_least", type=int)
@click.option("--by", default=None, help="Who raises it (recorded in intake's log; default your login).")
def numbers_raise(series, at_least, by):
    """After a restore: the next number of SERIES is above AT_LEAST (the highest issued)."""
    from nameko.exceptions import RemoteError

    try:
        done = call("raise_numbers", series, at_least, by=by)
    except RemoteError as exc:
        if exc.exc_type == "NotAllowed":
            click.echo(f"Refused: {exc.value}", err=True)
            sys.exit(2)
        if exc.exc_type != "ValidationFailed":
            raise
        for field, errors in json.loads(exc.value).items():
            click.echo(f"  {field}: {'; '.join(errors)}", err=True)
        sys.exit(2)
    click.echo(f"{series}: next number {series}-{done['next']:05d} (counter was {done['before']})")
