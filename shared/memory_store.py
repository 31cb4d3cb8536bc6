"""The in-memory store: mongomock, taught to use its indexes for equality.

mongomock answers every query by scanning every document, so its cost grows
with the data, and a benchmark against it measures the fake, not the service.
A real MongoDB answers ``{"number": N}`` from the unique index on ``number``
and ``{"_id": X}`` from the ``_id`` index. This module gives mongomock the
same for those two shapes only -- a top-level equality on ``_id`` or on the
single field of a unique index -- and leaves every other query to mongomock's
scan. Candidates from the index are still checked with mongomock's own
``filter_applies``, so the rest of the filter keeps its meaning.

The index maps values of unique fields to document ids, updated whenever
mongomock stores a document. It assumes, as this project's code does, that a
unique field's value is never changed in place by an update; with
``HOTLINE_MEMORY_STORE_CHECK=1`` (set by the test suite) every indexed answer
is compared with a full scan and a difference raises.
"""
import contextlib
import os
from collections.abc import Hashable

import mongomock
from mongomock import helpers
from mongomock import store as mongomock_store
from mongomock.collection import Collection
from mongomock.filtering import filter_applies
from pymongo.errors import DuplicateKeyError, OperationFailure

_INDEX_ATTR = "_hotline_unique_index"


def _plain(value):
    return value is not None and isinstance(value, Hashable) and not isinstance(value, (dict, list, tuple))


def _has(doc, dotted):
    try:
        helpers.get_value_by_dot(doc, dotted)
        return True
    except KeyError:
        return False


def _index_document(store, doc_id, doc):
    indexes = store.__dict__.get(_INDEX_ATTR)
    if not indexes:
        return
    for field, index in indexes.items():
        value = doc.get(field)
        if _plain(value):
            index.setdefault(value, set()).add(doc_id)


_original_setitem = mongomock_store.CollectionStore.__setitem__


def _setitem(self, key, val):
    _original_setitem(self, key, val)
    _index_document(self, key, val)


class IndexedCollection(Collection):
    """A mongomock collection that looks up unique fields and ``_id`` by hash."""

    def _unique_fields(self):
        fields = []
        for spec in self._store.indexes.values():
            keys = spec.get("key") or []
            if spec.get("unique") and len(keys) == 1 and "." not in keys[0][0] \
                    and not spec.get("partialFilterExpression"):
                fields.append(keys[0][0])
        return fields

    def _field_index(self, field):
        indexes = self._store.__dict__.setdefault(_INDEX_ATTR, {})
        if field not in indexes:
            index = {}
            for doc_id, doc in list(self._store._documents.items()):
                value = doc.get(field)
                if _plain(value):
                    index.setdefault(value, set()).add(doc_id)
            indexes[field] = index
        return indexes[field]

    def _candidates(self, filter):
        if not isinstance(filter, dict):
            return None
        documents = self._store._documents
        doc_id = filter.get("_id")
        if _plain(doc_id):
            doc = documents.get(doc_id)
            return [] if doc is None else [doc]
        for field in self._unique_fields():
            value = filter.get(field)
            if _plain(value):
                ids = [i for i in list(self._field_index(field).get(value, ())) if i in documents]
                if len(ids) > 1:  # only while a duplicate insert is being rolled back
                    return [doc for doc_id, doc in list(documents.items()) if doc_id in ids]
                return [documents[i] for i in ids]
        return None

    def create_index(self, key_or_list, cache_for=300, session=None, **kwargs):
        """As mongomock's, but a partial unique index checks only the documents it covers.

        mongomock checks existing documents against a new unique index while
        ignoring ``partialFilterExpression``, so re-creating such an index over
        data it rightly excludes fails (as MongoDB would not), e.g. when a
        service restarts on a store that outlived it.
        """
        partial = kwargs.get("partialFilterExpression")
        if not (kwargs.get("unique") and partial) or kwargs.get("sparse"):
            return super().create_index(key_or_list, cache_for, session=session, **kwargs)
        index_list = helpers.create_index_list(key_or_list)
        name = kwargs.get("name") or helpers.gen_index_name(index_list)
        spec = {"key": index_list, "unique": True, "partialFilterExpression": partial}
        existing = self._store.indexes.get(name)
        if existing and existing != spec:
            raise OperationFailure(f"Index with name: {name} already exists with different options")
        seen = set()
        for doc in list(self._store._documents.values()):
            if filter_applies(partial, doc):
                key = repr([helpers.get_value_by_dot(doc, k) if _has(doc, k) else None
                            for k, _ in index_list])
                if key in seen:
                    raise DuplicateKeyError("E11000 Duplicate Key Error", 11000)
                seen.add(key)
        self._store.create_index(name, spec)
        return name

    def _iter_documents(self, filter):
        candidates = self._candidates(filter)
        if candidates is None:
            return super()._iter_documents(filter)
        found = [doc for doc in candidates if filter_applies(filter, doc)]
        if os.environ.get("HOTLINE_MEMORY_STORE_CHECK") == "1":
            scanned = list(super()._iter_documents(filter))
            if [d["_id"] for d in scanned] != [d["_id"] for d in found]:
                raise AssertionError(f"memory store index disagrees with a scan for {filter!r}")
        return iter(found)


class _NoLock:
    """Stands in for mongomock's reader/writer lock under eventlet (see ``install``)."""

    @contextlib.contextmanager
    def reader(self):
        yield

    writer = reader


_original_store_init = mongomock_store.CollectionStore.__init__


def _store_init(self, *args, **kwargs):
    _original_store_init(self, *args, **kwargs)
    if eventlet_patched():
        self._rwlock = _NoLock()


def eventlet_patched():
    try:
        from eventlet import patcher
    except ImportError:
        return False
    return patcher.is_monkey_patched("thread")


def install():
    """Make every mongomock collection in this process an indexed one (idempotent).

    Under eventlet (every service), mongomock's reader/writer lock is also
    replaced by a no-op: all store access is on one OS thread, and a mongomock
    operation does no I/O, so no other greenlet can run inside one. The lock
    only added a way to hang: a worker killed while holding it (as when a
    service's container is killed abruptly) left it held for every later
    caller, including the fresh container started on the same store.
    """
    mongomock_store.CollectionStore.__setitem__ = _setitem
    mongomock_store.CollectionStore.__init__ = _store_init
    mongomock.database.Collection = IndexedCollection


def client():
    install()
    return mongomock.MongoClient(tz_aware=True)
