"""``hotline notifications`` and ``hotline clock``: what notify sent, and its clock.

Both ask notify over RPC; nothing here opens notify's database.
"""
import getpass
import json
import os
import re
import sys

import click

from shared.platform.config import city_zone, load_config, local_time

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rpc(method, *args):
    from hotline.client import rpc_call

    return rpc_call("notify", method, *args)


def parse_duration(text):
    """``90m``, ``2h``, ``3d``, ``-1d``, ``3600`` -> seconds."""
    match = re.fullmatch(r"\s*(-?\d{1,9}(?:\.\d+)?)\s*([smhd]?)\s*", text or "")
    if not match:
        raise click.BadParameter(f"{text!r}: use a number with s, m, h or d (e.g. 2d)")
    return float(match.group(1)) * UNITS[match.group(2) or "s"]


@click.command()
@click.option("--ticket", "number", default=None, help="Only this ticket's notifications.")
@click.option("--failed", is_flag=True, help="Only those given up on.")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
def notifications(number, failed, limit, as_json):
    """Show the notification log: what was sent to whom, status and attempts."""
    rows = _rpc("list_notifications", number, failed, limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No notifications.")
        return
    zone = city_zone(load_config())
    click.echo(f"{'created':<16}  {'ticket':<18} {'what':<18} {'channel':<8} {'status':<8} "
               f"{'tries':>5}  recipient / last error   ({zone.key})")
    for row in rows:
        what = row["template"] + (f"/{row['level']}" if row.get("level") else "")
        click.echo(f"{local_time(row['created_at'], zone):<16}  {row['number']:<18} {what:<18} "
                   f"{row['channel']:<8} {row['status']:<8} {row['attempts']:>5}  "
                   f"{row.get('recipient') or '(citizen)'}")
        if row.get("last_error") and row["status"] != "sent":
            click.echo(f"{'':<16}  {'':<18} {'':<18} {'':<8} {'':<8} {'':>5}  ! {row['last_error']}")


@click.command()
@click.option("--advance", default=None, help="Move the clock forward: 90m, 2h, 3d.")
@click.option("--set-offset", "offset", default=None, help="Set the offset from real time: 0, 5d.")
@click.option("--by", default=lambda: os.environ.get("HOTLINE_OPERATOR") or getpass.getuser(),
              show_default="$HOTLINE_OPERATOR or your login", help="Who moves it.")
def clock(advance, offset, by):
    """Show or move the platform's clock (demo mode, HOTLINE_DEMO=1, only)."""
    from nameko.exceptions import RemoteError

    try:
        if offset is not None:
            _rpc("set_clock_offset", parse_duration(offset), by)
        if advance is not None:
            _rpc("advance_clock", parse_duration(advance), by)
    except RemoteError as exc:
        if exc.exc_type != "ClockRefused":
            raise
        click.echo(f"Refused: {exc.value}", err=True)
        sys.exit(2)
    now = _rpc("get_clock")
    zone = city_zone(load_config())
    mode = "demo clock" if now.get("demo") else "real time (not in demo mode)"
    click.echo(f"clock: {local_time(now['now'], zone)} {zone.key} "
               f"(offset {now['offset_seconds'] / 86400:+.2f} days, {mode})")
