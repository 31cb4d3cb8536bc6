"""How long one supervision tick takes: OPEN watched cases, DUE of them due.

    python -m bench.notify_tick [--open 100000] [--due 1000]

Uses ``MONGO_URI`` when set (a real MongoDB: fresh ``bench_*`` databases,
dropped afterwards), else the in-memory store. It loads the watches, then
times what notify's timer runs: ``work.supervise`` (find the due watches
through the ``(state, next_check_at)`` index, claim them, take their steps,
queue their notifications) and the publishing of their ``ticket_escalated``
events from the outbox (to a counting stand-in, so the broker is not timed),
then a tick with nothing due. The figures are printed, never asserted.

The in-memory store answers from the indexes the repository declares
(``shared/platform/memory_store.py``), as MongoDB would; its per-document costs are
mongomock's (copies, Python filters), so its figures are not MongoDB's.
"""
import argparse
import datetime as dt
import logging
import os
import time
import uuid

from services.notify.adapters.repository import NotifyRepository
from services.notify.bootstrap import Supervision
from services.notify.handlers import ticks as work
from shared.contract.events import utcnow
from shared.platform.city import load_city
from shared.platform.config import load_config
from shared.platform.mongo import connect, database_for, describe


def watch_doc(index, now, due):
    number = f"QD-BENCH-{index:07d}"
    if due:  # a minute past its deadline, reminder and yellow card sent: the red card is due
        deadline = now - dt.timedelta(minutes=1 + index % 50)
        steps, next_check = ["1:sign_for_reminder", "1:yellow_card"], deadline
    else:  # days before its yellow card
        deadline = now + dt.timedelta(days=5 + index % 20, minutes=index % 600)
        steps, next_check = ["1:sign_for_reminder"], deadline - dt.timedelta(days=2)
    return {"number": number, "state": "watching", "round": 1, "revision": 1,
            "department_code": ("HRSS", "WATER", "HOUSING", "D-SHINAN")[index % 4],
            "deadline": deadline, "sign_for_deadline": deadline - dt.timedelta(days=4),
            "signed_for": True, "replied": False, "rejection_count": 0,
            "steps_done": steps, "applied": [f"event-{index}"], "next_check_at": next_check,
            "watched_at": now - dt.timedelta(days=3)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="watched open cases")
    parser.add_argument("--due", type=int, default=1_000, help="of which due now")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("shared.platform.mongo").setLevel(logging.ERROR)

    config = load_config()
    uri = os.environ.get("MONGO_URI") or "memory://bench"
    config.update(MONGO_URI=uri, MONGO_DB_PREFIX=f"bench_{uuid.uuid4().hex[:8]}_")
    config["NOTIFY"]["contacts"] = {"default": {"email": "dept@city.test",
                                               "webhook": "http://127.0.0.1:9/hook"}}
    config["NOTIFY"]["ladder"]["batch"] = max(args.due, 1)
    repo = NotifyRepository(database_for(config, "notify"), config)
    rules = Supervision(config, load_city(config))
    print(f"store: {describe(uri)}")

    now = utcnow()
    started = time.perf_counter()
    repo.ensure_indexes()
    due_every = max(args.open // max(args.due, 1), 1)
    batch = []
    for index in range(args.open):
        batch.append(watch_doc(index, now, due=index % due_every == 0 and index // due_every < args.due))
        if len(batch) == 10_000:
            repo.watches.insert_many(batch)
            batch = []
    if batch:
        repo.watches.insert_many(batch)
    print(f"loaded {args.open:,} watches, {args.due:,} due, in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    due_ids = repo.due_watch_ids(now, args.due)
    print(f"due query alone ((state, next_check_at) index): {len(due_ids):,} watches "
          f"in {(time.perf_counter() - started) * 1000:.0f} ms")

    started = time.perf_counter()
    report = work.supervise(repo, rules.ladder, rules.notices, now, "bench",
                            rules.lease_seconds, rules.tick_batch)
    supervised = time.perf_counter() - started
    published = []
    repo.publish_steps(report.touched, lambda kind, payload: published.append(kind))
    total = time.perf_counter() - started
    print(f"tick: {report.due:,} due, {report.claimed:,} claimed, {report.steps:,} steps taken, "
          f"{report.queued:,} notifications queued in {supervised:.2f} s")
    print(f"      + {len(published):,} ticket_escalated events published from the outbox: "
          f"{total:.2f} s in all ({total / max(report.claimed, 1) * 1000:.1f} ms per due case)")

    started = time.perf_counter()
    idle = work.supervise(repo, rules.ladder, rules.notices, now, "bench", rules.lease_seconds,
                          rules.tick_batch)
    print(f"next tick, nothing due: {idle.due} due in {(time.perf_counter() - started) * 1000:.0f} ms")

    if not uri.startswith("memory://"):
        client = connect(uri)
        for name in client.list_database_names():
            if name.startswith(config["MONGO_DB_PREFIX"]):
                client.drop_database(name)


if __name__ == "__main__":
    main()
