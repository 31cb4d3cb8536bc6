"""A source system that submitted a ticket is told its progress -- dispatched, replied,
closed -- on its own receipts routing key, once per step whatever the redeliveries, and
never with the caller's name or phone."""
import datetime as dt

import pytest

from services.intake import domain
from services.intake.adapters.receipts import CLAIM_SECONDS
from services.intake.adapters.tickets import TicketRepository
from services.intake.entrypoints.schemas import ProgressReceipt
from shared.contract import events
from shared.platform import memory_store
from shared.platform.messaging import TryLater
from tests.unit.conftest import intake_worker

NUMBER = "QD-20261127-00007"
PLAIN = "QD-20261127-00008"
T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
REQUEST = {"title": "小区停水", "description": "", "caller_name": "张三", "caller_phone": "13853212345",
           "channel": "system", "urgency": "normal", "source_system": "sms12315", "external_id": "A-77"}


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def repo():
    repo = TicketRepository(memory_store.client()[f"progress_{id(object())}"], {})
    repo.ensure_indexes()
    repo.add(domain.new_ticket(NUMBER, REQUEST, T0), [])
    plain = {k: v for k, v in REQUEST.items() if k not in ("source_system", "external_id")}
    repo.add(domain.new_ticket(PLAIN, dict(plain, channel="phone"), T0), [])
    return repo


def steps(number=NUMBER):
    assigned = events.new_event(
        events.TicketAssigned, number=number, department_code="WATER", department_name="市水务管理局",
        time_limit_class="general", deadline=at(7 * 1440), sign_for_deadline=at(1440), assigned_at=at(1),
        decided_by="routing")
    approved = events.new_event(events.ReplyApproved, number=number, department_code="WATER",
                                text="已恢复供水。联系人李四 13953212345", approved_at=at(600))
    closed = events.new_event(events.CaseClosed, number=number, department_code="WATER",
                              reply="已恢复供水", closed_at=at(900), outcome="resolved")
    return assigned, approved, closed


def sent(worker):
    return [(call.kwargs["routing_key"], call.args[0]) for call in worker.receipts.call_args_list]


def test_each_step_is_sent_once_to_the_source_even_when_redelivered(repo):
    worker = intake_worker(repo)
    assigned, approved, closed = steps()
    for _ in range(2):  # every event delivered twice
        worker.on_ticket_assigned(assigned)
        worker.on_reply_approved(approved)
        worker.on_case_closed(closed)
    told = sent(worker)
    assert [body["kind"] for _, body in told] == ["dispatched", "replied", "closed"]
    assert {key for key, _ in told} == {"ticket.receipt.sms12315"}
    dispatched, replied, done = (body for _, body in told)
    assert dispatched["department"] == {"code": "WATER", "name": "市水务管理局"}
    assert dispatched["deadline"].startswith("2026-12-04") and dispatched["external_id"] == "A-77"
    assert replied["reply"].startswith("已恢复供水") and replied["department"]["name"] == "市水务管理局"
    assert done["outcome"] == "resolved" and done["number"] == NUMBER
    for _, body in told:
        assert ProgressReceipt().validate(body) == {}
        assert "13853212345" not in str(body) and "张三" not in str(body)
        assert "13953212345" not in str(body)  # a phone in the reply is scrubbed


def test_a_step_sent_before_a_restart_is_not_sent_again(repo):
    assigned, _, _ = steps()
    intake_worker(repo).on_ticket_assigned(assigned)
    again = intake_worker(repo)  # another worker, the same store: the redelivery after a crash
    again.on_ticket_assigned(assigned)
    assert sent(again) == []


def claimed(repo, receipt_id, seconds_ago):
    repo.receipts.receipts.insert_one({"_id": receipt_id, "number": NUMBER, "sent": False,
                                       "receipt": {"receipt_id": receipt_id, "kind": "dispatched"},
                                       "claimed_at": events.utcnow() - dt.timedelta(seconds=seconds_ago)})


def test_a_copy_handled_while_another_worker_sends_the_step_is_delivered_again_later(repo):
    assigned, _, _ = steps()
    claimed(repo, f"{NUMBER}:{assigned['event_id']}", 0)  # the other copy, between claim and publish
    worker = intake_worker(repo)
    with pytest.raises(TryLater):  # a transient fault: requeued with a pause, not dead-lettered
        worker.on_ticket_assigned(assigned)
    assert sent(worker) == []


def test_a_claim_left_by_a_dead_worker_is_taken_over_with_the_same_receipt_id(repo):
    assigned, _, _ = steps()
    receipt_id = f"{NUMBER}:{assigned['event_id']}"
    claimed(repo, receipt_id, CLAIM_SECONDS + 1)
    worker = intake_worker(repo)
    worker.on_ticket_assigned(assigned)
    assert [body["receipt_id"] for _, body in sent(worker)] == [receipt_id]


def test_a_receipt_the_broker_did_not_take_is_sent_on_the_next_delivery(repo):
    assigned, _, _ = steps()
    worker = intake_worker(repo)
    worker.receipts.side_effect = ConnectionError("broker away")
    with pytest.raises(ConnectionError):
        worker.on_ticket_assigned(assigned)
    again = intake_worker(repo)
    again.on_ticket_assigned(assigned)
    assert [body["kind"] for _, body in sent(again)] == ["dispatched"]


def test_a_ticket_no_system_submitted_sends_nothing(repo):
    worker = intake_worker(repo)
    for event in steps(PLAIN):
        worker.on_ticket_assigned(event) if event.get("assigned_at") else None
    worker.on_case_closed(steps(PLAIN)[2])
    assert sent(worker) == []


def test_what_was_said_is_not_kept_once_sent(repo):
    worker = intake_worker(repo)
    worker.on_reply_approved(steps()[1])
    kept = list(repo.receipts.receipts.find({}))
    assert len(kept) == 1 and kept[0]["sent"] is True and "receipt" not in kept[0]


def test_a_repeat_another_system_submitted_is_told_when_its_ticket_closes(repo):
    repeat = domain.new_ticket("QD-20261127-00009", dict(REQUEST, source_system="police-110",
                                                          external_id="JJ-5"), T0)
    repeat.update(status="linked", linked_to=NUMBER)
    repo.add(repeat, [])
    worker = intake_worker(repo)
    worker.on_case_closed(steps()[2])
    told = sorted((key, body["number"], body["external_id"]) for key, body in sent(worker))
    assert told == [("ticket.receipt.police-110", "QD-20261127-00009", "JJ-5"),
                    ("ticket.receipt.sms12315", NUMBER, "A-77")]
