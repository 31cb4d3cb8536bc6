"""The Ticket aggregate: each transition is checked and returns the event it causes.

Pure: neither nameko nor a store."""
import datetime as dt

import pytest

from services.intake.domain import NOT_OPEN, NotLinked, NotOpen, Ticket, is_open
from services.intake.domain.shared import reason

NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
REQUEST = {"title": "小区停水", "description": "请拨13853212345", "caller_name": "王芳",
           "caller_phone": "13853212345", "channel": "phone", "urgency": "normal"}


def received(number="QD-20261127-00002", **options):
    return Ticket.receive(number, REQUEST, NOW, "13853212345", **options)


def test_a_ticket_received_by_an_operator_names_them_and_keeps_its_key():
    ticket = received(idempotency_key="rpc:k1", request_digest="d1",
                      received_by={"user_id": "u7", "name": "接线员李"})
    doc = ticket.to_doc()
    assert ticket.status == "received" and ticket.is_open
    assert doc["series"] == "QD-20261127" and doc["sequence"] == 2
    assert doc["idempotency_key"] == "rpc:k1" and doc["request_digest"] == "d1"
    assert doc["history"][-1]["note"] == "received by phone (接线员李)"


def test_a_new_ticket_announces_itself_with_the_caller_masked_and_the_text_scrubbed():
    created = received().create()
    assert created["number"] == "QD-20261127-00002"
    assert created["caller_phone"] == "138****2345" and "13853212345" not in created["description"]


def test_a_repeat_links_to_an_open_ticket_and_says_so():
    master = Ticket.from_doc(dict(received("QD-20261127-00001").to_doc(), status="assigned"))
    ticket = received()
    event = ticket.link(master, reason("linked_by", person="接线员李"), NOW)
    assert ticket.status == "linked" and ticket.linked_to == "QD-20261127-00001" and not ticket.is_open
    assert event["linked_to"] == "QD-20261127-00001" and event["number"] == ticket.number
    assert ticket.to_doc()["history"][-1]["status"] == "linked"


@pytest.mark.parametrize("status", NOT_OPEN)
def test_nothing_links_to_a_ticket_that_is_not_open(status):
    master = Ticket.from_doc(dict(received("QD-20261127-00001").to_doc(), status=status))
    ticket = received()
    with pytest.raises(NotOpen):
        ticket.link(master, reason("linked_by", person="接线员李"), NOW)
    assert ticket.status == "received" and ticket.linked_to is None
    assert not is_open(status) and is_open("assigned") and is_open(None)


def test_an_answer_on_the_call_closes_the_ticket():
    ticket = received()
    event = ticket.answer({"id": "KB-1", "question": "q", "answer": "凭身份证办理"}, "接线员李", NOW)
    assert ticket.status == "answered" and not ticket.is_open
    assert event["entry_id"] == "KB-1" and event["answered_by"] == "接线员李"
    assert ticket.to_doc()["closed_at"] == NOW


def test_only_a_linked_ticket_is_unlinked_and_then_it_is_dispatched():
    with pytest.raises(NotLinked):
        received().unlink("调度员赵", NOW)
    master = Ticket.from_doc(received("QD-20261127-00001").to_doc())
    ticket = received()
    ticket.link(master, reason("linked_by", person="接线员李"), NOW)
    entry, created = ticket.unlink("调度员赵", NOW)
    assert ticket.status == "received" and ticket.linked_to is None
    assert "linked_to" not in ticket.to_doc()
    assert entry["status"] == "unlinked" and "QD-20261127-00001" in entry["note"]
    assert created["number"] == ticket.number


def test_an_erasure_takes_the_caller_and_says_so():
    ticket = received()
    changes, event = ticket.erase(NOW)
    assert changes["caller"] == {"name": None, "phone": None, "email": None, "phone_key": None}
    assert "13853212345" not in str(changes["history"]) + str(changes["description"])
    assert event["number"] == ticket.number and ticket.to_doc()["erased_at"] == NOW
