"""The one unit of work: retried on a lost race, published only after the work won."""
import pytest

from shared.platform import memory_store
from shared.platform.outbox import Outbox, outboxed
from shared.platform.unit_of_work import LostRace, UnitOfWork


def store():
    collection = memory_store.client()["uow"]["things"]
    return collection, Outbox(collection)


def test_the_work_is_published_after_it_returns():
    collection, outbox = store()
    sent = []
    uow = UnitOfWork(lambda kind, payload: sent.append((kind, payload["event_id"])))

    def work():
        collection.insert_one({"_id": 1, "outbox": [outboxed("thing_made", {"event_id": "e1"})]})
        uow.saved(outbox, 1)
        assert sent == []  # not before the work is done
        return "made"

    assert uow.run(work) == "made"
    assert sent == [("thing_made", "e1")]
    assert collection.find_one({"_id": 1})["outbox"] == []


def test_a_lost_race_runs_the_work_again_and_publishes_only_the_winner():
    collection, outbox = store()
    sent, attempts = [], []
    uow = UnitOfWork(lambda kind, payload: sent.append(payload["event_id"]))

    def work():
        attempts.append(1)
        event_id = f"e{len(attempts)}"
        collection.update_one({"_id": 1}, {"$push": {"outbox": outboxed("x", {"event_id": event_id})}}, upsert=True)
        uow.saved(outbox, 1)
        if len(attempts) < 3:
            collection.update_one({"_id": 1}, {"$set": {"outbox": []}})  # the loser's write never happened
            raise LostRace()
        return len(attempts)

    assert uow.run(work) == 3
    assert sent == ["e3"]


def test_the_race_is_given_up_after_the_retries():
    uow = UnitOfWork(lambda kind, payload: None, retries=2)
    calls = []

    def work():
        calls.append(1)
        raise LostRace()

    with pytest.raises(LostRace):
        uow.run(work)
    assert len(calls) == 2


def test_a_broker_fault_after_the_save_leaves_the_event_for_the_timer():
    collection, outbox = store()

    def broken(kind, payload):
        raise ConnectionError("broker gone")

    uow = UnitOfWork(broken)

    def work():
        collection.insert_one({"_id": 1, "outbox": [outboxed("thing_made", {"event_id": "e1"})]})
        uow.saved(outbox, 1)
        return "saved"

    assert uow.run(work) == "saved"
    assert [entry["event_id"] for entry in collection.find_one({"_id": 1})["outbox"]] == ["e1"]


class Unread(Outbox):
    """An outbox that counts the times it is read."""

    reads = 0

    def pending(self, *args, **kwargs):
        self.reads += 1
        return super().pending(*args, **kwargs)


def test_an_outbox_the_save_returned_is_published_without_reading_it_again():
    collection, _ = store()
    outbox = Unread(collection)
    sent = []
    uow = UnitOfWork(lambda kind, payload: sent.append((kind, payload["event_id"])))

    def work():
        doc = {"_id": 1, "outbox": [outboxed("thing_made", {"event_id": "e1"})]}
        collection.insert_one(doc)
        uow.saved(outbox, 1, doc["outbox"])
        return "made"

    assert uow.run(work) == "made"
    assert sent == [("thing_made", "e1")] and outbox.reads == 0
    assert collection.find_one({"_id": 1})["outbox"] == []  # pulled once published


def test_without_the_outbox_the_saved_document_is_read_for_every_event_it_holds():
    collection, _ = store()
    outbox = Unread(collection)
    collection.insert_one({"_id": 1, "outbox": [outboxed("left_behind", {"event_id": "e0"})]})
    sent = []
    uow = UnitOfWork(lambda kind, payload: sent.append(payload["event_id"]))

    def work():
        collection.update_one({"_id": 1}, {"$push": {"outbox": outboxed("thing_changed", {"event_id": "e1"})}})
        uow.saved(outbox, 1)

    uow.run(work)
    assert sent == ["e0", "e1"] and outbox.reads == 1
