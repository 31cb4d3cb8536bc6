"""Followup's own command: the reply quality gate (审核) over a file of past replies.

    python -m services.followup quality-report FILE [--title-col topic] [--text-col detail]
                                                    [--reply-col reply] [--examples 20] [--json]

It runs followup's code on a file and needs no running service, so it lives
here rather than in the ``hotline`` client, which only talks to the services.
"""
import json
import sys

import click


@click.group()
def main():
    """Followup's offline tools."""


def echo_json(value):
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@main.command("quality-report")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--title-col", default="topic", show_default=True)
@click.option("--text-col", default="detail", show_default=True, help="What the citizen wrote.")
@click.option("--reply-col", default="reply", show_default=True)
@click.option("--examples", default=20, show_default=True, help="Examples of each verdict.")
@click.option("--json", "as_json", is_flag=True)
def quality_report(path, title_col, text_col, reply_col, examples, as_json):
    """Run the reply quality gate (审核) over past replies in a CSV: what it flags and why."""
    import csv

    from services.followup.domain.quality_report import gate_report, report_lines
    from shared.platform.textfiles import guess_encoding

    with open(path, encoding=guess_encoding(path), newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in (title_col, text_col, reply_col) if c not in (reader.fieldnames or [])]
        if missing:
            click.echo(f"no column {', '.join(missing)}; it has: {', '.join(reader.fieldnames or [])}", err=True)
            sys.exit(2)
        rows = [(r[title_col], r[text_col], r[reply_col]) for r in reader]
    report = gate_report(rows, examples)
    if as_json:
        echo_json(report)
        return
    for line in report_lines(report):
        click.echo(line)
