"""The in-memory store's index lookups answer exactly what a scan answers."""
import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.platform import memory_store


@pytest.fixture
def tickets(monkeypatch):
    monkeypatch.setenv("HOTLINE_MEMORY_STORE_CHECK", "1")
    collection = memory_store.client().db.tickets
    collection.create_index("number", unique=True)
    for i in range(20):
        collection.insert_one({"number": f"N{i}", "state": "open" if i % 2 else "closed", "seen": []})
    return collection


def test_unique_field_and_id_lookups(tickets):
    doc = tickets.find_one({"number": "N7"})
    assert doc["state"] == "open"
    assert tickets.find_one({"_id": doc["_id"]})["number"] == "N7"
    assert tickets.find_one({"number": "N7", "state": "closed"}) is None  # rest of the filter holds
    assert tickets.find_one({"number": "missing"}) is None


def test_duplicates_are_still_refused_and_rolled_back(tickets):
    with pytest.raises(DuplicateKeyError):
        tickets.insert_one({"number": "N3"})
    assert tickets.count_documents({"number": "N3"}) == 1


def test_updates_deletes_and_upserts_stay_consistent(tickets):
    result = tickets.update_one({"number": "N4", "seen": {"$ne": "e1"}}, {"$push": {"seen": "e1"}})
    assert result.modified_count == 1
    again = tickets.update_one({"number": "N4", "seen": {"$ne": "e1"}}, {"$push": {"seen": "e1"}})
    assert again.modified_count == 0
    tickets.delete_one({"number": "N5"})
    assert tickets.find_one({"number": "N5"}) is None
    tickets.insert_one({"number": "N5", "state": "new"})
    assert tickets.find_one({"number": "N5"})["state"] == "new"
    counter = tickets.find_one_and_update({"number": "N99"}, {"$set": {"state": "x"}}, upsert=True,
                                          return_document=ReturnDocument.AFTER)
    assert tickets.find_one({"number": "N99"})["_id"] == counter["_id"]


def test_other_queries_still_scan(tickets):
    assert tickets.count_documents({"state": "open"}) == 10
    assert [d["number"] for d in tickets.find({"number": {"$in": ["N1", "N2"]}})] == ["N1", "N2"]


def test_a_partial_unique_index_can_be_declared_again_over_data_it_excludes():
    collection = memory_store.client().db.tickets
    spec = {"unique": True, "partialFilterExpression": {"source.system": {"$exists": True}}}
    collection.create_index([("source.system", 1), ("source.id", 1)], **spec)
    collection.insert_one({"number": "A"})
    collection.insert_one({"number": "B"})  # neither is covered by the index
    collection.insert_one({"number": "C", "source": {"system": "app", "id": "1"}})
    collection.create_index([("source.system", 1), ("source.id", 1)], **spec)  # a restart
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"number": "D", "source": {"system": "app", "id": "1"}})


# -- every declared index, as MongoDB would use it ----------------------------

from datetime import UTC, datetime, timedelta  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def cases(monkeypatch):
    monkeypatch.setenv("HOTLINE_MEMORY_STORE_CHECK", "1")
    collection = memory_store.client().db.cases
    collection.create_index([("caller.phone", 1), ("received_at", -1)])
    collection.create_index([("category", 1), ("lat", 1)])
    collection.create_index("outbox.queued_at", sparse=True)
    collection.create_index("terms")
    for i in range(60):
        collection.insert_one({
            "number": f"C{i}", "caller": {"phone": f"p{i % 5}"}, "category": f"k{i % 3}",
            "lat": 36.0 + i / 1000, "received_at": T0 + timedelta(minutes=i),
            "terms": [f"t{i % 4}", f"u{i % 7}"],
            "outbox": [{"queued_at": T0 + timedelta(minutes=i)}] if i % 10 == 0 else []})
    return collection


def candidates(collection, query):
    found = collection._candidates(query)
    return None if found is None else [doc["number"] for doc in found]


def test_compound_index_prefix_equality_then_range(cases):
    query = {"caller.phone": "p1", "received_at": {"$gte": T0 + timedelta(minutes=30)}}
    numbers = [d["number"] for d in cases.find(query)]
    assert numbers == [f"C{i}" for i in range(31, 60, 5)]
    # narrowed to the caller's documents at most, never a scan
    assert len(candidates(cases, query)) <= 12


def test_a_later_field_alone_cannot_use_the_index(cases):
    # as in MongoDB: lat is usable only after equality on category
    assert candidates(cases, {"lat": {"$gte": 36.05}}) is None
    query = {"category": "k2", "lat": {"$gte": 36.03, "$lte": 36.04}}
    assert candidates(cases, query) == [f"C{i}" for i in range(32, 41, 3)]
    assert [d["number"] for d in cases.find(query)] == ["C32", "C35", "C38"]


def test_ranges_on_array_members_and_missing_fields(cases):
    due = {"outbox.queued_at": {"$lte": T0 + timedelta(minutes=25)}}
    assert [d["number"] for d in cases.find(due)] == ["C0", "C10", "C20"]
    assert candidates(cases, due) == ["C0", "C10", "C20"]
    assert cases.count_documents({"terms": {"$in": ["t1", "u3"]}}) == 15 + 9 - 2


def test_and_clauses_and_in_lists_use_indexes(cases):
    query = {"$and": [{"category": {"$in": ["k0", "k1"]}}, {"lat": {"$lt": 36.006}}]}
    assert [d["number"] for d in cases.find(query)] == ["C0", "C1", "C3", "C4"]
    assert candidates(cases, query) is not None


def test_indexes_follow_updates_deletes_and_drops(cases):
    cases.update_one({"number": "C7"}, {"$set": {"caller.phone": "new"}})
    assert [d["number"] for d in cases.find({"caller.phone": "new"})] == ["C7"]
    assert "C7" not in [d["number"] for d in cases.find({"caller.phone": "p2"})]
    cases.update_many({"category": "k1"}, {"$pull": {"outbox": {}}, "$set": {"lat": 0.0}})
    assert cases.count_documents({"category": "k1", "lat": {"$lte": 1}}) == 20
    cases.update_one({"number": "C3"}, {"$push": {"outbox": {"queued_at": T0 - timedelta(days=1)}}})
    assert [d["number"] for d in cases.find({"outbox.queued_at": {"$lt": T0}})] == ["C3"]
    cases.delete_many({"caller.phone": "p0"})
    assert cases.count_documents({"caller.phone": "p0"}) == 0
    cases.insert_one({"number": "C99", "caller": {"phone": "p0"}, "received_at": T0})
    assert [d["number"] for d in cases.find({"caller.phone": "p0"})] == ["C99"]
    cases.drop()
    assert cases.count_documents({"caller.phone": "p0"}) == 0
    cases.insert_one({"number": "D1", "caller": {"phone": "p0"}})
    assert [d["number"] for d in cases.find({"caller.phone": "p0"})] == ["D1"]


def test_missing_fields_are_indexed_as_null(cases):
    cases.insert_one({"number": "bare"})
    assert [d["number"] for d in cases.find({"category": None})] == ["bare"]


def test_unique_indexes_are_checked_from_the_index(monkeypatch):
    monkeypatch.setenv("HOTLINE_MEMORY_STORE_CHECK", "1")
    collection = memory_store.client().db.tickets
    collection.create_index("key", unique=True, partialFilterExpression={"key": {"$exists": True}})
    collection.create_index([("a", 1), ("b", 1)], unique=True)
    collection.insert_one({"a": 1, "b": 1})
    collection.insert_one({"a": 1, "b": 2, "key": "x"})
    collection.insert_one({"a": 2, "b": 1})  # no key: not covered by the partial index
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"a": 1, "b": 2})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"a": 3, "b": 3, "key": "x"})
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"a": 2}, {"$set": {"b": 2, "a": 1}})
    assert collection.find_one({"a": 2})["b"] == 1  # rolled back, and found by the index again
    assert collection.count_documents({"a": 1}) == 2


def test_patterns_and_dates_are_not_taken_for_hash_keys(cases):
    import re

    assert [d["number"] for d in cases.find({"category": re.compile("^k1$"), "lat": {"$lt": 36.005}})] \
        == ["C1", "C4"]
    assert cases.count_documents({"caller.phone": "p3", "received_at": T0 + timedelta(minutes=3)}) == 1
