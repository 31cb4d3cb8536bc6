"""A ticket recorded during a call carries the call: its id and its recording's link.

They travel in ``ticket_created`` and show in the staff's view; a citizen's status
lookup and Open311 never show the recording (the citizen's voice)."""
import pytest
from marshmallow import ValidationError

from services.intake.adapters.tickets import TicketRepository
from services.intake.domain import public
from services.intake.domain.ticket import erasure, new_ticket, public_view, ticket_created_body
from services.intake.entrypoints import open311
from services.intake.entrypoints.schemas import load_request
from services.intake.handlers.tickets import accept
from shared.contract import events
from shared.platform import memory_store
from tests.unit.services.intake.test_accept import NOW, REQUEST, deps_over

CALL = {"call_id": "1764921600.42", "recording_url": "https://pbx.example.cn/rec/1764921600.42.mp3"}


def test_the_call_is_taken_with_the_request():
    valid = load_request(dict(REQUEST, **CALL), ["崂山区"])
    assert (valid["call_id"], valid["recording_url"]) == (CALL["call_id"], CALL["recording_url"])
    plain = load_request(REQUEST, ["崂山区"])
    assert plain["call_id"] is None and plain["recording_url"] is None


@pytest.mark.parametrize("bad", [
    {"call_id": "a\u2028b"},                        # not printable
    {"call_id": "a\tb"},
    {"call_id": "x" * 129},                         # too long
    {"recording_url": "javascript:alert(1)"},       # no other scheme than http(s)
    {"recording_url": "ftp://pbx.example.cn/1.mp3"},
    {"recording_url": "https://pbx.example.cn/" + "a" * 2048},
])
def test_a_bad_call_is_refused_by_field(bad):
    with pytest.raises(ValidationError) as refused:
        load_request(dict(REQUEST, **bad), ["崂山区"])
    assert set(refused.value.messages) == set(bad)


def test_ticket_created_carries_the_call_and_stays_valid_without_it():
    ticket = new_ticket("QD-20261127-00001", load_request(dict(REQUEST, **CALL), ["崂山区"]), NOW)
    body = ticket_created_body(ticket)
    event = events.new_event(events.TicketCreated, **body)
    assert event["call_id"] == CALL["call_id"] and event["recording_url"] == CALL["recording_url"]
    without = events.new_event(events.TicketCreated, **ticket_created_body(
        new_ticket("QD-20261127-00002", load_request(REQUEST, ["崂山区"]), NOW)))
    assert "call_id" not in without or without["call_id"] is None
    # an event from before the call fields loads as it is (tolerant reader)
    older = {k: v for k, v in event.items() if k not in CALL}
    assert events.TicketCreated().load(older)["number"] == "QD-20261127-00001"


def test_staff_see_the_call_citizens_never_the_recording():
    ticket = new_ticket("QD-20261127-00001", load_request(dict(REQUEST, **CALL), ["崂山区"]), NOW)
    staff = public_view(ticket)
    assert staff["call_id"] == CALL["call_id"] and staff["recording_url"] == CALL["recording_url"]
    citizen = public.status_view(ticket)
    served = open311.service_request(ticket, NOW.tzinfo, {})
    for shown in (citizen, served):
        assert CALL["recording_url"] not in str(shown) and CALL["call_id"] not in str(shown)


def test_erasure_removes_the_recording_link():
    ticket = new_ticket("QD-20261127-00001", load_request(dict(REQUEST, **CALL), ["崂山区"]), NOW)
    assert erasure(ticket, NOW)["recording_url"] is None


def test_an_operator_ticket_keeps_its_call_through_accept():
    tickets = TicketRepository(memory_store.client()[f"calls_{id(object())}"], {})
    tickets.ensure_indexes()
    deps = deps_over(tickets, [])
    shown = accept(deps, dict(REQUEST, **CALL))
    stored = tickets.get(shown["number"])
    assert stored["call_id"] == CALL["call_id"] and stored["recording_url"] == CALL["recording_url"]
    assert shown["recording_url"] == CALL["recording_url"]
