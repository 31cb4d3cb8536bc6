"""``hotline insight ...``: hot spots, emerging problems, top problems, staffing.

Asks the insight service over RPC; the charts (``--chart FILE``) are insight's
own, fetched from its HTTP API (``GET /insight/hotspots.png``, ``/insight/staffing.png``)
at ``$INSIGHT_URL``, else at the address insight binds (``INSIGHT_HTTP``).
"""
import json
import sys

import click

from shared.platform.config import load_config

RPC_TIMEOUT = 180


def call(method, *args):
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

    from hotline.client import rpc_call

    try:
        rpc_call("insight", "ping", timeout=5)  # fail fast; reports may take a while
    except (UnknownService, RpcTimeout):
        click.echo("insight does not answer: start the stack (make run); make demo-insight "
                   "starts insight itself", err=True)
        sys.exit(1)
    try:
        return rpc_call("insight", method, *args, timeout=RPC_TIMEOUT)
    except RemoteError as exc:
        if exc.exc_type != "BadQuery":
            raise
        for field, errors in json.loads(exc.value).items():
            click.echo(f"  {field}: {'; '.join(map(str, errors))}", err=True)
        sys.exit(2)


def names():
    """Category and district names from the city's directory file."""
    from shared.platform.city import load_city

    city = load_city(load_config())
    return ({c["code"]: c["name"] for c in city.get("catalogue", [])},
            {d["name"]: d.get("code", d["name"]) for d in city.get("districts", [])})


def emit_json(value):
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def insight_url():
    import os

    if os.environ.get("INSIGHT_URL"):
        return os.environ["INSIGHT_URL"].rstrip("/")
    address = str(load_config().get("INSIGHT_HTTP") or "127.0.0.1:8002")
    return "http://" + address.replace("0.0.0.0", "127.0.0.1")


def chart(name, query):
    """The PNG of insight's report ``name`` (``hotspots``, ``staffing``) for ``query``."""
    import requests

    url = f"{insight_url()}/insight/{name}.png"
    try:
        answer = requests.get(url, params={k: v for k, v in query.items() if v is not None}, timeout=RPC_TIMEOUT)
    except requests.RequestException as exc:
        raise click.ClickException(f"no chart: insight's HTTP API does not answer at {url} ({exc}); "
                                   "set INSIGHT_URL") from None
    if answer.status_code != 200:
        raise click.ClickException(f"no chart: {url} answered {answer.status_code}: {answer.text[:200]}")
    return answer.content


def write_chart(path, data):
    with open(path, "wb") as handle:
        handle.write(data)
    click.echo(f"chart written to {path}")


@click.group()
def insight():
    """Hot spots, emerging problems and operator staffing from the requests."""


@insight.command("load-history")
@click.option("--weeks", default=6, show_default=True, help="Weeks of generated history.")
@click.option("--daily", default=400, show_default=True, help="Requests on an average day.")
@click.option("--seed", default=8, show_default=True)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="Load these requests (a JSON list, or JSON lines) instead of generating.")
@click.option("--batch", default=2000, show_default=True)
def load_history(weeks, daily, seed, path, batch):
    """Import past requests into insight's read model (generated unless --file)."""
    summary = import_records(*read_or_generate(path, weeks, daily, seed), batch)
    sys.exit(1 if summary["rejected"] else 0)


def read_or_generate(path, weeks, daily, seed):
    if path:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
        records = json.loads(text) if text.startswith("[") else \
            [json.loads(line) for line in text.splitlines() if line.strip()]
        return records, {}
    from hotline.insight_history import generate

    return generate(weeks=weeks, seed=seed, daily_volume=daily)


def import_records(records, planted, batch=2000):
    summary = {"stored": 0, "duplicates": 0, "rejected": []}
    for start in range(0, len(records), batch):
        result = call("import_history", records[start:start + batch])
        summary["stored"] += result["stored"]
        summary["duplicates"] += result["duplicates"]
        summary["rejected"] += [dict(r, index=r["index"] + start) for r in result["rejected"]]
    click.echo(f"{len(records)} requests: {summary['stored']} stored, "
               f"{summary['duplicates']} known already, {len(summary['rejected'])} rejected")
    for bad in summary["rejected"][:10]:
        click.echo(f"  record {bad['index']} ({bad.get('number')}): {bad['errors']}", err=True)
    if planted:
        click.echo(f"planted: a spike of {planted['spike']['category']} in {planted['spike']['district']} "
                   f"since {planted['spike']['since']}; a new topic "
                   f"({' / '.join(planted['topic']['terms'])}) since {planted['topic']['since']}")
    return summary


@insight.command()
@click.option("--from", "start", help="First local day (YYYY-MM-DD); default: 14 days to --to.")
@click.option("--to", "end", help="Last local day; default: the latest request's day.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False), help="Also write the PNG chart here.")
def hotspots(start, end, as_json, chart_path):
    """Counts by category and district, flagged spikes and emerging terms."""
    query = {"from": start, "to": end}
    report = call("hotspots", query)
    if chart_path:
        write_chart(chart_path, chart("hotspots", query))
    if as_json:
        emit_json(report)
    else:
        print_hotspots(report)


def print_hotspots(report):
    categories, _ = names()
    click.echo(f"Hot spots {report['from']} .. {report['to']}: {report['total']} requests")
    click.echo("\nTop category x district:")
    for cell in report["cells"][:10]:
        before = "-" if cell["previous"] is None else cell["previous"]
        click.echo(f"  {cell['count']:>5}  (previous period {before:>5})  {cell['district']}  "
                   f"{categories.get(cell['category'], cell['category'])}")
    click.echo(f"\nSpikes (Poisson/negative-binomial tail vs own {report['method']['baseline_days']}-day "
               f"baseline, FDR {report['method']['fdr']:.0%}):")
    if not report["spikes"]:
        click.echo("  none")
    for spike in report["spikes"]:
        click.echo(f"  {spike['district']} {categories.get(spike['category'], spike['category'])}: "
                   f"{spike['observed']} requests vs {spike['expected']:.1f} expected "
                   f"(x{spike['ratio']}) since {spike['since']}, peak {spike['peak_count']} on "
                   f"{spike['peak_day']}, q={spike['q_value']:.1e}")
    emerging = report["emerging"]
    click.echo(f"\nEmerging terms ({emerging['recent_requests']} requests since {emerging['recent_from']} "
               f"vs {emerging['previous_requests']} since {emerging['previous_from']}):")
    if not emerging["terms"]:
        click.echo("  none")
    for term in emerging["terms"]:
        related = f" (also {', '.join(term['related'][:4])})" if term["related"] else ""
        click.echo(f"  {term['term']}{related}: {term['recent']} recent vs {term['previous']} before, "
                   f"G2={term['g2']}")
        for example in term["examples"][:2]:
            click.echo(f"      {example['number']}  {example['district'] or ''}  {example['title']}")


@insight.command()
@click.option("--week", help="Any day of the week to plan (default: next week).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False), help="Also write the PNG chart here.")
def staffing(week, as_json, chart_path):
    """Forecast arrivals and operators needed for each hour of a week (Erlang C)."""
    query = {"week": week}
    plan = call("staffing", query)
    if chart_path:
        write_chart(chart_path, chart("staffing", query))
    if as_json:
        emit_json(plan)
    else:
        print_staffing(plan)


def print_staffing(plan):
    target = plan["target"]
    click.echo(f"Staffing for the week of {plan['week_start']} from {plan['history_weeks']} weeks of "
               f"history: {target['share']:.0%} of {'/'.join(plan['channels'])} calls within "
               f"{target['seconds']:.0f} s; AHT {plan['aht_seconds']:.0f} s ({plan['aht_source']}); "
               f"shrinkage {plan['shrinkage']:.0%}")
    click.echo("operators to roster, by hour (rows: days, columns: hours 00..23):")
    click.echo("      " + "".join(f"{h:>4}" for h in range(24)))
    for day in range(7):
        row = plan["hours"][day * 24:(day + 1) * 24]
        click.echo(f"  {row[0]['weekday']} " + "".join(f"{h['operators']:>4}" for h in row))
    totals = plan["totals"]
    click.echo(f"forecast: {totals['forecast_calls']} calls "
               f"({', '.join(f'{c} {n}' for c, n in totals['forecast_by_channel'].items())}); "
               f"{totals['operator_hours']} operator-hours; peak {totals['peak_operators']} "
               f"on {totals['peak_hour']}")
    for test in plan["backtest"]:
        click.echo(f"backtest week {test['week_index'] + 1}: WAPE {test['wape']:.1%} "
                   f"(seasonal naive {test['naive_wape']:.1%}), MAPE {test['mape']:.1%} over "
                   f"{test['hours_in_mape']} busy hours")
    if "actual" in plan:
        click.echo(f"this week's actual calls against the forecast: WAPE {plan['actual']['wape']:.1%}")


@insight.command("top-problems")
@click.option("--month", help="YYYY-MM (default: the latest request's month).")
@click.option("--json", "as_json", is_flag=True)
def top_problems(month, as_json):
    """每月一题: the month's largest and fastest-growing problems, with scorecards."""
    report = call("top_problems", {"month": month})
    if as_json:
        emit_json(report)
        return
    categories, _ = names()
    click.echo(f"Top problems of {report['month']}: {report['requests']} requests "
               f"(previous month {report['previous_requests']}); scorecards from "
               f"{report['scorecard_source']}")
    for title, key in (("Largest", "largest"), ("Fastest growing", "fastest_growing")):
        click.echo(f"\n{title}:")
        for p in report[key] or [{"category": None}]:
            if p["category"] is None:
                click.echo("  none")
                continue
            card = p.get("scorecard") or {}
            rates = " ".join(f"{k.split('_')[0]} {card[k]:.0%}" for k in
                             ("response_rate", "resolution_rate", "satisfaction_rate")
                             if card.get(k) is not None)
            growth = f"x{p['growth']}" if p["growth"] else "new"
            click.echo(f"  {p['count']:>5} ({growth} on {p['previous']})  "
                       f"{categories.get(p['category'], p['category'])}  "
                       f"[{', '.join(d['name'] for d in p['districts'])}]  {p['department'] or '-'}: {rates}")
    if report.get("emerging"):
        click.echo("\nNew in the text this month: " + ", ".join(t["term"] for t in report["emerging"][:5]))


# -- the monthly assessment (考核) and its report (通报) ------------------------------

def print_assessment(report):
    names = report.get("names") or {}
    click.echo(f"Assessment of {report['month']}: {report['cases']} cases; excluded "
               f"{len(report['excluded']['unreasonable'])} ruled unreasonable, "
               f"{len(report['excluded']['appeals_accepted'])} events on appeal; "
               f"units with fewer than {report['min_cases']} cases are not ranked")
    for group in report["groups"]:
        click.echo(f"\n{group['group']}:")
        click.echo(f"  {'rank':>4} {'unit':<24} {'cases':>6} {'raw':>6} {'(rank)':>6} "
                   f"{'adjusted':>8} {'interval':>13}  against the city   vs last month")
        for u in group["units"]:
            interval = "-" if not u["adjusted_interval"] else \
                f"{u['adjusted_interval'][0]:.1f}-{u['adjusted_interval'][1]:.1f}"
            change = "-" if u.get("change") is None else f"{u['change']:+.1f}"
            verdict = {"above": "above (real)", "below": "BELOW (real)", "as_city": "as the city"}[u["verdict"]]
            rank = u["rank"] or "-"
            click.echo(f"  {rank!s:>4} {names.get(u['unit'], u['unit'])[:24]:<24} {u['n_cases']:>6} "
                       f"{u['raw_score'] or 0:>6.1f} {u['raw_rank'] or '-'!s:>6} {u['adjusted_score'] or 0:>8.1f} "
                       f"{interval:>13}  {verdict:<16} {change}"
                       + ("  (not ranked: too few cases)" if not u["rank"] else ""))


@insight.command()
@click.option("--month", help="YYYY-MM (default: the last complete month).")
@click.option("--json", "as_json", is_flag=True)
def assessment(month, as_json):
    """考核: units scored and ranked within their groups, raw and adjusted for case mix."""
    report = call("assessment", {"month": month})
    if as_json:
        emit_json(report)
        return
    print_assessment(report)


@insight.command()
@click.option("--month", help="YYYY-MM (default: the last complete month).")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the PDF here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write the xlsx here.")
def report(month, pdf_path, xlsx_path):
    """通报: the month's assessment as a PDF (with its charts) and an xlsx."""
    import base64

    wanted = {kind: path for kind, path in (("pdf", pdf_path), ("xlsx", xlsx_path)) if path}
    if not wanted:
        raise click.UsageError("give --pdf FILE and/or --xlsx FILE")
    answer = call("assessment_files", {"month": month, "formats": sorted(wanted)})
    for kind, path in wanted.items():
        data = base64.b64decode(answer["files"][kind]["base64"])
        with open(path, "wb") as out:
            out.write(data)
        click.echo(f"wrote {path} ({len(data):,} bytes, {answer['month']})")
