"""``hotline backup`` / ``hotline restore`` (see ``operate.backup`` and docs/operations.md)."""
import sys

import click

from operate.backup import ORDER, BackupError, backup, check, restore
from shared.platform.config import load_config

TOOLS = click.Choice(["auto", "mongo-tools", "pymongo"])


def store_settings(uri):
    config = load_config()
    return uri or config.get("MONGO_URI") or "memory://", config.get("MONGO_DB_PREFIX", "hotline_")


@click.command("backup")
@click.option("--out", "out_dir", default="backups", show_default=True, type=click.Path(file_okay=False),
              help="Folder the new backup folder goes in.")
@click.option("--uri", default=None, help="MongoDB to read (default MONGO_URI); a user with read rights.")
@click.option("--only", multiple=True, type=click.Choice(ORDER), help="Only these services' databases.")
@click.option("--tool", type=TOOLS, default="auto", show_default=True,
              help="mongo-tools: mongodump; pymongo: the export built in; auto: mongodump if installed.")
def backup_command(out_dir, uri, only, tool):
    """Back up every service's database (intake's last) into a new folder."""
    uri, prefix = store_settings(uri)
    try:
        manifest = backup(uri, out_dir, prefix, only or None, tool)
    except BackupError as exc:
        click.echo(f"backup: {exc}", err=True)
        sys.exit(2)
    for name, counts in manifest["databases"].items():
        click.echo(f"{name:<20} {sum(counts.values()):>8} documents in {len(counts)} collections")
    click.echo(f"backup written by {manifest['tool']} to {manifest['folder']}")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--uri", default=None, help="MongoDB to write (default MONGO_URI).")
@click.option("--only", multiple=True, type=click.Choice(ORDER), help="Only these services' databases.")
@click.option("--drop", is_flag=True, help="Replace what the databases hold (stop the services first).")
@click.option("--check", "check_only", is_flag=True, help="Only read the backup back and compare it "
              "with its manifest; write nothing.")
@click.option("--tool", type=TOOLS, default="auto", show_default=True)
def restore_command(folder, uri, only, drop, check_only, tool):
    """Restore a backup made by `hotline backup` (or mongodump --gzip)."""
    uri, prefix = store_settings(uri)
    try:
        if check_only:
            found = check(folder, prefix, only or None)
        else:
            found = restore(uri, folder, prefix, only or None, drop, tool)
    except BackupError as exc:
        click.echo(f"restore: {exc}", err=True)
        sys.exit(2)
    for name, counts in found.items():
        click.echo(f"{name:<20} {sum(counts.values()):>8} documents in {len(counts)} collections")
    click.echo("backup read back whole" if check_only else
               "restored; start the services: each rebuilds its indexes and the reconciler repairs the rest")
