"""What the deployment tests share: paths, the services, a YAML loader that reads as compose does."""
import re
import tomllib
from pathlib import Path

import yaml

from shared.platform.config import load_config

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
SERVICES = ("intake", "routing", "followup", "notify", "insight", "callcentre", "console")
PUBLISHED = {"intake": 8000, "followup": 8001, "insight": 8002, "callcentre": 8005, "console": 8080, "rabbitmq": 5672}
SECRET_WORDS = re.compile(r"PASS|PASSWORD|SECRET|TOKEN")
PINNED_TAG = re.compile(r"^[\w./-]+:v?\d+\.\d+\.\d+[\w.-]*$")


class PlainLoader(yaml.SafeLoader):
    """YAML as compose and Kubernetes read it: ``${VAR}`` is text (nameko's config
    parser, once set up by any test, teaches SafeLoader to expand it)."""


PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_yaml(text):
    return yaml.load(text, Loader=PlainLoader)


def load_all_yaml(text):
    return [doc for doc in yaml.load_all(text, Loader=PlainLoader) if doc]


def without_comments(path):
    return "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))


def project_version():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def http_port(service):
    """The port of ``<SERVICE>_HTTP`` in config.yaml (the console's is 8080 by decision)."""
    address = load_config().get(f"{service.upper()}_HTTP") or "0.0.0.0:8080"
    return int(str(address).rsplit(":", 1)[1])


