"""The Decision aggregate: each transition checks itself and returns the event it causes.

No nameko, no store: the directory of the seed city, the keyword learner, a fixed clock.
"""
import datetime as dt

import pytest

from services.routing.domain.decision import Decision, Known, check_same_ticket
from services.routing.domain.errors import NumberReused, RoutingError
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.conftest import routing_ticket as ticket

T0 = dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC)


@pytest.fixture
def known(directory):
    return Known(directory, None, 0.5, DeadlinePolicy(calendar=ChineseCalendar()))


def stored(decision, outcome):
    """The decision as the repository would load it back."""
    return Decision.from_doc(decision.to_doc(outcome))


def test_a_new_ticket_is_decided_and_its_document_keeps_the_first_attempt(known):
    decision, outcome = Decision.received(dict(ticket(title="暖气不热", category="heating"), event_id="e1",
                                               received_at=T0), known, T0)
    assert outcome.kind == "ticket_assigned" and outcome.body["department_code"] == "ENERGY"
    doc = decision.to_doc(outcome)
    assert (doc["number"], doc["status"], doc["seen_events"], doc["priority"]) == ("QD-1", "assigned", ["e1"], 2)
    assert doc["attempts"] == [outcome.attempt] and doc["ticket"]["received_at"] == T0


def test_a_dispatcher_assigns_only_a_waiting_ticket(known):
    decision, outcome = Decision.received(ticket(title="有事反映"), known, T0)
    assert outcome.kind == "ticket_awaiting_dispatch"
    waiting = stored(decision, outcome)
    assert waiting.expected == {"status": "awaiting_dispatch"}
    with pytest.raises(RoutingError, match="no department NO_SUCH"):
        waiting.assign("NO_SUCH", "王调度", "试试", known, T0)
    assigned = waiting.assign("WATER", "王调度", "停水", known, T0)
    assert (assigned.body["decided_by"], assigned.body["rule"], assigned.body["attempt"]) == ("王调度", "operator", 1)
    with pytest.raises(RoutingError, match="not waiting"):
        waiting.assign("ENERGY", "李调度", "再派", known, T0)


def test_a_redispatch_moves_the_ticket_and_names_where_it_was(known):
    decision, outcome = Decision.received(ticket(title="暖气不热", category="heating"), known, T0)
    held = stored(decision, outcome)
    assert held.expected == {"status": "assigned", "department_code": "ENERGY"}
    with pytest.raises(RoutingError, match="already"):
        held.redispatch("ENERGY", "王调度", "就是它", known, T0)
    moved = held.redispatch("WATER", "王调度", "其实是供水", known, T0)
    assert moved.body["redispatched"] and moved.body["previous_department_code"] == "ENERGY"
    assert moved.body["attempt"] == 2 and held.department_code == "WATER"


def test_the_second_refusal_asks_a_person(known):
    decision, outcome = Decision.received(ticket(title="小区停水两天了", district="崂山区"), known, T0)
    held = stored(decision, outcome)
    first = held.refused({"department_code": "WATER", "reason": "不是我们", "event_id": "r1"}, known, T0)
    assert first.kind == "ticket_assigned" and first.event_id == "r1" and first.refusal["department_code"] == "WATER"
    second = held.refused({"department_code": first.body["department_code"], "reason": "也不是",
                           "refusal_count": 2, "event_id": "r2"}, known, T0)
    assert second.kind == "ticket_awaiting_dispatch" and second.record["rule"] == "arbitration"
    assert [r["department_code"] for r in held.refusals] == ["WATER", first.body["department_code"]]


def test_a_number_held_for_another_ticket_is_refused():
    held = {"ticket": {"received_at": T0}}
    with pytest.raises(NumberReused):
        check_same_ticket(held, {"number": "QD-1", "received_at": T0 + dt.timedelta(seconds=1)})


def test_a_raised_case_goes_to_the_parent_as_a_redispatch(known):
    decision, outcome = Decision.received(ticket(title="暖气不热", category="heating"), known, T0)
    held = stored(decision, outcome)
    raised = held.raised({"number": "QD-1", "department_code": "ENERGY", "to_department_code": "WATER",
                          "reopen_count": 2, "event_id": "x1"}, known, T0)
    assert raised.kind == "ticket_assigned" and raised.event_id == "x1"
    assert raised.body["redispatched"] and raised.body["previous_department_code"] == "ENERGY"
    assert (raised.body["department_code"], raised.body["rule"], raised.body["attempt"]) == ("WATER", "raised", 2)
    assert raised.body["reason_codes"][0]["code"] == "raised_from"


@pytest.mark.parametrize("to", [None, "NO_SUCH", "ENERGY"])
def test_a_raised_case_without_a_parent_in_service_waits_for_the_dispatchers(known, to):
    decision, outcome = Decision.received(ticket(title="暖气不热", category="heating"), known, T0)
    held = stored(decision, outcome)
    raised = held.raised({"number": "QD-1", "department_code": "ENERGY", "to_department_code": to,
                          "reopen_count": 2, "event_id": "x1"}, known, T0)
    assert raised.kind == "ticket_awaiting_dispatch" and raised.record["rule"] == "raised"
    assert raised.body["previous_department_code"] == "ENERGY" and held.status == "awaiting_dispatch"
    assert [r["code"] for r in raised.body["reason_codes"]] == ["raised_from", "raised_to_centre"]


def test_co_handlers_come_from_the_dispatcher_and_the_catalogue_once_each(known):
    """协办: the units a dispatcher names, and those the category's catalogue entry lists
    (``co_handlers``), in service, never the lead, each once."""
    from dataclasses import replace as dc_replace

    from services.routing.domain.directory import Directory

    directory = known.directory
    entries = [dict(entry, co_handlers=["WATER", "NO_SUCH", "ENERGY"]) if entry["code"] == "heating" else entry
               for entry in directory.catalogue.values()]
    with_co = dc_replace(known, directory=Directory(directory.all.values(), entries, directory.version))
    decision, outcome = Decision.received(ticket(title="暖气不热", category="heating"), with_co, T0)
    assert outcome.body["department_code"] == "ENERGY"
    assert [c["department_code"] for c in outcome.body["co_handlers"]] == ["WATER"]  # not the lead, not unknown

    waiting, queued = Decision.received(ticket(title="有事反映"), known, T0)
    with pytest.raises(RoutingError, match="NO_SUCH"):
        stored(waiting, queued).assign("WATER", "王调度", "停水", known, T0, ["NO_SUCH"])
    assigned = stored(waiting, queued).assign("WATER", "王调度", "停水", known, T0, ["ENERGY", "WATER"])
    assert [c["department_code"] for c in assigned.body["co_handlers"]] == ["ENERGY"]
