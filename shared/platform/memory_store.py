"""The in-memory store (``MONGO_URI=memory://``): mongomock 4.3.0, with MongoDB's indexes and limits.

Why mongomock 4.3.0 (its latest release) rather than a fork or another engine, what
each addition below is for, and every difference from MongoDB that remains, each with
its test: docs/in-memory-store.md. Each addition is kept only where no release or
public API of mongomock does the same.

**Indexes.** mongomock answers every query, and checks every unique index on
every write, by scanning every document, so its cost grows with the data and a
benchmark against it measures the fake, not the service. MongoDB answers from the
indexes the repositories declare. This module gives mongomock the same, for the
query shapes MongoDB can use an index for:

* equality (a plain value, ``$eq``, ``$in``) on a field an index can use, and
* a range (``$gt``/``$gte``/``$lt``/``$lte``) on one,

where, as in MongoDB, a field of a compound index can be used only when every
field before it in the index is given by equality; ``_id`` is always
indexed. Conditions inside ``$and`` count too. The candidates of every
usable condition are intersected (as a compound index's entries would narrow
them), and every candidate is still checked with mongomock's own
``filter_applies``, so the rest of the filter keeps its meaning and an index
only ever narrows the scan. Queries no declared index serves still scan, as a
real MongoDB's would (a missing index stays visible).

Array values are indexed element by element (multikey), a missing field as
null. The indexes are kept up to date on every insert, update, delete and
rollback. With ``HOTLINE_MEMORY_STORE_CHECK=1`` (set by the test suite) every
indexed answer is compared with a full scan and a difference raises.

**MongoDB's refusals.** Like MongoDB, it refuses a document over 16 MB
(``MAX_DOCUMENT_BYTES``): inserting one raises pymongo's ``DocumentTooLarge``, an
update that would grow one past the limit raises ``WriteError`` (code 17419) and
leaves it as it was; an update pymongo could not encode changes nothing. A
partial unique index checks only the documents it covers, also when it is
declared again over existing data.
"""
import contextlib
import itertools
import os
import uuid
from datetime import UTC, datetime, timedelta

import bson
import mongomock
from bson import ObjectId
from mongomock import aggregate as mongomock_aggregate
from mongomock import helpers
from mongomock import store as mongomock_store
from mongomock.collection import Collection
from mongomock.filtering import filter_applies, iter_key_candidates
from pymongo.errors import DocumentTooLarge, DuplicateKeyError, OperationFailure, WriteError
from sentinels import NOTHING
from sortedcontainers import SortedList

_STATE_ATTR = "_hotline_indexes"
_RANGE_OPS = ("$gt", "$gte", "$lt", "$lte")
_MS = timedelta(milliseconds=1)
_EMPTY: frozenset[object] = frozenset()
# A range is intersected with the best candidates only while listing it costs less
# than checking the extra candidates with filter_applies would.
_RANGE_INTERSECT_FACTOR = 32
_EQUALITY_TYPES = (str, int, float, ObjectId, uuid.UUID)  # bool is an int
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # MongoDB's BSON document limit
TOO_LARGE_AFTER_UPDATE = 17419         # MongoDB's error code for an update past it
_OBJECT_ID_FIELD_BYTES = 17            # "_id": ObjectId(...), as mongomock adds it to an insert


class _TooLarge(DuplicateKeyError):
    """An update grew a document past the limit. mongomock changes a document in place
    and undoes the change only for a duplicate key, so this is one (raised from
    ``_ensure_uniques``, which it calls after each change); ``_update`` turns it into
    MongoDB's own error before it leaves the collection."""

    def __init__(self, size):
        super().__init__(f"document of {size} bytes is over the {MAX_DOCUMENT_BYTES}-byte limit", 10334)
        self.size = size


def _has(doc, dotted):
    try:
        helpers.get_value_by_dot(doc, dotted)
        return True
    except KeyError:
        return False


def _equality_key(value):
    """The hash key of a value for equality lookups, or raises TypeError.

    Only plain scalars: a regular expression, a date or a sub-document is
    matched by rules a hash cannot follow, so such a query scans.
    """
    if value is None or isinstance(value, _EQUALITY_TYPES):
        return value
    raise TypeError("not indexed for equality")


def _range_key(value):
    """``(type class, comparable value)`` for range lookups, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "number", value
    if isinstance(value, str):
        return "string", value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return "date", value
    return None


def _values(doc, field):
    """The values ``doc`` holds at ``field``, arrays unwound; ``[None]`` when missing."""
    found = []
    for value in iter_key_candidates(field, doc):
        if isinstance(value, list):
            found.extend(value)
        else:
            found.append(None if value is NOTHING else value)
    return found or [None]


class FieldIndex:
    """One field's values -> document sequence numbers: a hash for equality,
    sorted lists (one per type class) for ranges."""

    def __init__(self, field):
        self.field = field
        self.equal = {}
        self.ranges = {}
        self.of_doc = {}

    def keys_of(self, doc):
        keys = set()
        for value in _values(doc, self.field):
            try:
                keys.add(("eq", _equality_key(value)))
            except TypeError:
                pass
            ranged = _range_key(value)
            if ranged is not None:
                keys.add(("range", ranged))
        return frozenset(keys)

    def put(self, seq, doc):
        keys = self.keys_of(doc)
        old = self.of_doc.get(seq)
        if old == keys:
            return
        if old:
            self._remove(seq, old)
        for kind, key in keys:
            if kind == "eq":
                self.equal.setdefault(key, set()).add(seq)
            else:
                self.ranges.setdefault(key[0], SortedList()).add((key[1], seq))
        self.of_doc[seq] = keys

    def remove(self, seq):
        old = self.of_doc.pop(seq, None)
        if old:
            self._remove(seq, old)

    def _remove(self, seq, keys):
        for kind, key in keys:
            if kind == "eq":
                seqs = self.equal.get(key)
                if seqs is not None:
                    seqs.discard(seq)
                    if not seqs:
                        del self.equal[key]
            else:
                self.ranges[key[0]].discard((key[1], seq))

    def lookup_equal(self, values):
        """Sequence numbers holding any of ``values`` (the index's own set for one value:
        callers must not change it)."""
        if len(values) == 1:
            return self.equal.get(values[0], _EMPTY)
        found = set()
        for value in values:
            found |= self.equal.get(value, _EMPTY)
        return found

    def lookup_range(self, kind, low, high):
        """``(count, materialize)``: how many values of ``kind`` lie in ``[low, high]``
        (either may be None), and a function giving their sequence numbers."""
        values = self.ranges.get(kind)
        if not values:
            return 0, frozenset
        if kind == "date":
            low = low - _MS if low is not None else None  # stored dates are cut to milliseconds
            high = high + _MS if high is not None else None
        start = values.bisect_left((low,)) if low is not None else 0
        stop = values.bisect_right((high, float("inf"))) if high is not None else len(values)
        return max(0, stop - start), lambda: {seq for _, seq in values.islice(start, stop)}


class StoreIndexes:
    """The field indexes of one mongomock collection store, and each document's
    insertion sequence (mongomock scans in insertion order; indexed answers keep it)."""

    def __init__(self):
        self.seq_of = {}
        self.id_of = {}
        self.fields = {}
        self.counter = itertools.count()

    def stored(self, doc_id, doc):
        seq = self.seq_of.get(doc_id)
        if seq is None:
            seq = self.seq_of[doc_id] = next(self.counter)
            self.id_of[seq] = doc_id
        for index in self.fields.values():
            index.put(seq, doc)

    def deleted(self, doc_id):
        seq = self.seq_of.pop(doc_id, None)
        if seq is None:
            return
        del self.id_of[seq]
        for index in self.fields.values():
            index.remove(seq)

    def field(self, name, documents):
        index = self.fields.get(name)
        if index is None:
            index = self.fields[name] = FieldIndex(name)
            for doc_id, doc in list(documents.items()):  # every document has its seq (_state)
                index.put(self.seq_of[doc_id], doc)
        return index


def _state(store):
    state = store.__dict__.get(_STATE_ATTR)
    if state is None:
        state = store.__dict__[_STATE_ATTR] = StoreIndexes()
        for doc_id, doc in list(store._documents.items()):
            state.stored(doc_id, doc)
    return state


# mongomock writes every document through its store's __setitem__/__delitem__ and
# empties a dropped collection in drop(): the indexes follow those three.
_original_setitem = mongomock_store.CollectionStore.__setitem__
_original_delitem = mongomock_store.CollectionStore.__delitem__
_original_drop = mongomock_store.CollectionStore.drop


def _setitem(self, key, val):
    _original_setitem(self, key, val)
    state = self.__dict__.get(_STATE_ATTR)
    if state is not None:
        state.stored(key, val)


def _delitem(self, key):
    _original_delitem(self, key)
    state = self.__dict__.get(_STATE_ATTR)
    if state is not None:
        state.deleted(key)


def _drop(self):
    _original_drop(self)
    self.__dict__.pop(_STATE_ATTR, None)


def _conditions(filter):
    """``[(field, condition)]`` of the top-level conjunction, ``$and`` unwound."""
    found = []
    for key, value in filter.items():
        if key == "$and" and isinstance(value, list):
            for part in value:
                if isinstance(part, dict):
                    found.extend(_conditions(part))
        elif not key.startswith("$"):
            found.append((key, value))
    return found


def _as_lookup(condition):
    """``("eq", [keys])``, ``("range", kind, low, high)`` or None for a condition."""
    if isinstance(condition, dict):
        if not condition or not all(k.startswith("$") for k in condition):
            return None
        try:
            if "$eq" in condition:
                return "eq", [_equality_key(condition["$eq"])]
            if "$in" in condition and isinstance(condition["$in"], list):
                return "eq", [_equality_key(v) for v in condition["$in"]]
        except TypeError:
            return None
        bounds = {op: _range_key(condition[op]) for op in _RANGE_OPS if op in condition}
        if not bounds or None in bounds.values() or len({b[0] for b in bounds.values()}) != 1:
            return None
        kind = next(iter(bounds.values()))[0]
        lows = [b[1] for op, b in bounds.items() if op in ("$gt", "$gte")]
        highs = [b[1] for op, b in bounds.items() if op in ("$lt", "$lte")]
        return "range", kind, max(lows) if lows else None, min(highs) if highs else None
    try:
        return "eq", [_equality_key(condition)]
    except TypeError:
        return None


def _usable_fields(index_specs, lookups):
    """The fields a declared index lets a query with ``lookups`` use (MongoDB's prefix rule)."""
    usable = {"_id"}
    for spec in index_specs:
        for field, _ in spec.get("key") or []:
            lookup = lookups.get(field)
            if lookup is None:
                break
            usable.add(field)
            if lookup[0] != "eq":
                break
    return usable


class IndexedCollection(Collection):
    """A mongomock collection that answers from the indexes it declares."""

    def _candidates(self, filter):
        if not isinstance(filter, dict) or not filter:
            return None
        lookups = {}
        for field, condition in _conditions(filter):
            lookup = _as_lookup(condition)
            if lookup is not None and field not in lookups:
                lookups[field] = lookup
        if not lookups:
            return None
        # As mongomock's scan does first: documents past a TTL index's time go (MongoDB's
        # monitor removes them within a minute; docs/in-memory-store.md).
        self._store._remove_expired_documents()
        usable = _usable_fields(self._store.indexes.values(), lookups)
        documents = self._store._documents
        state = _state(self._store)
        plans = []  # (how many candidates, a hash set already?, the candidates)
        for field in usable & lookups.keys():
            lookup = lookups[field]
            if field == "_id" and lookup[0] == "eq":
                seqs = {state.seq_of[v] for v in lookup[1] if v in state.seq_of}
                plans.append((len(seqs), True, seqs))
                continue
            index = state.field(field, documents)
            if lookup[0] == "eq":
                seqs = index.lookup_equal(lookup[1])
                plans.append((len(seqs), True, seqs))
            else:
                count, materialize = index.lookup_range(*lookup[1:])
                plans.append((count, False, materialize))
        if not plans:
            return None
        # The fields of a compound index narrow each other, as its entries would.
        plans.sort(key=lambda plan: plan[0])
        _, is_set, first = plans[0]
        best = first if is_set else first()
        for count, is_set, seqs in plans[1:]:
            if not best:
                break
            if is_set:
                best = best & seqs
            elif count <= _RANGE_INTERSECT_FACTOR * len(best):
                best = best & seqs()
        ids = (state.id_of[seq] for seq in sorted(best))
        return [documents[doc_id] for doc_id in ids if doc_id in documents]

    def create_index(self, key_or_list, cache_for=300, session=None, **kwargs):
        """As mongomock's, and the index's fields are indexed from now on (as MongoDB
        builds an index when it is created, and keeps it on every write).

        A partial unique index checks only the documents it covers: mongomock 4.3.0
        checks existing documents against a new unique index while ignoring
        ``partialFilterExpression``, so re-creating such an index over data it
        rightly excludes fails (as MongoDB would not), e.g. when a service
        restarts on a store that outlived it. (mongomock-ng fixes this; why it is
        not used: docs/in-memory-store.md.)
        """
        name = self._create_index(key_or_list, cache_for, session=session, **kwargs)
        state = _state(self._store)
        for field, _ in helpers.create_index_list(key_or_list):
            state.field(field, self._store._documents)
        return name

    def _create_index(self, key_or_list, cache_for=300, session=None, **kwargs):
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

    def _insert(self, data, session=None, ordered=True):
        # pymongo refuses a document over the limit before sending it (mongomock stores any
        # size); mongomock itself refuses one BSON cannot encode before storing it.
        if isinstance(data, dict):
            size = len(bson.encode(data)) + (0 if "_id" in data else _OBJECT_ID_FIELD_BYTES)
            if size > MAX_DOCUMENT_BYTES:
                raise DocumentTooLarge(f"BSON document too large ({size} bytes) - the connected server "
                                       f"supports BSON document sizes up to {MAX_DOCUMENT_BYTES} bytes.")
        return super()._insert(data, session, ordered)

    def _update(self, spec, document, *args, **kwargs):
        # pymongo encodes the command before it sends it, so an update it cannot encode changes
        # nothing; mongomock would apply it in place, field by field, and undo only a duplicate key
        bson.encode({"q": spec, "u": document})
        try:
            return super()._update(spec, document, *args, **kwargs)
        except _TooLarge as exc:
            raise WriteError(f"Resulting document after update is larger than {MAX_DOCUMENT_BYTES}",
                             TOO_LARGE_AFTER_UPDATE, {"size": exc.size}) from None

    def _ensure_uniques(self, new_data):
        """mongomock's check, answered from the indexes, and MongoDB's size limit after an update.

        mongomock calls it after every insert and after each document an update
        changes (in place). A document a partial (or sparse) unique index does not
        cover cannot collide in it, so it is not looked up at all.
        """
        size = len(bson.encode(new_data))
        if size > MAX_DOCUMENT_BYTES:
            raise _TooLarge(size)
        state = self._store.__dict__.get(_STATE_ATTR)
        if state is not None:  # updates change documents in place: index the new values
            doc_id = new_data["_id"]
            state.stored(helpers.hashdict(doc_id) if isinstance(doc_id, dict) else doc_id, new_data)
        for index in self._store.indexes.values():
            if not index.get("unique"):
                continue
            partial = index.get("partialFilterExpression")
            if partial is not None and not filter_applies(partial, new_data):
                continue
            query = {}
            for key, _ in index.get("key"):
                try:
                    query[key] = helpers.get_value_by_dot(new_data, key)
                except KeyError:
                    query[key] = None
            if index.get("sparse") and set(query.values()) == {None}:
                continue
            if partial is not None:
                query = {"$and": [partial, query]}
            if len(list(self._iter_documents(query))) > 1:
                raise DuplicateKeyError("E11000 Duplicate Key Error", 11000)


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


# -- two expressions of MongoDB's aggregation language that mongomock gets wrong ------
# (docs/in-memory-store.md; the tests that state what MongoDB does pass because of these)

def _add_fields(in_collection, unused_database, options):
    """``$set``/``$addFields``, where a value that is missing or ``$$REMOVE`` removes the field,
    as in MongoDB; mongomock keeps the old value instead (its ``_handle_add_fields_stage``)."""
    if not options:
        raise OperationFailure("Invalid $addFields :: caused by :: specification must have at least one field")
    out_collection = [dict(doc) for doc in in_collection]
    for field, value in options.items():
        *parents, last = field.split(".")
        for in_doc, out_doc in zip(in_collection, out_collection):
            try:
                out_value = mongomock_aggregate._parse_expression(value, in_doc, ignore_missing_keys=True)
            except KeyError:  # missing, or $$REMOVE: the field goes
                target = out_doc
                for part in parents:
                    target = target.get(part) if isinstance(target, dict) else None
                if isinstance(target, dict):
                    if parents:  # copied before it is changed: the input document is not ours
                        _replace_path(out_doc, parents, dict(target))
                        target = _path(out_doc, parents)
                    target.pop(last, None)
                continue
            target = out_doc
            for part in parents:
                child = target.get(part)
                target[part] = dict(child) if isinstance(child, dict) else {}
                target = target[part]
            target[last] = out_value
    return out_collection


def _path(doc, parts):
    for part in parts:
        doc = doc[part]
    return doc


def _replace_path(doc, parts, value):
    for part in parts[:-1]:
        doc[part] = dict(doc[part])
        doc = doc[part]
    doc[parts[-1]] = value


_original_boolean = mongomock_aggregate._Parser._handle_boolean_operator


def _boolean(self, operator, values):
    """``{"$not": [expression]}`` negates the expression, as in MongoDB; mongomock negates the
    one-element list itself, which is always true, so its ``$not`` of a list is always false."""
    if operator == "$not" and isinstance(values, list) and len(values) == 1:
        values = values[0]
    return _original_boolean(self, operator, values)


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
    mongomock_store.CollectionStore.__delitem__ = _delitem
    mongomock_store.CollectionStore.drop = _drop
    mongomock_store.CollectionStore.__init__ = _store_init
    mongomock.database.Collection = IndexedCollection
    mongomock_aggregate._PIPELINE_HANDLERS["$addFields"] = _add_fields
    mongomock_aggregate._PIPELINE_HANDLERS["$set"] = _add_fields
    mongomock_aggregate._Parser._handle_boolean_operator = _boolean


def client():
    install()
    return mongomock.MongoClient(tz_aware=True)
