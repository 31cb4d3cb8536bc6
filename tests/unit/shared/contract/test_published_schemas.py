"""The JSON Schema files in docs/schemas are the code's contract, and real messages fit them."""
import json
from pathlib import Path

import jsonschema
import pytest

from operate.schemas import contract_files
from shared.contract import events
from shared.contract.jsonschema import render

FOLDER = Path(__file__).resolve().parents[4] / "docs" / "schemas"
FILES = contract_files()


@pytest.mark.parametrize("relative", sorted(FILES))
def test_the_committed_file_matches_the_code(relative):
    path = FOLDER / relative
    assert path.exists(), f"{relative} is missing: run `python -m operate.schemas`"
    assert path.read_text(encoding="utf-8") == render(FILES[relative]), \
        f"{relative} is out of date: run `python -m operate.schemas`"


def test_no_stale_files_are_left():
    committed = {str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*.schema.json")}
    assert committed == set(FILES)


def schema(relative):
    validator = jsonschema.Draft202012Validator(json.loads((FOLDER / relative).read_text(encoding="utf-8")),
                                                format_checker=jsonschema.FormatChecker())
    validator.check_schema(validator.schema)
    return validator


def test_the_example_submission_fits_and_a_malformed_one_does_not():
    from examples.submit_over_amqp import MALFORMED, SAMPLE

    submit = schema("ticket-submit.schema.json")
    good = dict(SAMPLE, source_system="city-app", external_id="A-1", api_key="hk_x")
    assert list(submit.iter_errors(good)) == []
    problems = {e.path[0] if e.path else e.validator for e in submit.iter_errors(
        dict(MALFORMED, source_system="city app!"))}
    assert {"required", "urgency", "lat", "source_system"} <= problems


def test_events_as_produced_fit_their_published_schema():
    now = events.utcnow()
    created = events.new_event(events.TicketCreated, number="QD-1", title="停水", urgency="normal",
                               channel="phone", received_at=now)
    answered = events.new_event(events.TicketAnswered, number="QD-2", title="公积金", channel="phone",
                                entry_id="KB-1", answered_at=now)
    assert list(schema("events/intake.ticket_created.schema.json").iter_errors(created)) == []
    assert list(schema("events/intake.ticket_answered.schema.json").iter_errors(answered)) == []
    assert list(schema("events/intake.ticket_created.schema.json").iter_errors(
        dict(created, urgency="whenever")))
