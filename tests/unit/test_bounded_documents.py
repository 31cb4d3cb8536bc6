"""No document grows without bound: MongoDB refuses one over 16 MB, and so does
the in-memory store now (``shared.platform.memory_store``)."""
import datetime as dt

import bson
import pytest
from bson.errors import InvalidDocument
from pymongo.errors import DocumentTooLarge, WriteError

from services.followup import domain
from services.followup.adapters.cases import CaseBusy, CaseRepository, build_event
from services.followup.domain.timing import FollowupClock
from shared.contract import bounds
from shared.platform import memory_store
from shared.platform.memory_store import MAX_DOCUMENT_BYTES
from shared.platform.outbox import publish_pending
from shared.timelimits.calendar import WeekendCalendar
from shared.timelimits.deadlines import DeadlinePolicy

T0 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
NUMBER = "QD-20261123-00001"


def database(name):
    return memory_store.client()[f"bounded_{name}_{id(object())}"]


def test_the_in_memory_store_refuses_a_document_over_16_mb_as_mongodb_does():
    """MongoDB refuses both; the in-memory store only because ``memory_store`` checks the
    size (mongomock stores any), see docs/in-memory-store.md."""
    collection = database("store")["docs"]
    half = "x" * (MAX_DOCUMENT_BYTES // 2)
    collection.insert_one({"_id": 1, "text": half})
    with pytest.raises(WriteError) as refused:
        collection.update_one({"_id": 1}, {"$push": {"more": half}})
    assert refused.value.code == 17419
    assert "more" not in collection.find_one({"_id": 1})  # left as it was
    with pytest.raises(DocumentTooLarge):
        collection.insert_one({"_id": 2, "text": half + half})


def test_the_in_memory_store_writes_nothing_it_cannot_encode_as_pymongo_sends_nothing():
    """mongomock changes a document in place and undoes only a duplicate key: an update with
    a value BSON cannot encode stayed written while it raised, so a failed handler's write
    could land in tests and nowhere else. Passes only because ``memory_store`` encodes an
    update whole before mongomock applies it (docs/in-memory-store.md)."""
    collection = database("store")["unencodable"]
    collection.insert_one({"_id": 1, "status": "received"})
    with pytest.raises(InvalidDocument):
        collection.update_one({"_id": 1}, {"$set": {"status": "assigned", "due": object()}})
    assert collection.find_one({"_id": 1}) == {"_id": 1, "status": "received"}  # left as it was
    with pytest.raises(InvalidDocument):
        collection.insert_one({"_id": 2, "due": object()})
    assert collection.find_one({"_id": 2}) is None


def assignment():
    return {"event_id": "e1", "number": NUMBER, "department_code": "WATER",
            "department_name": "市水务管理局", "urgency": "normal", "time_limit_class": "general",
            "deadline": T0 + dt.timedelta(days=7), "sign_for_deadline": T0 + dt.timedelta(days=1),
            "assigned_at": T0, "decided_by": "routing", "reasons": ["停水"], "attempt": 1}


def test_a_reply_sent_back_for_ever_leaves_the_case_small():
    """1,100 rounds of the longest reply and rejection: more ledger than MongoDB
    would take in one document, none of it in the case."""
    cases = CaseRepository(database("followup"), {})
    cases.ensure_indexes()
    cases.open(domain.open_case(assignment(), T0), [])
    case = cases.load(NUMBER)
    cases.apply(case, domain.sign_for(case, "张工", T0), build_event)
    actor, reason = "张" * bounds.NAME, "理" * bounds.REASON
    text = "已派维修人员到海尔路小区检修供水管道，恢复供水。" * (bounds.TEXT // 24)
    rounds = 1100
    for n in range(rounds):
        now = T0 + dt.timedelta(minutes=n + 1)
        case = cases.load(NUMBER)
        cases.apply(case, domain.submit_reply(case, actor, text, [], now), build_event)
        case = cases.load(NUMBER)
        doc = cases.apply(case, domain.reject_reply(case, actor, reason, None, now), build_event)
        publish_pending(cases.outbox, lambda event_type, payload: None, doc_id=doc["_id"])

    ledger_bytes = sum(len(bson.encode(entry)) for entry in cases.ledger.find({"number": NUMBER}))
    assert ledger_bytes > MAX_DOCUMENT_BYTES  # in the case, MongoDB would have refused it
    assert cases.ledger.count_documents({"number": NUMBER}) == 2 + 2 * rounds
    stored = cases.cases.find_one({"number": NUMBER})
    assert len(bson.encode(stored)) < 64 * 1024
    assert stored["ledger_pending"] == [] and stored["outbox"] == []
    shown = cases.get(NUMBER)["ledger"]
    assert len(shown) == 500 and shown[-1]["action"] == "rejected"


def test_a_case_whose_events_cannot_be_published_refuses_more_changes_until_they_drain():
    cases = CaseRepository(database("followup_busy"), {})
    cases.ensure_indexes()
    clock = FollowupClock(DeadlinePolicy(calendar=WeekendCalendar()))
    cases.open(domain.open_case(assignment(), T0), [])

    def ask_or_deny():
        case = cases.load(NUMBER)
        if case.get("extension"):
            return cases.apply(case, domain.decide_extension(case, "审核员", False, "材料不全", T0, clock),
                               build_event)
        return cases.apply(case, domain.request_extension(case, "张工", 1, "需协调", T0, clock),
                           build_event)

    case = cases.load(NUMBER)
    cases.apply(case, domain.sign_for(case, "张工", T0), build_event)
    for _ in range(bounds.PENDING - 1):  # the broker takes nothing meanwhile
        ask_or_deny()
    with pytest.raises(CaseBusy):
        ask_or_deny()
    assert len(cases.cases.find_one({"number": NUMBER})["outbox"]) == bounds.PENDING
    assert publish_pending(cases.outbox, lambda event_type, payload: None,
                           doc_id=case["_id"]) == bounds.PENDING
    assert ask_or_deny()["version"] == bounds.PENDING + 1


def test_a_ticket_refused_and_dispatched_again_for_ever_keeps_a_decision_of_the_same_size():
    from services.routing.adapters.decisions import DecisionRepository

    decisions = DecisionRepository(database("routing"), {})
    decisions.ensure_indexes()
    decisions.add({"number": NUMBER, "status": "assigned", "department_code": "D0", "attempts": [],
                   "refusals": [], "seen_events": []}, [])

    def refuse_and_redispatch(n):
        doc = decisions.redecide(
            NUMBER, {"status": "assigned", "department_code": f"D{n}"},
            {"department_code": f"D{n + 1}", "decided_at": T0},
            {"department_code": f"D{n + 1}", "reasons": ["理" * bounds.REASON]}, [],
            event_id=f"refusal-{n}", refusal={"department_code": f"D{n}", "reason": "理" * bounds.REASON})
        assert doc is not None

    for n in range(100):
        refuse_and_redispatch(n)
    size = len(bson.encode(decisions.decisions.find_one({"number": NUMBER})))
    for n in range(100, 400):
        refuse_and_redispatch(n)
    assert len(bson.encode(decisions.decisions.find_one({"number": NUMBER}))) <= size + 256


def test_a_watch_through_endless_rounds_keeps_the_same_size():
    from services.notify.adapters.repository import NotifyRepository
    from services.notify.domain import watch as notify_domain

    watches = NotifyRepository(database("notify"), {})
    watches.ensure_indexes()

    def new_round(n):
        watch = watches.watch_for(NUMBER, T0)
        event = {"number": NUMBER, "department_code": f"D{n}", "deadline": T0, "sign_for_deadline": T0,
                 "attempt": n, "assigned_at": T0}
        assert watches.apply(watch, f"assigned-{n}", notify_domain.apply(watch, "assigned", event, T0), None)
        watch = watches.watch_for(NUMBER, T0)
        watch["claimed_by"] = "t"
        watches.watches.update_one({"_id": watch["_id"]}, {"$set": {"claimed_by": "t"}})
        steps = [(f"{watch['round']}:{name}", {"event_id": f"{n}-{name}", "event_type": "ticket_escalated",
                                               "payload": {}, "queued_at": T0})
                 for name in ("sign_for_reminder", "yellow_card", "red_card")]
        assert watches.record_steps(watch, steps, [], None, T0)
        watches.outbox.collection.update_one({"_id": watch["_id"]}, {"$set": {"outbox": []}})  # published

    for n in range(1, 151):
        new_round(n)
    size = len(bson.encode(watches.watches.find_one({"number": NUMBER})))
    for n in range(151, 451):
        new_round(n)
    stored = watches.watches.find_one({"number": NUMBER})
    assert len(bson.encode(stored)) <= size + 256
    assert len(stored["steps_done"]) == 3 and len(stored["applied"]) == 100
