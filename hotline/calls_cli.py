"""``hotline calls ...``: the phone floor (callcentre).

    hotline calls token rotate               a new URL for the PBX's CTI door (shown once)
    hotline calls figures [--day D] [--by hour|queue|operator]
    hotline calls missed                     the missed callers to call back
    hotline calls simulate --url URL ...     a day of calls through the CTI door

``simulate`` is a client of the CTI HTTP door only (``hotline.simulate``).
"""
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

import click

from shared.platform.config import load_config


def call(method, *args):
    from nameko.exceptions import RemoteError

    from hotline.client import rpc_call

    try:
        return rpc_call("callcentre", method, *args, timeout=60)
    except RemoteError as exc:
        click.echo(f"refused: {exc.exc_type}: {exc.value}", err=True)
        sys.exit(2)


def callcentre_url():
    import os

    if os.environ.get("CALLCENTRE_URL"):
        return os.environ["CALLCENTRE_URL"].rstrip("/")
    address = str(load_config().get("CALLCENTRE_HTTP") or "127.0.0.1:8005")
    return "http://" + address.replace("0.0.0.0", "127.0.0.1")


def zone():
    return ZoneInfo((load_config().get("CITY") or {}).get("timezone", "Asia/Shanghai"))


@click.group()
def calls():
    """The phone floor: the CTI door's token, figures, missed callers, a simulator."""


@calls.group()
def token():
    """The CTI door's token (a secret in the PBX's URL)."""


@token.command("rotate")
def rotate():
    """A new token: the old one stops working at once. The URL is shown only now."""
    answer = call("rotate_cti_token")
    click.echo("Give the PBX this URL (the old one no longer works):")
    click.echo(f"{callcentre_url()}{answer['path']}")


@calls.command()
@click.option("--day", help="local date (default today)")
@click.option("--from", "first", help="first local date of a range")
@click.option("--to", "last", help="last local date of a range")
@click.option("--by", type=click.Choice(["hour", "queue", "operator"]), default="hour")
@click.option("--json", "as_json", is_flag=True)
def figures(day, first, last, by, as_json):
    """Offered, answered, within the target, abandoned, handling time; the plan beside."""
    params = {k: v for k, v in {"day": day, "from": first, "to": last, "by": by}.items() if v}
    report = call("floor_figures", params)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{report['first_day']} .. {report['last_day']} by {by} (within {report['target_seconds']:g} s)")
    click.echo(f"{'':18}{'offered':>8}{'answered':>9}{'in time':>8}{'SL':>7}{'abandon':>8}{'AHT s':>7}"
               f"{'plan':>6}{'need':>6}")
    for row in report["groups"] + [dict(report["total"], key="total")]:
        level = f"{row['service_level']:.0%}" if row["service_level"] is not None else "-"
        click.echo(f"{row['key']:18}{row['offered']:>8}{row['answered']:>9}{row['answered_in_target']:>8}"
                   f"{level:>7}{row['abandoned']:>8}{row['aht_seconds'] or '-':>7}"
                   f"{row.get('planned_agents', '-'):>6}{row.get('needed_for_actual', '-'):>6}")
    cb = report["callbacks"]
    click.echo(f"missed callers {cb['missed_callers']}: called back in time {cb['in_time']}, late {cb['late']}, "
               f"overdue {cb['overdue']}, open {cb['open']}")
    if report.get("plan_problem"):
        click.echo(f"(no plan: {report['plan_problem']})")


@calls.command()
def missed():
    """The missed callers still to call back, the most urgent first."""
    for entry in call("missed_callers"):
        click.echo(f"{entry['key']}  {entry['caller_phone']}  calls {entry['calls']}  due {entry['due_at']}"
                   f"  {entry['standing']}  {entry['claimed_by'] or ''}")


@calls.command()
@click.option("--url", required=True, help="the CTI door's URL with its token (hotline calls token rotate)")
@click.option("--day", help="the local date simulated (default today)")
@click.option("--calls", "daily", type=int, default=600, show_default=True, help="calls in the day (mean)")
@click.option("--operators", default="0-24:2,8-18:6", show_default=True,
              help="operators per hour: HOURS:N, e.g. 9-12:2,12-18:6")
@click.option("--aht", type=float, default=240, show_default=True, help="mean handling time, seconds")
@click.option("--patience", type=float, default=60, show_default=True, help="mean patience, seconds")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--shape", type=click.Choice(["typical", "insight"]), default="typical", show_default=True,
              help="the day's hourly shape: built in, or insight's forecast for that day")
@click.option("--speed", type=float, default=0, help="send in time, this many times faster (0: at once)")
@click.option("--shuffle", is_flag=True, help="send the events in a random order (the record is the same)")
def simulate(url, day, daily, operators, aht, patience, seed, shape, speed, shuffle):
    """A day of calls through the CTI door, and what it should show."""
    from hotline import simulate as sim

    local = zone()
    day = dt.date.fromisoformat(day) if day else dt.datetime.now(local).date()
    try:
        staffed = sim.parse_operators(operators)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--operators") from None
    weights = sim.TYPICAL_DAY
    if shape == "insight":
        weights = insight_shape(day) or weights
    made = sim.simulate(day, local, daily, staffed, aht=aht, patience=patience, seed=seed, shape=weights)
    events = sim.events(made)
    refused = sim.send(url, events, speed=speed, shuffle_seed=seed if shuffle else None)
    click.echo(f"{len(made)} calls, {len(events)} events sent ({refused} refused) for {day.isoformat()}")
    click.echo(f"{'hour':6}{'ops':>4}{'offered':>8}{'answered':>9}{'in 15 s':>8}{'abandoned':>10}")
    for hour, row in sim.summary(made, local).items():
        click.echo(f"{hour:6}{staffed[int(hour[:2])]:>4}{row['offered']:>8}{row['answered']:>9}"
                   f"{row['in_target']:>8}{row['abandoned']:>10}")


def insight_shape(day):
    """The day's hourly forecast from insight's staffing plan, or None."""
    from hotline.client import rpc_call

    try:
        plan = rpc_call("insight", "staffing", {"week": day.isoformat()}, timeout=60)
    except Exception as exc:
        click.echo(f"insight has no forecast ({type(exc).__name__}): the typical day's shape", err=True)
        return None
    hours = [h["calls"] for h in plan["hours"] if h["start"][:10] == day.isoformat()]
    return hours if len(hours) == 24 and sum(hours) > 0 else None
