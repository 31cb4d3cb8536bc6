"""The service catalogue intake offers (Open311 services, category checks).

routing owns the dispatch catalogue and serves it by RPC (``get_catalogue``).
Intake asks for it when it starts, keeps it for ``catalogue_ttl`` seconds
and then asks again in the background; when routing does not answer it falls
back to the catalogue in the city's directory file (and asks again after 30
s), so intake keeps taking requests, without waiting, while routing is down.
"""
import logging
import time

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from shared.platform import principals
from shared.platform.city import load_city

log = logging.getLogger(__name__)


def from_directory(city):
    """The directory file's catalogue, with its departments' keywords."""
    departments = {d["code"]: d for d in city.get("departments", [])}
    entries = []
    for item in city.get("catalogue", []):
        dept = departments.get(item.get("department"), {})
        entries.append(dict(item, description=item.get("description") or item.get("name"),
                            keywords=item.get("keywords") or list(dept.get("keywords", []))))
    return entries


class Catalogue(DependencyProvider):
    """Give workers ``.entries()``: routing's catalogue, cached, or the file's."""

    def setup(self):
        config = self.container.config
        section = config.get("INTAKE") or {}
        self.ttl = float(section.get("catalogue_ttl", 300))
        self.timeout = float(section.get("catalogue_rpc_timeout", 2))
        self.rpc_config = principals.client_config(config, "intake")
        self.fallback = from_directory(load_city(config))
        self.cached, self.fetched_at, self.source = None, 0.0, None
        self.refreshing = False
        self.lock = Semaphore()

    def fetch(self):
        from shared.platform.principals import ServiceRpcProxy

        try:
            with ServiceRpcProxy("routing", self.rpc_config, timeout=self.timeout) as routing:
                entries = routing.get_catalogue()
            if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("code") for e in entries):
                raise ValueError("routing's catalogue is not a list of entries with a code")
            return entries, "routing"
        except Exception as exc:
            log.warning("routing did not give its catalogue (%s: %s); using the directory file's",
                        type(exc).__name__, exc)
            return self.fallback, "directory file"

    def start(self):
        self.container.spawn_managed_thread(self.first_fetch, identifier="catalogue.first_fetch")

    def first_fetch(self):
        with self.lock:
            if self.cached is None:
                self.refresh()

    def refresh(self):
        entries, source = self.fetch()
        self.cached, self.source, self.fetched_at = entries, source, time.monotonic()
        self.refreshing = False

    def entries(self):
        """The catalogue now; a stale one is refreshed in the background, so no
        request waits for routing except the very first, before ``start`` has it."""
        if self.cached is None:
            self.first_fetch()
            return self.cached
        # The file's catalogue is a stopgap: ask routing again sooner.
        ttl = self.ttl if self.source == "routing" else min(self.ttl, 30.0)
        if time.monotonic() - self.fetched_at > ttl and not self.refreshing:
            self.refreshing = True
            self.container.spawn_managed_thread(self.refresh, identifier="catalogue.refresh")
        return self.cached

    def get_dependency(self, worker_ctx):
        return self
