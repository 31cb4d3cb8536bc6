"""intake's status view applies the other services' events in any order, at once,
and twice, with a ticket document that does not grow with them."""
import datetime as dt

import bson
import pytest

from services.intake import domain
from services.intake.adapters.tickets import HISTORY_KEPT, TicketRepository
from shared.contract import events
from shared.platform import memory_store
from tests.races import RacyCollection, run_together
from tests.unit.conftest import intake_worker

NUMBER = "QD-20261127-00003"
T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def intake():
    repo = TicketRepository(memory_store.client()[f"intake_{id(object())}"], {})
    repo.ensure_indexes()
    request = {"title": "小区停水", "description": "", "caller_name": None, "caller_phone": None,
               "channel": "phone", "urgency": "normal"}
    repo.add(domain.new_ticket(NUMBER, request, T0), [])
    return (lambda: intake_worker(repo)), repo


def at(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def event(schema, minutes, **body):
    payload = events.new_event(schema, number=NUMBER, **body)
    payload["occurred_at"] = at(minutes).isoformat()  # when it happened at its source
    return payload


def test_an_extension_handled_after_the_reopening_does_not_move_the_deadline_back(intake):
    worker, repo = intake
    assigned = event(events.TicketAssigned, 1, department_code="WATER", department_name="市水务管理局",
                     time_limit_class="general", deadline=at(7 * 1440), sign_for_deadline=at(1440),
                     assigned_at=at(1), decided_by="routing")
    extended = event(events.ExtensionDecided, 60, department_code="WATER", granted=True,
                     deadline=at(14 * 1440), decided_at=at(60))
    reopened = event(events.CaseReopened, 120, department_code="WATER", deadline=at(20 * 1440),
                     sign_for_deadline=at(1560), reopened_at=at(120))
    # different queues: the reopening first, then the extension, then the assignment
    worker().on_case_reopened(reopened)
    worker().on_extension_decided(extended)
    worker().on_ticket_assigned(assigned)
    ticket = repo.get(NUMBER)
    assert ticket["status"] == "reopened"
    assert ticket["deadline"] == at(20 * 1440)
    assert ticket["department"]["code"] == "WATER"  # the assignment's own fields still land
    statuses = [entry["status"] for entry in repo.history_of(ticket)]
    assert statuses == ["received", "assigned", "extension_granted", "reopened"]


def test_two_copies_of_an_event_at_once_leave_one_history_entry(intake):
    """Guard: the history entry's id is ``<number>:<event_id>``, under the unique ``_id``."""
    worker, repo = intake
    repo.history = RacyCollection(repo.history, yield_before=("insert_one",))
    repo.tickets = RacyCollection(repo.tickets, key=("number",), yield_before=("find_one_and_update",))
    escalated = event(events.TicketEscalated, 5, department_code="WATER", level="red_card",
                      escalated_at=at(5))
    run_together(lambda: worker().on_ticket_escalated(dict(escalated)),
                 lambda: worker().on_ticket_escalated(dict(escalated)))
    ticket = repo.get(NUMBER)
    assert [e["status"] for e in repo.history_of(ticket)] == ["received", "escalated"]
    assert [e["status"] for e in ticket["history"]] == ["received", "escalated"]


def test_a_ticket_escalated_for_ever_keeps_a_document_of_the_same_size(intake):
    worker, repo = intake

    def escalate(n):
        worker().on_ticket_escalated(event(events.TicketEscalated, n, department_code="WATER",
                                           level=f"supervision_{n}", escalated_at=at(n)))

    for n in range(1, 201):  # from here on every level has three digits: the entries have one size
        escalate(n)
    size = len(bson.encode(repo.tickets.find_one({"number": NUMBER})))
    for n in range(201, 301):
        escalate(n)
    stored = repo.tickets.find_one({"number": NUMBER})
    assert len(bson.encode(stored)) <= size + 64  # no list in it grows
    assert len(stored["history"]) == HISTORY_KEPT
    assert repo.history.count_documents({"number": NUMBER}) == 301
    view = repo.history_of(stored)
    assert view[0]["status"] == "received" and view[-1]["note"].endswith("supervision_300")


def checks(repo):
    """The checks the ticket still has (one done is null)."""
    return {stage: check for stage, check in
            (repo.tickets.find_one({"number": NUMBER}).get("check") or {}).items() if check}


@pytest.fixture
def promising(intake):
    """intake whose view also keeps what each ticket is owed (the reconciler's checks)."""
    worker, repo = intake
    repo.tickets.update_one({"number": NUMBER}, {"$set": {"check": {"dispatch": {
        "attempt": 0, "since": T0, "due": at(2), "overdue_at": at(2), "repairs": 0}}}})
    return worker, repo


def assigned(attempt, minutes, department="WATER"):
    return event(events.TicketAssigned, minutes, department_code=department, department_name=department,
                 time_limit_class="general", deadline=at(7 * 1440), sign_for_deadline=at(1440),
                 assigned_at=at(minutes), decided_by="routing", attempt=attempt)


def opened(attempt, minutes, department="WATER"):
    return event(events.CaseOpened, minutes, department_code=department, deadline=at(7 * 1440),
                 sign_for_deadline=at(1440), opened_at=at(minutes), attempt=attempt)


def test_a_case_heard_before_its_assignment_is_not_awaited(promising):
    worker, repo = promising
    worker().on_case_opened(opened(1, 2))
    worker().on_ticket_assigned(assigned(1, 1))
    owed = checks(repo)
    assert "dispatch" not in owed and "case" not in owed
    assert owed["watch"]["attempt"] == 1  # notify has not said it watches yet


def test_a_late_case_of_the_first_department_does_not_satisfy_the_second(promising):
    worker, repo = promising
    worker().on_ticket_assigned(assigned(1, 1))
    worker().on_case_refused(event(events.CaseRefused, 30, department_code="WATER", reason="不归我们管",
                                   refused_at=at(30), attempt=1))
    worker().on_ticket_assigned(assigned(2, 31, "ENERGY"))
    worker().on_case_opened(opened(1, 2))  # WATER's case_opened, delivered very late
    owed = checks(repo)
    assert owed["case"]["attempt"] == 2 and "dispatch" not in owed
    worker().on_case_opened(opened(2, 32, "ENERGY"))
    assert "case" not in checks(repo)


def test_a_queue_for_the_dispatchers_heard_before_the_refusal_is_not_owed_again(promising):
    worker, repo = promising
    worker().on_ticket_assigned(assigned(1, 1))
    worker().on_ticket_awaiting_dispatch(event(events.TicketAwaitingDispatch, 31, queued_at=at(31), attempt=2))
    worker().on_case_refused(event(events.CaseRefused, 30, department_code="WATER", reason="不归我们管",
                                   refused_at=at(30), attempt=1))
    assert "dispatch" not in checks(repo)


def test_the_status_view_takes_the_request_type_routing_assigned(intake):
    worker, repo = intake
    body = dict(department_code="WATER", department_name="市水务管理局", time_limit_class="general",
                deadline=at(7 * 1440), sign_for_deadline=at(1440), assigned_at=at(1), decided_by="routing")
    worker().on_ticket_assigned(event(events.TicketAssigned, 1, **body))  # an older routing: no type
    assert repo.get(NUMBER).get("request_type") is None
    worker().on_ticket_assigned(event(events.TicketAssigned, 2, **dict(body, attempt=2, assigned_at=at(2)),
                                      request_type="consultation", request_type_source="suggested"))
    assert repo.get(NUMBER)["request_type"] == "consultation"
    assert domain.public_view(repo.get(NUMBER))["request_type"] == "consultation"
