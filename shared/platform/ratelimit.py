"""Rate limits kept in the service's own store, so every instance counts together.

``limits`` (the library behind Flask-Limiter) parses limits such as
``10/minute;100/day`` and runs the fixed-window strategy; its storage here
is a collection of the service's database (``rate_limits``), written with
plain conditional updates that MongoDB applies atomically per document and
that the in-memory store runs too. A TTL index removes spent windows.

Limits are named in config (``RATE_LIMITS``)::

    RATE_LIMITS:
      client: 120/minute;3000/hour   # every public route, per client address
      submit: 10/minute;100/day      # new tickets, per client address

``Limiter.hit(name, identity)`` counts one request and returns ``None`` or
the seconds until the identity may try again (for ``Retry-After``);
``refund(name, identity)`` gives a counted request back, so a request the
door refuses (4xx) does not spend the quota of those it would accept, and
``exhausted(name, identity)`` tells without counting. An
identity that is personal data (a phone number) is passed as a keyed digest
(``shared.platform.privacy.digest``), never as itself.
"""
import datetime as dt
import logging
import math
import time

from limits import parse_many
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.platform.slowdown import FailureCounter, Slowdown

log = logging.getLogger(__name__)

COLLECTION = "rate_limits"
FAILURES = "failures"  # failures per pair, for the slowdowns (shared.platform.slowdown)


class StoreCounters(Storage):
    """``limits`` storage over one collection: ``{_id: key, count, expire_at}``."""

    STORAGE_SCHEME = None

    def __init__(self, collection):
        super().__init__()
        self.collection = collection

    @property
    def base_exceptions(self):
        return PyMongoError

    def incr(self, key, expiry, amount=1):
        now = dt.datetime.now(dt.UTC)
        for _ in range(5):
            found = self.collection.find_one_and_update(
                {"_id": key, "expire_at": {"$gt": now}}, {"$inc": {"count": amount}},
                return_document=ReturnDocument.AFTER)
            if found:
                return int(found["count"])
            # No live window: start one, unless another instance just did (then count in it).
            try:
                started = self.collection.find_one_and_update(
                    {"_id": key, "$or": [{"expire_at": {"$lte": now}}, {"expire_at": {"$exists": False}}]},
                    {"$set": {"count": amount, "expire_at": now + dt.timedelta(seconds=expiry)}},
                    upsert=True, return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                continue
            return int(started["count"])
        raise PyMongoError(f"rate-limit window {key} kept changing")

    def get(self, key):
        found = self.collection.find_one({"_id": key, "expire_at": {"$gt": dt.datetime.now(dt.UTC)}})
        return int(found["count"]) if found else 0

    def get_expiry(self, key):
        found = self.collection.find_one({"_id": key})
        if not found:
            return time.time()
        expire_at = found["expire_at"]
        if expire_at.tzinfo is None:
            expire_at = expire_at.replace(tzinfo=dt.UTC)
        return expire_at.timestamp()

    def check(self):
        try:
            self.collection.find_one({})
            return True
        except PyMongoError:
            return False

    def reset(self):
        return self.collection.delete_many({}).deleted_count

    def clear(self, key):
        self.collection.delete_one({"_id": key})


def parse_settings(settings):
    """``{name: "10/minute;100/day"}`` -> ``{name: [RateLimitItem]}``; empty means no limit."""
    parsed = {}
    for name, text in (settings or {}).items():
        text = str(text or "").strip()
        parsed[name] = parse_many(text) if text and text.lower() != "none" else []
    return parsed


class Limiter:
    def __init__(self, collection, settings, failures=None, slowdowns=None):
        self.collection = collection
        self.limits = parse_settings(settings)
        self.strategy = FixedWindowRateLimiter(StoreCounters(collection))
        self.failures = failures
        self.slowdowns = dict(slowdowns or {})

    def ensure_indexes(self):
        self.collection.create_index("expire_at", expireAfterSeconds=0)
        if self.failures is not None:
            FailureCounter(self.failures).ensure_indexes()

    def pairs(self, name):
        """The ``FailureCounter`` of slowdown ``name`` (config ``SLOWDOWNS``; see ``shared.platform.slowdown``)."""
        return FailureCounter(self.failures, Slowdown.from_config(self.slowdowns.get(name)))

    def setting(self, name, key, default):
        return (self.slowdowns.get(name) or {}).get(key) or default

    def hit(self, name, identity):
        """Count a request of ``identity`` against limit ``name``; ``None`` or seconds to wait.

        With the store unreachable the request is let through (and logged):
        the limits protect the service, they must not stop it.
        """
        return self._wait(name, identity, self.strategy.hit)

    def exhausted(self, name, identity):
        """Seconds to wait when ``identity`` has no request left under ``name``, without counting one."""
        return self._wait(name, identity, self.strategy.test)

    def _wait(self, name, identity, check):
        """Seconds until ``identity`` may pass every limit of ``name`` (``check``: the
        strategy's ``hit``, which counts, or ``test``, which does not); ``None`` to pass."""
        wait = 0.0
        try:
            for item in self.limits.get(name) or []:
                if not check(item, name, str(identity)):
                    reset = self.strategy.get_window_stats(item, name, str(identity)).reset_time
                    wait = max(wait, reset - time.time(), 1.0)
        except PyMongoError as exc:
            log.warning("rate limit %s not checked, the store did not answer: %r", name, exc)
            return None
        return math.ceil(wait) if wait else None

    def refund(self, name, identity):
        """Give back one request counted by ``hit`` (never below zero, only in a live window)."""
        now = dt.datetime.now(dt.UTC)
        try:
            for item in self.limits.get(name) or []:
                self.collection.update_one(
                    {"_id": item.key_for(name, str(identity)), "expire_at": {"$gt": now}, "count": {"$gt": 0}},
                    {"$inc": {"count": -1}})
        except PyMongoError as exc:
            log.warning("rate limit %s not refunded, the store did not answer: %r", name, exc)


def limiter_for(config, service_name):
    from shared.platform.mongo import database_for

    database = database_for(config, service_name)
    return Limiter(database[COLLECTION], config.get("RATE_LIMITS") or {}, database[FAILURES],
                   config.get("SLOWDOWNS") or {})


class RateLimits(DependencyProvider):
    """Hand workers the service's ``Limiter`` (``self.limits.hit("phone", digest)``)."""

    def setup(self):
        self.limiter = limiter_for(self.container.config, self.container.service_name)

    def start(self):
        self.limiter.ensure_indexes()

    def get_dependency(self, worker_ctx):
        return self.limiter
