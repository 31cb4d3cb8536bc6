"""Slowing a guesser down without locking the owner out.

A limit on an account or a ticket number alone lets a stranger lock its owner
out: ten wrong guesses and the right answer waits too. Failures are counted
here per *pair* -- what is guessed (a login, a ticket number) and who guesses
(a signed device, else a client address) -- and the pair waits longer after
each failure past ``free`` ones: ``base`` seconds, then twice as long each
time, never more than ``cap``. The owner, asking from a client of their own,
is another pair and does not wait. A success forgets the pair's failures; so
does ``forget`` without a failure.

``FailureCounter`` keeps the pairs in one collection of the service's own
store (``{_id: key, count, until, expire_at}``, a TTL index drops forgotten
ones), written with single-document atomic updates, so every instance counts
together. Keys that stand for personal data are keyed digests
(``shared.platform.privacy.digest``), never the data itself.
"""
import datetime as dt
import math
from dataclasses import dataclass

from pymongo import ReturnDocument


@dataclass(frozen=True)
class Slowdown:
    free: int = 5                                   # failures of a pair before any wait
    base: float = 1.0                               # seconds to wait after the first failure past ``free``
    cap: float = 900.0                              # the longest wait
    forget: dt.timedelta = dt.timedelta(hours=24)   # failures forgotten this long after the last

    def wait_after(self, failures):
        """Seconds a pair waits after its ``failures``-th failure in a row."""
        if failures <= self.free:
            return 0.0
        return min(self.cap, self.base * 2 ** min(failures - self.free - 1, 60))

    @classmethod
    def from_config(cls, section, **defaults):
        s = dict(defaults, **{k: v for k, v in (section or {}).items() if v not in (None, "")})
        made = cls()
        return cls(free=int(s.get("free", made.free)), base=float(s.get("base_seconds", made.base)),
                   cap=float(s.get("cap_seconds", made.cap)),
                   forget=dt.timedelta(hours=float(s.get("forget_hours", made.forget.total_seconds() / 3600))))


def seconds_until(until, now):
    """Whole seconds from ``now`` to ``until`` (at least 1), or 0 when passed."""
    if until is None:
        return 0
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    left = (until - now).total_seconds()
    return max(1, math.ceil(left)) if left > 0 else 0


class FailureCounter:
    """Failures per pair in ``collection``, under ``policy`` (a ``Slowdown``)."""

    def __init__(self, collection, policy=None):
        self.collection = collection
        self.policy = policy or Slowdown()

    def ensure_indexes(self):
        self.collection.create_index("expire_at", expireAfterSeconds=0)

    def _live(self, key, now):
        found = self.collection.find_one({"_id": key})
        if found is None:
            return None
        expire_at = found.get("expire_at")
        if expire_at is not None and expire_at.replace(tzinfo=expire_at.tzinfo or dt.UTC) <= now:
            return None  # forgotten; the TTL monitor (or the next failure) removes it
        return found

    def failures(self, key, now):
        found = self._live(key, now)
        return int(found["count"]) if found else 0

    def wait(self, key, now):
        """Seconds ``key`` must still wait before it may try again (0: it may)."""
        found = self._live(key, now)
        return seconds_until(found.get("until"), now) if found else 0

    def forgotten_in(self, key, now):
        """Seconds until ``key``'s failures are forgotten (0: they are)."""
        found = self._live(key, now)
        return seconds_until(found.get("expire_at"), now) if found else 0

    def fail(self, key, now, **fields):
        """Count one more failure of ``key``: ``(failures, seconds it now waits)``."""
        self.collection.delete_one({"_id": key, "expire_at": {"$lte": now}})
        found = self.collection.find_one_and_update(
            {"_id": key}, {"$inc": {"count": 1}, "$set": dict(fields, last_at=now, expire_at=now + self.policy.forget)},
            upsert=True, return_document=ReturnDocument.AFTER)
        count = int(found["count"])
        wait = self.policy.wait_after(count)
        if wait:
            until = now + dt.timedelta(seconds=wait)
            self.collection.update_one({"_id": key}, {"$max": {"until": until}})
            return count, seconds_until(until, now)
        return count, 0

    def succeed(self, key):
        """Forget ``key``'s failures; the record forgotten (``None`` if there was none)."""
        return self.collection.find_one_and_delete({"_id": key})

    def forget_where(self, query):
        """Forget every pair matching ``query`` (an administrator's reset); how many."""
        return self.collection.delete_many(query).deleted_count
