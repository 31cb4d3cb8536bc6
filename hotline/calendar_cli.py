"""``hotline calendar ...``: the working-day calendar and the deadlines it gives.

    hotline calendar coverage [--from 2026 --to 2028]   which source covers which dates
    hotline calendar deadline --from 2027-02-05T09:00 --limit general [--urgency urgent]
    hotline calendar deadline --from ... --from ... --limit all      a table
    hotline calendar load 2027.yaml --by NAME            the city's announced year
    hotline calendar show                                the years loaded

Deadlines come from routing (``preview_terms``: the rule a dispatch follows)
and the warning time from notify (``preview_ladder``: the yellow card's rule);
nothing here reads a database or counts days itself.
"""
import contextlib
import json
import sys

import click

from shared.platform.config import city_zone, load_config, local_time

CLASSES = ("emergency", "urgent", "utilities", "general", "complex")


@contextlib.contextmanager
def cluster(timeout=10):
    from hotline.client import rpc_config
    from hotline.people import cli_context
    from shared.platform.principals import ClusterRpcProxy

    with ClusterRpcProxy(rpc_config(), timeout=timeout, context_data=cli_context()) as proxy:
        yield proxy


def refused(exc):
    """Print a routing refusal and exit 2."""
    from hotline.client import refused as print_refusal

    print_refusal(exc, prefix="Refused: ")


@click.group()
def calendar():
    """Working days: what the calendar knows, and the deadlines it gives."""


def print_year(year, indent="  "):
    state = "official" if year["official"] else "NOT fully official"
    click.echo(f"{indent}{year['year']}: {state}; working weekends (调休) {year['working_weekends']}")
    for source in year["sources"]:
        click.echo(f"{indent}    {source['days']:>3} days  {source['source']}")
    for first, last in year["uncovered"]:
        click.echo(f"{indent}    no official source: {first} .. {last}")


@calendar.command()
@click.option("--from", "first", type=int, default=None, help="First year (default last year).")
@click.option("--to", "last", type=int, default=None, help="Last year (default next year).")
@click.option("--json", "as_json", is_flag=True)
def coverage(first, last, as_json):
    """Which source covers which dates (routing's view), and whether every service agrees."""
    from nameko.exceptions import RemoteError

    with cluster() as proxy:
        try:
            report = proxy.routing.calendar_coverage(first, last)
        except RemoteError as exc:
            if exc.exc_type not in ("RoutingError", "CalendarInvalid"):
                raise
            refused(exc)
        others = {}
        for service in ("followup", "notify"):
            try:
                others[service] = getattr(proxy, service).calendar_status()
            except Exception as exc:  # down, or an older release: say so, do not fail
                others[service] = {"error": repr(exc)}
    if as_json:
        click.echo(json.dumps({"routing": report, **others}, ensure_ascii=False, indent=2))
        return
    ready = report["readiness"]
    click.echo(f"calendar '{report['calendar']}' (routing, city files version {report['calendar_version']})")
    for year in report["years"]:
        print_year(year)
    click.echo(f"next {ready['horizon_days']} days: " + (
        "covered by official sources" if ready["ready"] else
        f"NOT covered from {ready['uncovered_from']}: load the city's file (hotline calendar load)"))
    files = {y["year"]: (y["city_file"] or {}).get("version") for y in report["years"]}
    for service, status in others.items():
        if "error" in status:
            click.echo(f"{service}: did not answer ({status['error']})")
            continue
        theirs = {y["year"]: (y["city_file"] or {}).get("version") for y in status["years"]}
        differ = [year for year in theirs if year in files and theirs[year] != files[year]]
        click.echo(f"{service}: " + ("same city files" if not differ else
                                     f"city files differ for {', '.join(map(str, differ))} "
                                     "(it catches up within DIRECTORY_SYNC_INTERVAL)")
                   + f"; {status['readiness']['uncovered_deadlines']} deadline(s) counted over "
                     "uncovered days since it started")


def deadlines(proxy, start, limit, urgency, request_type=None):
    terms = proxy.routing.preview_terms(start, limit, urgency, request_type=request_type)
    ladder = proxy.notify.preview_ladder(terms["start"], terms["deadline"], terms["sign_for_deadline"],
                                         terms["time_limit_class"])
    warning = next((step["at"] for step in ladder if step["step"] == "yellow_card"), None)
    return dict(terms, warning=warning, ladder=ladder)


@calendar.command()
@click.option("--from", "starts", multiple=True, required=True,
              help="Dispatch time, ISO (city time unless it has an offset); repeat for a table.")
@click.option("--limit", "limits", multiple=True, required=True,
              type=click.Choice((*CLASSES, "all")), help="Time-limit class; repeat, or all.")
@click.option("--urgency", type=click.Choice(["normal", "urgent", "emergency"]), default="normal",
              show_default=True)
@click.option("--type", "request_type", default=None,
              help="A request type whose own limit applies (consultation, complaint ... or 咨询, 投诉 ...).")
@click.option("--json", "as_json", is_flag=True)
def deadline(starts, limits, urgency, request_type, as_json):
    """The deadlines a case dispatched at --from would get, and its yellow card (warning)."""
    from nameko.exceptions import RemoteError

    classes = CLASSES if "all" in limits else limits
    rows = []
    with cluster() as proxy:
        for start in starts:
            for limit in classes:
                try:
                    rows.append(deadlines(proxy, start, limit, urgency, request_type))
                except RemoteError as exc:
                    if exc.exc_type not in ("RoutingError", "CalendarInvalid", "ClockRefused"):
                        raise
                    refused(exc)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    zone = city_zone(load_config())
    click.echo(f"| dispatched ({zone.key}) | class | urgency | sign for by | warning (yellow card) "
               "| reply by | calendar |")
    click.echo("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        note = "official" if not row["calendar_uncovered"] else "NOT covered: " + ", ".join(
            f"{a}..{b}" for a, b in row["calendar_uncovered"])
        start = f"{local_time(row['start'], zone)} {_weekday(row['start'], zone)}"
        click.echo(f"| {start} | {row['time_limit_class']} | {row['urgency']} "
                   f"| {_when(row['sign_for_deadline'], zone)} | {_when(row['warning'], zone)} "
                   f"| {_when(row['deadline'], zone)} | {note} |")


def _weekday(iso, zone):
    import datetime as dt

    return dt.datetime.fromisoformat(iso).astimezone(zone).strftime("%a")


def _when(iso, zone):
    return f"{local_time(iso, zone)} {_weekday(iso, zone)}" if iso else "-"


@calendar.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", required=True, help="Who loads it (kept with the version).")
@click.option("--reason", default="", help="Why, e.g. the notice's number.")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "gb18030"]), default="auto",
              show_default=True)
def load(path, by, reason, encoding):
    """Load the city's calendar of a year (announced holidays and working weekends)."""
    import yaml
    from nameko.exceptions import RemoteError

    from shared.platform.textfiles import NotText, read_text
    from shared.timelimits.calendar_files import BadCalendarFile, parse

    try:
        try:
            document = yaml.safe_load(read_text(path, encoding))
        except ValueError as exc:  # YAML reads 2027-02-30 as a date and fails
            if isinstance(exc, (NotText, BadCalendarFile)):
                raise
            raise BadCalendarFile({"_file": [f"not a calendar file: {exc}"]}) from None
        year = parse(document)
    except (BadCalendarFile, NotText, yaml.YAMLError) as exc:
        click.echo(f"cannot load {path}:", err=True)
        for field, messages in getattr(exc, "errors", {"_file": [str(exc)]}).items():
            click.echo(f"  {field}: {'; '.join(messages)}", err=True)
        sys.exit(2)
    with cluster() as proxy:
        try:
            loaded = proxy.routing.load_calendar_year(year.to_document(), by, reason)
        except RemoteError as exc:
            if exc.exc_type not in ("RoutingError", "CalendarInvalid"):
                raise
            refused(exc)
    click.echo(f"{loaded['year']} loaded as calendar version {loaded['version']} "
               f"({len(year.holidays)} holidays, {len(year.workdays)} working weekend days); "
               "every service uses it from now on")
    print_year(loaded["coverage"])


@calendar.command()
@click.option("--json", "as_json", is_flag=True)
def show(as_json):
    """The city's calendar files routing holds, one per year."""
    with cluster() as proxy:
        years = proxy.routing.calendar_years()
    if as_json:
        click.echo(json.dumps(years, ensure_ascii=False, indent=2))
        return
    if not years:
        click.echo("No city calendar file is loaded.")
    for year in years:
        click.echo(f"{year['year']}  v{year['version']}  {'complete' if year['complete'] else 'partial'}  "
                   f"by {year.get('loaded_by') or '-'}  {year['source']}")
        for kind in ("holidays", "workdays"):
            days = ", ".join(f"{d['date'][5:]} {d['name']}" for d in year[kind])
            click.echo(f"    {kind}: {days or '-'}")
