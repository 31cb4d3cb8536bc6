"""The event contract: envelopes, validation on both sides, outbox."""
import dataclasses
import datetime as dt

import mongomock
import pytest
from marshmallow import ValidationError

from shared.contract import events, messages
from shared.platform.outbox import Outbox, outboxed, publish_pending

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def created(**overrides):
    body = {"number": "QD-20261126-00001", "title": "停水", "urgency": "normal",
            "channel": "phone", "received_at": NOW}
    body.update(overrides)
    return events.new_event(events.TicketCreated, **body)


def test_every_event_has_an_envelope():
    first, second = created(), created()
    assert first["event_id"] != second["event_id"]
    assert first["schema_version"] == events.SCHEMA_VERSION
    assert dt.datetime.fromisoformat(first["occurred_at"]).tzinfo is not None


def test_producers_cannot_break_the_contract():
    with pytest.raises(ValidationError) as info:
        created(urgency="whenever")
    assert "urgency" in info.value.messages


def test_consumers_ignore_fields_they_do_not_know():
    payload = dict(created(), added_later="fine")
    loaded = events.TicketCreated().load(payload)
    assert "added_later" not in loaded
    assert loaded["received_at"] == NOW


def test_contract_names_source_and_type():
    assert events.CONTRACT[("routing", "ticket_assigned")] is events.TicketAssigned


def test_every_event_is_a_typed_class_whose_schema_is_built_from_it():
    assert [typed.__name__ for typed in messages.EVENTS] == [s.__name__ for s in events.CONTRACT.values()]
    for (source, event_type), schema_cls in events.CONTRACT.items():
        typed = schema_cls.typed
        assert issubclass(typed, messages.Event) and getattr(messages, typed.__name__) is typed
        assert (typed.source, typed.event_type) == (source, event_type)
        assert issubclass(schema_cls, events.Envelope)
        assert list(schema_cls().fields) == [f.name for f in dataclasses.fields(typed)]
        envelope = {f.name for f in dataclasses.fields(messages.Event)}
        assert envelope == {"event_id", "occurred_at", "schema_version"}
        required = {name for name, f in schema_cls().fields.items() if f.required}
        assert required >= envelope


def test_a_typed_event_round_trips_through_its_schema():
    event = messages.TicketAssigned(
        number="QD-20261126-00001", department_code="water", department_name="水务局",
        time_limit_class="general", deadline=NOW, sign_for_deadline=NOW, assigned_at=NOW,
        decided_by="routing", reason_codes=[messages.CodedReason(code="said", params={"text": "why"})])
    payload = events.payload(event)
    assert payload["event_id"] == event.event_id and payload["schema_version"] == events.SCHEMA_VERSION
    assert payload["reason_codes"] == [{"code": "said", "params": {"text": "why"}}]
    assert events.load(messages.TicketAssigned, dict(payload, added_later=1)) == event
    with pytest.raises(ValidationError):
        events.payload(dataclasses.replace(event, urgency="whenever"))


def test_outbox_publishes_then_forgets():
    collection = mongomock.MongoClient(tz_aware=True).db.tickets
    outbox = Outbox(collection)
    event = created()
    doc_id = collection.insert_one({"number": "QD-1", "outbox": [outboxed("ticket_created", event)]}).inserted_id
    sent = []
    assert publish_pending(outbox, lambda kind, payload: sent.append((kind, payload)), doc_id) == 1
    assert sent == [("ticket_created", event)]
    assert collection.find_one({"_id": doc_id})["outbox"] == []
    assert publish_pending(outbox, lambda *a: sent.append(a), grace_seconds=0) == 0


def test_a_failed_publish_stays_in_the_outbox_for_the_timer():
    collection = mongomock.MongoClient(tz_aware=True).db.tickets
    outbox = Outbox(collection)
    doc_id = collection.insert_one({"outbox": [outboxed("ticket_created", created())]}).inserted_id

    def broker_down(kind, payload):
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        publish_pending(outbox, broker_down, doc_id)
    sent = []
    assert publish_pending(outbox, lambda *a: sent.append(a), grace_seconds=0) == 1
    assert len(sent) == 1


def test_the_typed_events_need_no_marshmallow():
    """A domain package builds and returns these events: they import nothing but Python."""
    import subprocess
    import sys

    code = ("import sys, shared.contract.messages; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'marshmallow', 'nameko', 'pymongo'}))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
