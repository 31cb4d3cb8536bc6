"""The in-memory store's index lookups answer exactly what a scan answers."""
import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared import memory_store


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
