"""Routing's repository over the in-memory store: versions, model chunks, leases."""
import mongomock
import pytest

from services.routing.adapters import learning as store_module
from services.routing.adapters.decisions import DecisionRepository


@pytest.fixture
def store():
    """Routing's store: the decisions, with the directory and learning repositories beside them."""
    repository = DecisionRepository(mongomock.MongoClient(tz_aware=True)["hotline_routing"], {})
    repository.ensure_indexes()
    return repository


@pytest.fixture
def repo(store):
    return store


def test_the_directory_is_seeded_once_and_every_change_is_a_version(store):
    repo = store.directory
    assert repo.seed([{"code": "WATER", "name": "水务"}], [{"code": "w", "department": "WATER"}], "seed.yaml") == 1
    assert repo.seed([{"code": "OTHER", "name": "x"}], [], "seed.yaml") == 1  # not again
    assert [d["code"] for d in repo.load_directory()[0]] == ["WATER"]
    assert repo.change_department("update", {"code": "WATER", "name": "市水务局"}, "admin", "改名") == 2
    assert repo.get_department("WATER") == {"code": "WATER", "name": "市水务局", "version": 2}
    assert [c["version"] for c in repo.directory_history()] == [2, 1]
    assert repo.directory_history("WATER")[0]["before"]["name"] == "水务"


def test_a_model_is_stored_in_chunks_and_read_back_whole(store, monkeypatch):
    repo = store.learning
    monkeypatch.setattr(store_module, "CHUNK_BYTES", 4)
    data = bytes(range(10))
    assert repo.save_model(data, {"examples": 3}) == 1
    assert repo.chunks.count_documents({"model_version": 1}) == 3
    assert repo.model_bytes(1) == data
    assert repo.latest_model()["version"] == 1
    repo.models.insert_one({"version": 2, "chunks": -1, "meta": {}})  # a model still being written
    assert repo.latest_model()["version"] == 1


def test_one_trainer_at_a_time(store):
    repo = store.learning
    assert repo.take_lease("train", 60)
    assert not repo.take_lease("train", 60)
    repo.release_lease("train")
    assert repo.take_lease("train", 60)


def test_an_event_redecides_a_ticket_once(repo):
    repo.add({"number": "QD-1", "status": "assigned", "department_code": "WATER", "attempts": [],
              "refusals": [], "seen_events": []}, [])
    change = ({"status": "assigned", "department_code": "WATER"}, {"department_code": "HOUSING"},
              {"rule": "classifier"}, [])
    assert repo.redecide("QD-1", *change, event_id="e1", refusal={"department_code": "WATER"})
    assert repo.redecide("QD-1", {"status": "assigned"}, {"department_code": "X"}, {}, [], event_id="e1") is None
    record = repo.get("QD-1")
    assert record["department_code"] == "HOUSING" and len(record["refusals"]) == 1
