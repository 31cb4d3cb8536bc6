"""``hotline routing train | model``: routing's model, over RPC.

Reading history files and the offline tools are routing's own command, since
they need routing's code (``python -m services.routing --help``)::

    python -m services.routing import-history FILE     past tickets -> routing (over RPC), then train
    python -m services.routing evaluate --history FILE  how routing would have dispatched FILE
    python -m services.routing build-model --history FILE --out model.joblib
    python -m services.routing synth-history FILE       a synthetic history for demos
"""
import click

from hotline.routing_cli import call
from shared.platform.config import city_zone, load_config, local_time


def print_training(result):
    meta = result["meta"]
    click.echo(f"model version {result['version']}: {meta['examples']} examples, "
               f"{meta['departments']} departments, {meta['size'] / 1024:.0f} KiB")
    if meta.get("cv_accuracy") is not None:
        click.echo(f"cross-validated accuracy {meta['cv_accuracy']:.3f}, macro-F1 {meta['cv_macro_f1']:.3f}; "
                   f"at precision {meta['target_precision']}: {meta['cv_coverage']:.1%} dispatched automatically")
    for note in meta.get("notes") or []:
        click.echo(f"note: {note}")
    click.echo(f"confidence threshold in force: {result['threshold']:.3f}")


@click.command()
def train():
    """Train a new model on all history and closed tickets; every instance loads it."""
    print_training(call("train", timeout=3600))


@click.command()
def model():
    """The model in use, its threshold and the versions stored."""
    info = call("model_info")
    click.echo(f"learner: {info['learner']} (model version {info['loaded_version'] or '-'}); "
               f"threshold {info['threshold']:.3f}; {info['examples']} examples to learn from")
    zone = city_zone(load_config())
    for m in info["models"]:
        meta = m["meta"]
        click.echo(f"  v{m['version']:<3} {local_time(m['saved_at'], zone)}  {meta.get('examples')} examples  "
                   f"threshold {meta.get('threshold')}  ({meta.get('reason')})")


COMMANDS = (train, model)
