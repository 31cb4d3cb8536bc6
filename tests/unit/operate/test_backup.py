"""hotline backup / restore: the pymongo export and import, on in-memory clients."""
import datetime as dt
import gzip

import pytest
from pymongo.errors import DuplicateKeyError

from operate import backup
from shared.platform import memory_store


@pytest.fixture
def source():
    client = memory_store.client()
    tickets = client["hotline_intake"]["tickets"]
    tickets.create_index("number", unique=True)
    tickets.create_index("idempotency_key", unique=True,
                         partialFilterExpression={"idempotency_key": {"$exists": True}})
    tickets.create_index("outbox.queued_at", sparse=True)
    client["hotline_notify"]["notifications"].create_index("sent_at", expireAfterSeconds=3600)
    at = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)
    tickets.insert_many([{"number": f"QD-20261201-{i:05d}", "title": "小区停水", "received_at": at,
                          "history": [{"at": at, "status": "received"}], "photo": b"\x00\x01"}
                         for i in range(1, 251)])
    client["hotline_notify"]["settings"].insert_one({"_id": "clock", "offset_seconds": 0.0})
    return client


def test_a_backup_restores_every_document_and_index(source, tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "BATCH", 100)  # several batches
    manifest = backup.backup_client(source, tmp_path / "b", now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert manifest["databases"]["hotline_intake"] == {"tickets": 250}
    assert list(manifest["databases"])[-1] == "hotline_intake"  # intake is dumped last
    target = memory_store.client()
    restored = backup.restore_client(target, manifest["folder"])
    assert restored["hotline_notify"] == {"notifications": 0, "settings": 1}
    tickets = target["hotline_intake"]["tickets"]
    doc = tickets.find_one({"number": "QD-20261201-00042"})
    assert doc["received_at"] == dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)
    assert doc["history"][0]["status"] == "received" and doc["photo"] == b"\x00\x01"
    assert tickets.index_information() == source["hotline_intake"]["tickets"].index_information()
    assert target["hotline_notify"]["notifications"].index_information()["sent_at_1"]["expireAfterSeconds"] == 3600
    with pytest.raises(DuplicateKeyError):  # the unique index came back with the data
        tickets.insert_one({"number": "QD-20261201-00042"})


def test_a_restore_does_not_write_over_data_unless_told(source, tmp_path):
    manifest = backup.backup_client(source, tmp_path)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore_client(source, manifest["folder"])
    source["hotline_intake"]["tickets"].delete_many({"number": {"$gt": "QD-20261201-00100"}})
    backup.restore_client(source, manifest["folder"], drop=True)
    assert source["hotline_intake"]["tickets"].count_documents({}) == 250


def test_a_damaged_backup_is_found_out_before_anything_is_written(source, tmp_path):
    manifest = backup.backup_client(source, tmp_path)
    path = tmp_path / manifest["folder"] / "hotline_intake" / "tickets.bson.gz"
    documents = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(documents[: len(documents) // 2]))  # half the file lost
    target = memory_store.client()
    with pytest.raises(Exception):  # noqa: B017 - a truncated gzip or BSON stream, whichever breaks first
        backup.restore_client(target, manifest["folder"])
    assert target["hotline_intake"]["tickets"].count_documents({}) == 0


def test_only_some_services(source, tmp_path):
    manifest = backup.backup_client(source, tmp_path, services=["notify"])
    assert list(manifest["databases"]) == ["hotline_notify"]


def test_the_in_memory_store_cannot_be_backed_up_from_outside(tmp_path):
    with pytest.raises(backup.BackupError, match="inside each service's process"):
        backup.backup("memory://", tmp_path)


def test_the_database_tools_are_called_per_database_with_gzip():
    assert backup.mongodump_command("mongodb://u:p@db:27017/", "hotline_intake", "/b/x") == [
        "mongodump", "--uri=mongodb://u:p@db:27017/", "--db=hotline_intake", "--out=/b/x", "--gzip", "--quiet"]
    assert backup.mongorestore_command("mongodb://db/", "/b/x", "hotline_notify", drop=True) == [
        "mongorestore", "--uri=mongodb://db/", "--dir=/b/x", "--nsInclude=hotline_notify.*", "--gzip",
        "--quiet", "--drop"]
