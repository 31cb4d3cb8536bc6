"""Making the races a real MongoDB has happen on the in-memory store.

mongomock runs every operation to the end without yielding, so two workers
never meet between a read and the write that depends on it, and an upsert is
never two steps. MongoDB is not like that:

* an upsert first looks for a match and then inserts; two upserts of the
  same new key can both miss and both insert, and the second gets
  ``DuplicateKeyError`` (MongoDB retries that itself only when the filter is
  nothing but equality on the unique key, which ours never are);
* between a ``find`` and an ``update`` another client's write can land.

``RacyCollection`` wraps a collection so that both happen: an upsert that
finds no match yields to other green threads before it inserts (and the
insert fails, as MongoDB's would, if the key exists by then), every read
yields after it answers (``find_one``), and the writes named in
``yield_before`` yield before they write. ``run_together`` starts workers at once, so each
reaches its yield point before any goes on.
"""
import eventlet
from pymongo.errors import DuplicateKeyError


def pause():
    eventlet.sleep(0)


class RacyCollection:
    """A collection whose reads and upserts let other green threads in.

    ``key``: the fields of the unique index an upsert's insert collides on.
    """

    def __init__(self, collection, key=("_id",), yield_before=()):
        self._inner = collection
        self._key = key
        self._yield_before = set(yield_before)

    def __getattr__(self, name):
        attribute = getattr(self._inner, name)
        if name in self._yield_before:
            def after_a_pause(*args, **kwargs):
                pause()  # let the other workers reach the same write first
                return attribute(*args, **kwargs)
            return after_a_pause
        return attribute

    def _key_of(self, filter):
        key = {}
        for field in self._key:
            value = filter.get(field)
            if value is None or isinstance(value, dict):
                return None
            key[field] = value
        return key

    def _insert_part(self, call, filter, update, kwargs):
        """The insert half of an upsert, after the match half found nothing."""
        pause()
        key = self._key_of(filter)
        if key is not None and self._inner.find_one(key, {"_id": 1}) is not None:
            raise DuplicateKeyError("E11000 duplicate key error (two upserts raced)", 11000)
        return call(filter, update, upsert=True, **kwargs)

    def update_one(self, filter, update, upsert=False, **kwargs):
        if not upsert:
            return self._inner.update_one(filter, update, **kwargs)
        result = self._inner.update_one(filter, update, **kwargs)
        if result.matched_count:
            return result
        return self._insert_part(self._inner.update_one, filter, update, kwargs)

    def find_one_and_update(self, filter, update, upsert=False, **kwargs):
        if not upsert:
            return self._inner.find_one_and_update(filter, update, **kwargs)
        if self._inner.find_one(filter, {"_id": 1}) is not None:
            return self._inner.find_one_and_update(filter, update, **kwargs)
        return self._insert_part(self._inner.find_one_and_update, filter, update, kwargs)

    def find_one(self, *args, **kwargs):
        found = self._inner.find_one(*args, **kwargs)
        pause()
        return found


def run_together(*calls):
    """Run each call in its own green thread, started together; their results."""
    threads = [eventlet.spawn(call) for call in calls]
    return [thread.wait() for thread in threads]
