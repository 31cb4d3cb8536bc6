"""A ticket number is issued once: a restarted intake on a fresh in-memory store,
or on a store restored from an old backup, never issues one the others hold."""
import copy
import time

import pytest
from nameko.exceptions import RemoteError

from services.followup.service import FollowupService
from services.intake.adapters.tickets import TicketRepository
from services.intake.service import IntakeService
from services.routing.service import RoutingService
from shared.platform import memory_store
from shared.platform.principals import ServiceRpcProxy
from tests.conftest import INTAKE_WAITS
from tests.people import context
from tests.races import RacyCollection, run_together

TICKET = {"title": "小区门口路灯不亮", "description": "崂山区海尔路小区门口三盏路灯坏了一周", "district": "崂山区"}


def test_the_first_two_numbers_of_a_day_at_once_are_two_numbers():
    """Guard: ``TicketRepository._counter`` updates the counter the other worker
    created (without it the loser's submission fails on DuplicateKeyError)."""
    repo = TicketRepository(memory_store.client()[f"numbers_{id(object())}"], {})
    repo.ensure_indexes()
    repo.counters = RacyCollection(repo.counters)
    assert sorted(run_together(lambda: repo.next_sequence("QD-20261127"),
                               lambda: repo.next_sequence("QD-20261127"))) == [1, 2]


def submit(config, title):
    with ServiceRpcProxy("intake", config, timeout=15, context_data=context()) as intake:
        return intake.submit_ticket(dict(TICKET, title=title))


def wait_for(predicate, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never saw {what}")


@pytest.fixture
def intake_on(container_factory, service_config):
    """Start intake on a store of its own (``name``): a restart onto an empty or old store."""
    def start(name):
        config = copy.deepcopy(service_config)
        config["MONGO_URI"] = f"{service_config['MONGO_URI']}-{name}"
        config["INTAKE"] = dict(config["INTAKE"], **INTAKE_WAITS)  # routing and followup do answer here
        container = container_factory(IntakeService, config)
        container.start()
        return container
    return start


def test_a_restarted_intake_on_an_empty_store_numbers_after_what_routing_and_followup_hold(
        container_factory, service_config, intake_on):
    container_factory(RoutingService, service_config).start()
    container_factory(FollowupService, service_config).start()
    first = intake_on("first")
    numbers = [submit(service_config, f"路灯不亮 {n}")["number"] for n in range(3)]
    with ServiceRpcProxy("followup", service_config, timeout=10, context_data=context()) as followup:
        wait_for(lambda: all(followup.get_case(n) for n in numbers), "three cases opened")

    first.stop()
    intake_on("second")  # the in-memory store is gone with the process: a fresh one
    again = submit(service_config, "路灯又坏了")
    assert again["number"] not in numbers
    assert int(again["number"].rsplit("-", 1)[1]) == int(numbers[-1].rsplit("-", 1)[1]) + 1
    with ServiceRpcProxy("followup", service_config, timeout=10, context_data=context()) as followup:
        case = wait_for(lambda: followup.get_case(again["number"]), "the new ticket's case")
    assert case["attempt"] == 1


def test_an_administrator_fences_the_numbers_after_a_restore(container_factory, service_config, intake_on):
    from hotline.people import cli_context
    from shared.platform.identity import Person, context_for

    intake_on("restored")
    with ServiceRpcProxy("intake", service_config, timeout=15, context_data=cli_context("值班员张")) as admin:
        series = admin.numbering()["series"]
    with ServiceRpcProxy("intake", service_config, timeout=15) as anonymous:
        with pytest.raises(RemoteError) as refused:
            anonymous.raise_numbers(series, 41)
        assert refused.value.exc_type == "NotAllowed"
    operator = context_for(Person("u7", "接线员李", ("operator",)), "development-only-identity-secret")
    with ServiceRpcProxy("intake", service_config, timeout=15, context_data=operator) as intake:
        with pytest.raises(RemoteError) as refused:
            intake.raise_numbers(series, 41)
        assert refused.value.exc_type == "NotAllowed"
    with ServiceRpcProxy("intake", service_config, timeout=15, context_data=cli_context("值班员张")) as admin:
        with pytest.raises(RemoteError) as refused:
            admin.raise_numbers(series, -3)
        assert refused.value.exc_type == "ValidationFailed"
        raised = admin.raise_numbers(series, 41)
        assert raised["next"] == 42
        assert admin.submit_ticket(TICKET)["number"] == f"{series}-00042"
        shown = admin.numbering(series)
    assert shown["next"] == 43


def test_a_counter_behind_intakes_own_tickets_skips_the_numbers_taken(start_service, web_session):
    container, tickets = start_service(IntakeService)
    first = web_session.post("/tickets", json=TICKET).json()["number"]
    series = first.rsplit("-", 1)[0]
    tickets.counters.delete_many({})  # the counter lost (restored older than the tickets)
    again = web_session.post("/tickets", json=dict(TICKET, title="路灯又坏了"))
    assert again.status_code == 201
    assert again.json()["number"] == f"{series}-00002"
