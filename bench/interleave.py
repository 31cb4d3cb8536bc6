"""A store that switches green threads inside every handler, as a real one does.

The in-memory store (mongomock) never yields: a handler's read and the
write that depends on it run as one step, so two instances of a service
never interleave there and a race stays hidden. Within
``interleaving_store()`` every collection call first yields to the other
green threads (``eventlet.sleep(0)``), as a round trip to MongoDB would;
a call made inside another (mongomock's own) does not, so each call stays
atomic, as MongoDB's single-document operations are.
"""
import contextlib

import eventlet
from eventlet import corolocal

YIELDING = ("find", "find_one", "find_one_and_update", "update_one", "update_many", "insert_one",
            "insert_many", "count_documents", "aggregate", "delete_one", "delete_many")


@contextlib.contextmanager
def interleaving_store():
    """Every in-memory store call yields to the other green threads first."""
    from shared.platform.memory_store import IndexedCollection

    inside = corolocal.local()  # a call made by another store call must not yield: each stays atomic
    saved = {}
    for name in YIELDING:
        original = getattr(IndexedCollection, name)
        saved[name] = IndexedCollection.__dict__.get(name)

        def yielding(self, *args, _original=original, **kwargs):
            if getattr(inside, "depth", 0):
                return _original(self, *args, **kwargs)
            eventlet.sleep(0)
            inside.depth = 1
            try:
                return _original(self, *args, **kwargs)
            finally:
                inside.depth = 0
        setattr(IndexedCollection, name, yielding)
    try:
        yield
    finally:
        for name, method in saved.items():
            if method is None:
                delattr(IndexedCollection, name)
            else:
                setattr(IndexedCollection, name, method)
