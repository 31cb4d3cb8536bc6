"""MongoDB for nameko services: one client per container, one repository.

``Store(Repository)`` reads ``MONGO_URI`` in ``setup()`` -- never at import
-- and hands every worker the same repository object, built over the
service's own database ``<MONGO_DB_PREFIX><service name>``::

    class IntakeService:
        name = "intake"
        tickets = Store(TicketRepository)

``mongodb://...`` (or ``mongodb+srv://``) connects with pymongo.
``memory://[NAME]`` is the explicit in-memory mode, backed by mongomock (answering
from the declared indexes, see ``shared.platform.memory_store``; how it differs from
MongoDB: docs/in-memory-store.md): one store per NAME per process, gone when the
process stops. It exists for machines without a MongoDB server and says so loudly.

A repository is a plain class taking ``(database, config)`` with domain verbs
and an ``ensure_indexes()`` method, called once when the container starts.
"""
import logging

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

MEMORY_SCHEME = "memory://"
_memory_clients: dict[str, object] = {}


def describe(uri):
    """Name the store a URI points at, without its credentials."""
    if uri.startswith(MEMORY_SCHEME):
        return "in-memory store (mongomock; data lost on restart)"
    host = uri.split("@")[-1].split("/")[0].split("?")[0]
    return f"MongoDB at {host}"


def connect(uri):
    """A pymongo-shaped client for ``uri`` (timezone-aware datetimes)."""
    if uri.startswith(MEMORY_SCHEME):
        client = _memory_clients.get(uri)
        if client is None:
            from shared.platform import memory_store

            log.warning(
                "*** MONGO_URI=%s: using the IN-MEMORY store. Every ticket, case "
                "and deadline is LOST when this process stops. Set MONGO_URI="
                "mongodb://... for anything but development and tests. ***", uri)
            client = _memory_clients[uri] = memory_store.client()
        return client
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        import pymongo

        return pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    raise ValueError(f"MONGO_URI must start with mongodb:// or {MEMORY_SCHEME}, got {uri!r}")


def index_names(database, collections=None):
    """``{collection: {index name, ...}}`` for ``collections`` (default: all of them)."""
    names = database.list_collection_names() if collections is None else collections
    return {name: set(database[name].index_information()) for name in names}


def database_for(config, service_name):
    uri = config.get("MONGO_URI") or MEMORY_SCHEME
    prefix = config.get("MONGO_DB_PREFIX", "hotline_")
    return connect(uri)[f"{prefix}{service_name}"]


class Store(DependencyProvider):
    """Give each worker the service's repository over its own database."""

    def __init__(self, repository_cls, **options):
        self.repository_cls = repository_cls
        self.options = options
        self.repository = None
        self.database = None
        self.expected_indexes = None  # what ensure_indexes() left, for readiness

    def setup(self):
        config = self.container.config
        uri = config.get("MONGO_URI") or MEMORY_SCHEME
        if uri.startswith(MEMORY_SCHEME) and config.get("HOTLINE_ENV") == "production":
            raise RuntimeError("HOTLINE_ENV=production refuses the in-memory store: "
                               "set MONGO_URI=mongodb://...")
        log.info("%s keeps its data in %s", self.container.service_name, describe(uri))
        self.database = database_for(config, self.container.service_name)
        self.repository = self.repository_cls(self.database, config, **self.options)

    def start(self):
        self.repository.ensure_indexes()
        self.expected_indexes = index_names(self.database)

    def get_dependency(self, worker_ctx):
        return self.repository
