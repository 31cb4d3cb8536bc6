"""Routing's own command: the offline tools and reading history files.

    python -m services.routing import-history FILE [--text-col ...] [--label-col ...]
    python -m services.routing evaluate --history FILE [--folds 5] [--compare] [--curve] [--json]
    python -m services.routing build-model --history FILE --out model.joblib
    python -m services.routing synth-history FILE [--per-department 30]

They need routing's code (the history reader, the classifier), so they live
here rather than in the ``hotline`` client, which only talks to the services.
``evaluate``, ``build-model`` and ``synth-history`` work on files alone;
``import-history`` reads the file here and sends it to the running routing
service over RPC, as the ``hotline`` CLI's signed identity.
"""
import json
import os
import sys

import click

from hotline.client import Commands
from hotline.routing_cli import call, print_training
from shared.platform.config import load_config


@click.group(cls=Commands)
def main():
    """Routing's offline tools: evaluate, build a model, import or synthesise history."""


HISTORY_OPTIONS = [
    click.option("--text-col", "text_cols", multiple=True, default=("text",), show_default=True,
                 help="Text column(s); repeat or comma-separate to join several."),
    click.option("--label-col", default="department", show_default=True, help="The department column."),
    click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
                 help="Default: from the file name."),
]


def history_options(func):
    for option in reversed(HISTORY_OPTIONS):
        func = option(func)
    return func


def read_or_exit(path, text_cols, label_col, fmt):
    from services.routing.learning.history import HistoryError, HistoryReport, count_rows, read_history

    report = HistoryReport()
    try:
        total = count_rows(path, fmt)
        rows = []
        with click.progressbar(read_history(path, text_cols, label_col, fmt, report), length=total,
                               label=f"reading {path}", file=sys.stderr) as bar:
            for row in bar:
                rows.append(row)
    except HistoryError as exc:
        click.echo(f"cannot read history: {exc}", err=True)
        sys.exit(2)
    click.echo(report.summary(), err=True)
    return rows


@main.command("import-history")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@history_options
@click.option("--batch", default=1000, show_default=True)
@click.option("--train/--no-train", default=True, show_default=True, help="Train a model afterwards.")
@click.option("--add-departments", is_flag=True,
              help="Add every department the history names and the directory lacks (needs --by).")
@click.option("--by", default=None, help="Who adds them (kept with the directory version).")
def import_history(path, text_cols, label_col, fmt, batch, train, add_departments, by):
    """Import past tickets (text -> department) and train routing's model."""
    if add_departments and not by:
        click.echo("--add-departments changes the directory: say who does it with --by", err=True)
        sys.exit(2)
    rows = read_or_exit(path, text_cols, label_col, fmt)
    source = os.path.abspath(path)  # importing the same file again replaces it
    stored, unknown = 0, {}
    with click.progressbar(length=len(rows), label="sending to routing", file=sys.stderr) as bar:
        for start in range(0, len(rows), batch):
            chunk = [list(r) for r in rows[start:start + batch]]
            result = call("import_history", chunk, source, start == 0, timeout=120)
            stored += result["stored"]
            for label, n in result["not_in_directory"].items():
                unknown[label] = unknown.get(label, 0) + n
            bar.update(len(chunk))
    click.echo(f"{stored} examples stored")
    if unknown and add_departments:
        added = call("add_departments_named", sorted(unknown), by, f"named in the history {path}")
        click.echo(f"{len(added)} department(s) added to the directory: "
                   + ", ".join(f"{d['code']} {d['name']}" for d in added[:8]) + (" ..." if len(added) > 8 else ""))
    elif unknown:
        top = ", ".join(f"{k} ({v})" for k, v in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
        click.echo(f"{sum(unknown.values())} rows name departments not in the directory, not used for "
                   f"training until added (--add-departments, or hotline routing add-department): {top}")
    if train:
        print_training(call("train", timeout=3600))


@main.command()
@click.option("--history", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@history_options
@click.option("--folds", default=5, show_default=True)
@click.option("--group-texts", is_flag=True,
              help="Keep identical texts in one fold: how routing does on wording it never saw.")
@click.option("--compare", is_flag=True,
              help="Evaluate the baseline (character 1-3-grams, linear SVM) on the same folds.")
@click.option("--candidates", is_flag=True,
              help="Evaluate every candidate model routing was measured against (docs/routing.md).")
@click.option("--curve", is_flag=True,
              help="The learning curve: the same test folds, models fitted on 10/25/50/100% of the training folds.")
@click.option("--check", default=20, show_default=True,
              help="How many labels to list for a person to check (0: none).")
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON with the figures.")
def evaluate(path, text_cols, label_col, fmt, folds, group_texts, compare, candidates, curve, check, as_json):
    """How routing would have dispatched FILE: stratified k-fold cross-validation."""
    from services.routing.learning.classifier import DEFAULT_KIND, KINDS
    from services.routing.learning.evaluate import CURVE_SHARES, report_lines
    from services.routing.learning.evaluate import evaluate as run

    others = tuple(k for k in KINDS if k != DEFAULT_KIND) if candidates else ("baseline",) if compare else ()
    rows = read_or_exit(path, text_cols, label_col, fmt)
    if folds < 2:
        click.echo("--folds must be at least 2", err=True)
        sys.exit(2)
    try:
        with click.progressbar(length=folds, label=f"cross-validating {len(rows)} tickets, {folds} folds",
                               file=sys.stderr) as bar:
            result = run([t for t, _ in rows], [label for _, label in rows], folds=folds,
                         progress=lambda fold: bar.update(1), group_texts=group_texts, compare=others,
                         curve=CURVE_SHARES if curve else (), check=max(0, check))
    except ValueError as exc:
        click.echo(f"cannot evaluate: {exc}", err=True)
        sys.exit(2)
    for line in report_lines(result):
        click.echo(line)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))


@main.command("evaluate-types")
@click.option("--history", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--text-col", "text_cols", multiple=True, default=("text",), show_default=True,
              help="Text column(s): the first is the title (the rules read it first), the rest the description.")
@click.option("--type-col", required=True, help="The request type a person gave (complaint or 投诉, ...).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Default: from the file name.")
@click.option("--folds", default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="End with one line of JSON with the figures.")
def evaluate_types(path, text_cols, type_col, fmt, folds, as_json):
    """The request type of FILE's tickets: the rules against a model learned from the types people
    gave, each ticket predicted by a model that never saw it (what training measures before routing
    uses a learned type)."""
    from services.routing.learning.history import HistoryError, HistoryReport, read_typed
    from services.routing.learning.request_type_model import measure

    report = HistoryReport()
    try:
        rows = list(read_typed(path, text_cols, type_col, fmt, report))
    except HistoryError as exc:
        click.echo(f"cannot read history: {exc}", err=True)
        sys.exit(2)
    click.echo(report.summary(), err=True)
    kinds = {k for _, _, k in rows}
    if folds < 2 or len(rows) < folds * 2 or len(kinds) < 2:
        click.echo(f"cannot evaluate: {len(rows)} typed rows of {len(kinds)} type(s), {folds} folds", err=True)
        sys.exit(2)
    result = measure(rows, folds)
    click.echo(f"{result['examples']} typed tickets, {folds}-fold cross-validation")
    click.echo(f"accuracy: rules {result['rules_accuracy']:.3f}, learned {result['cv_accuracy']:.3f} "
               f"(learned: expected calibration error {result['ece']:.3f})")
    click.echo(f"{'type':<14}{'tickets':>8}{'precision':>11}{'recall':>8}{'rules recall':>14}")
    for kind, row in result["per_type"].items():
        precision = "-" if row["precision"] is None else f"{row['precision']:.3f}"
        click.echo(f"{kind:<14}{row['support']:>8}{precision:>11}{row['recall']:>8.3f}{row['rules_recall']:>14.3f}")
    click.echo("routing types tickets with the learned model only where it is ahead of the rules: "
               "it measures this again at every training, on the types people gave")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))


@main.command("build-model")
@click.option("--history", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@history_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The model file; point ROUTING_MODEL_FILE at it.")
def build_model(path, text_cols, label_col, fmt, out):
    """Train a model from FILE without the services; routing loads it at start (ROUTING_MODEL_FILE)."""
    from services.routing.domain.directory import Directory
    from services.routing.learning import stored
    from services.routing.learning import training as learning
    from shared.platform.city import load_city

    rows = read_or_exit(path, text_cols, label_col, fmt)
    directory = Directory.from_dict(load_city(load_config()))
    try:
        model = learning.train([t for t, _ in rows], [label for _, label in rows], directory,
                               float(load_config().get("ROUTING_TARGET_PRECISION") or 0.95))
    except learning.NotEnoughHistory as exc:
        click.echo(f"cannot train: {exc}", err=True)
        sys.exit(2)
    model.meta["source"] = os.path.abspath(path)
    stored.save_file(model, out)
    meta = dict(model.meta, size=os.path.getsize(out))
    print_training({"version": "(file)", "meta": meta, "threshold": learning.threshold_for(model, "auto")})
    click.echo(f"written to {out}")


@main.command("synth-history")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--per-department", default=30, show_default=True)
@click.option("--seed", default=7, show_default=True)
def synth_history(path, per_department, seed):
    """Write a synthetic Chinese dispatch history (JSON Lines: text, department) for demos."""
    from services.routing.learning.synthetic import generate

    rows = generate(per_department, seed)
    with open(path, "w", encoding="utf-8") as handle:
        for text, code in rows:
            handle.write(json.dumps({"text": text, "department": code}, ensure_ascii=False) + "\n")
    click.echo(f"{len(rows)} work orders written to {path}")
