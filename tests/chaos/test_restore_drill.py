"""The restore drill of docs/operations.md, on the in-memory store.

The stack runs as containers in this process (the in-memory store lives in
a process, so the backup is taken in it, with the export ``hotline backup``
uses when mongodump is absent). Back up, take in more tickets, lose the
store, restore into a new one, start the services on it: what the backup
held is all there and works, what came after is gone, and the services are
ready (their indexes were restored, and rebuilt at start).
"""
import uuid
from urllib.parse import urlparse

import requests

from bench.chaos import InProcessStack, Submitter, account, settle, ticket_body
from operate.backup import backup_client, restore_client
from shared.platform.mongo import connect
from tests.conftest import _backends


class NoBurst:
    external_ids = ()

    def accepted(self):
        return []


def submit(stack, count, run):
    submitter = Submitter(stack.url)
    for index in range(count):
        submitter.submit(ticket_body(index, run), f"{run}-{index}")
    submitter.session.close()
    report = settle(stack, submitter, NoBurst(), timeout=60)
    assert report["missing_case"] == report["missing_watch"] == 0, report
    return submitter.accepted


def test_a_restored_backup_serves_what_it_held(vhost_pipeline, tmp_path):
    amqp = urlparse(_backends["amqp"])
    with vhost_pipeline.get() as vhost:
        uri = f"{amqp.scheme}://{amqp.netloc}/{vhost}"
        first = InProcessStack(uri)
        first.start_all()
        try:
            kept = submit(first, 12, f"drill-{uuid.uuid4().hex[:4]}")
            manifest = backup_client(connect(first.config["MONGO_URI"]), tmp_path)
            lost = submit(first, 4, f"late-{uuid.uuid4().hex[:4]}")
        finally:
            first.stop_all()
        assert manifest["databases"]["hotline_intake"]["tickets"] == 12

        restored_uri = f"memory://restored-{uuid.uuid4().hex[:8]}"
        restore_client(connect(restored_uri), manifest["folder"])
        second = InProcessStack(uri, store_uri=restored_uri)
        second.config["READY_CALENDAR_DAYS"] = 0  # readiness of the store and indexes, whatever the date
        second.start_all()
        try:
            for name in ("intake", "routing", "followup", "notify", "insight"):
                address = second.config[f"{name.upper()}_HTTP"]
                ready = requests.get(f"http://{address}/ready", timeout=10)
                assert ready.status_code == 200, (name, ready.text)
            after = account(second, kept)
            assert (after["tickets_stored"], after["missing_case"], after["missing_watch"]) == (12, 0, 0)
            assert after["duplicate_case"] == after["duplicate_watch"] == 0
            tickets = second.repository("intake").tickets
            first_kept = tickets.find_one({"number": kept[0]})
            # The citizen's own lookup (with the phone's last digits) works on the restored store.
            answer = requests.get(f"{second.url}/tickets/{kept[0]}", timeout=10,
                                  headers={"X-Phone-Last4": first_kept["caller"]["phone"][-4:]})
            assert answer.status_code == 200 and answer.json()["status"] == "assigned", answer.text
            assert tickets.count_documents({"number": {"$in": lost}}) == 0  # came after the backup: gone
            new = submit(second, 1, f"new-{uuid.uuid4().hex[:4]}")
            print(f"restore drill: kept {len(kept)}, lost {len(lost)} ({lost}), new ticket {new[0]}"
                  f"{' -- a number issued before the restore, issued again' if new[0] in lost else ''}")
        finally:
            second.stop_all()
