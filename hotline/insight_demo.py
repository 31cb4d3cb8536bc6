"""``hotline insight demo`` (``make demo-insight``): weeks of generated history
through insight's reports, checking they find what was planted.

Uses the running insight service (``make run``) when it answers; otherwise
starts one as a local process for the demo and stops it afterwards.
"""
import base64
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from hotline import insight_cli
from hotline.client import rpc_call
from operate.local import start_services, stop_services


def answers(timeout=3):
    try:
        return rpc_call("insight", "ping", timeout=timeout) == "insight"
    except Exception:
        return False


@contextmanager
def insight_running(out):
    if answers():
        click.echo("using the running insight service")
        yield
        return
    log_path = out / "insight-service.log"
    click.echo(f"insight is not running: starting it for the demo (log: {log_path})")
    with open(log_path, "w") as log:
        processes = start_services(("insight",), env=dict(os.environ),
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while not answers(timeout=2):
                if processes["insight"].poll() is not None or time.monotonic() > deadline:
                    raise click.ClickException(f"insight did not start; see {log_path}")
                time.sleep(0.5)
            yield
        finally:
            stop_services(processes)


def found_spike(report, planted):
    return [s for s in report["spikes"] if s["category"] == planted["category"]
            and s["district"] == planted["district"]]


def found_topic(report, planted, top=3):
    return [t for t in report["emerging"]["terms"][:top]
            if any(term in (t["term"], *t["related"]) for term in planted["terms"])]


def run_demo(out, weeks, daily, seed):
    from hotline.insight_history import generate

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with insight_running(out):
        records, planted = generate(weeks=weeks, seed=seed, daily_volume=daily)
        click.echo(f"== loading {weeks} weeks of generated history ({len(records)} requests)")
        insight_cli.import_records(records, planted)

        click.echo("\n== hotline insight hotspots")
        report = insight_cli.call("hotspots", {})
        insight_cli.print_hotspots(report)
        (out / "hotspots.png").write_bytes(insight_cli.chart("hotspots", {}))

        click.echo("\n== hotline insight top-problems")
        problems = insight_cli.call("top_problems", {})
        click.echo(f"{problems['month']}: largest "
                   + ", ".join(f"{p['category']} ({p['count']})" for p in problems["largest"])
                   + "; fastest growing "
                   + (", ".join(f"{p['category']} (x{p['growth']})" for p in problems["fastest_growing"])
                      or "none"))

        click.echo("\n== hotline insight staffing")
        plan = insight_cli.call("staffing", {})
        insight_cli.print_staffing(plan)
        (out / "staffing.png").write_bytes(insight_cli.chart("staffing", {}))

        click.echo("\n== hotline insight assessment (the last complete month)")
        assessment = insight_cli.call("assessment", {})
        insight_cli.print_assessment(assessment)
        files = insight_cli.call("assessment_files", {"month": assessment["month"]})
        for kind, found in files["files"].items():
            (out / f"assessment.{kind}").write_bytes(base64.b64decode(found["base64"]))

    spike, topic = found_spike(report, planted["spike"]), found_topic(report, planted["topic"])
    click.echo("\n== what was planted, and whether the reports found it")
    click.echo(f"spike {planted['spike']['category']} in {planted['spike']['district']} since "
               f"{planted['spike']['since']}: " + (
                   f"FOUND since {spike[0]['since']} (x{spike[0]['ratio']})" if spike else "NOT FOUND"))
    click.echo(f"topic {' / '.join(planted['topic']['terms'])} since {planted['topic']['since']}: " + (
        f"FOUND as '{topic[0]['term']}' ({topic[0]['recent']} recent vs {topic[0]['previous']})"
        if topic else "NOT FOUND"))
    units = {u["unit"]: u for g in assessment["groups"] for u in g["units"]}
    housing, hrss = units.get("HOUSING"), units.get("HRSS")
    if housing and hrss:
        click.echo(f"case mix: the housing bureau (hard categories, as the city on them) ranks "
                   f"{housing['raw_rank']} raw, {housing['rank']} adjusted ({housing['verdict']}); the "
                   f"human-resources bureau (worse on every category) {hrss['rank']} adjusted ({hrss['verdict']})")
    click.echo(f"charts: {out / 'hotspots.png'}, {out / 'staffing.png'}; "
               f"the report: {out / 'assessment.pdf'}, {out / 'assessment.xlsx'}")
    return 0 if spike and topic else 1


@click.command()
@click.option("--out", default="insight-out", show_default=True, help="Folder for the charts.")
@click.option("--weeks", default=6, show_default=True)
@click.option("--daily", default=400, show_default=True)
@click.option("--seed", default=8, show_default=True)
def demo(out, weeks, daily, seed):
    """Load generated history, then show hot spots, top problems and staffing."""
    sys.exit(run_demo(out, weeks, daily, seed))
