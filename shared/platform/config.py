"""One nameko ``config.yaml`` for every service and for the ``hotline`` CLI.

Values use nameko's ``${ENV_VAR:default}`` syntax. The file is found at
``$HOTLINE_CONFIG``, else ``./config.yaml``, else beside the project root.
"""
import os
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def config_path():
    explicit = os.environ.get("HOTLINE_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path.cwd() / "config.yaml"
    if local.exists():
        return local
    return PROJECT_ROOT / "config.yaml"


def load_config(path=None):
    """Read the config with nameko's own ``${VAR:default}`` expansion."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with open(path or config_path(), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def data_file(config, key, default):
    """A data file named in config; relative paths are from the config file's folder."""
    path = Path(config.get(key) or default)
    return path if path.is_absolute() else config_path().parent / path


def city_zone(config):
    """The city's time zone, in which people read deadlines."""
    from zoneinfo import ZoneInfo

    return ZoneInfo((config.get("CITY") or {}).get("timezone", "Asia/Shanghai"))


def local_time(iso, zone):
    """``2026-11-26T08:00:00+00:00`` -> ``2026-11-26 16:00`` in the city's zone."""
    from datetime import datetime

    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")
