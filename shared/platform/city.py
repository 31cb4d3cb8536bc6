"""The city's directory file: districts, departments and dispatch catalogue.

Loaded from ``DIRECTORY_FILE`` (YAML). Intake needs the district list to
validate addresses; routing needs all of it. It is configuration the city
publishes, not another service's data.
"""
from nameko.extensions import DependencyProvider

from shared.platform.config import data_file, load_yaml

DEFAULT_DIRECTORY_FILE = "seed/qingdao.yaml"


def load_city(config):
    path = data_file(config, "DIRECTORY_FILE", DEFAULT_DIRECTORY_FILE)
    with open(path, encoding="utf-8") as handle:
        return load_yaml(handle)


def district_names(city):
    return [d["name"] for d in city.get("districts", [])]


class City(DependencyProvider):
    """Hand workers the city's directory, read once in ``setup()``."""

    def setup(self):
        self.city = load_city(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.city
