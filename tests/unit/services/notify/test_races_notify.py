"""notify's watch under late and concurrent events, two workers driven step by step.

Workers are real ``NotifyService`` workers (nameko's ``worker_factory``) over
the in-memory store, whose reads yield (``tests.races``) so two handlers
meet between reading the watch and writing it.
"""
import datetime as dt
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.notify.adapters.repository import NotifyRepository
from services.notify.bootstrap import Supervision
from services.notify.service import NotifyService
from shared.contract import events
from shared.platform import memory_store
from shared.platform.config import load_config
from shared.timelimits.calendar import WeekendCalendar
from tests.races import RacyCollection, run_together

NUMBER = "QD-20261127-00007"


class Directory:
    """What notify knows of routing's directory, here: names and no contacts."""

    calendar = WeekendCalendar()

    def name(self, code, language=None):
        return code

    def contacts(self, code):
        return {}


@pytest.fixture
def notify():
    config = load_config()
    repo = NotifyRepository(memory_store.client()[f"notify_{id(object())}"], config)
    repo.ensure_indexes()
    repo.watches = RacyCollection(repo.watches, key=("number",))
    repo.outbox.collection = repo.watches
    supervision = Supervision(config, Directory())

    def worker():
        return worker_factory(NotifyService, watches=repo, rules=supervision,
                              clock=SimpleNamespace(now=events.utcnow), dispatch=mock.Mock(),
                              dead_letters=mock.Mock())
    return worker, repo


def assigned(department, attempt, at):
    return events.new_event(
        events.TicketAssigned, number=NUMBER, department_code=department, department_name=department,
        time_limit_class="general", deadline=at + dt.timedelta(days=7),
        sign_for_deadline=at + dt.timedelta(days=1), assigned_at=at, decided_by="routing",
        attempt=attempt)


def opened(department, attempt, at):
    return events.new_event(
        events.CaseOpened, number=NUMBER, department_code=department, opened_at=at,
        deadline=at + dt.timedelta(days=7), sign_for_deadline=at + dt.timedelta(days=1),
        attempt=attempt)


def refused(department, attempt, at):
    return events.new_event(events.CaseRefused, number=NUMBER, department_code=department,
                            reason="不属于本单位职责", refused_at=at, attempt=attempt)


def case_with_water_then_refused():
    """WATER had the case and refused it; ENERGY's case is opened: (refusal, opening)."""
    t0 = events.utcnow() - dt.timedelta(hours=2)
    return (assigned("WATER", 1, t0), opened("WATER", 1, t0 + dt.timedelta(seconds=1)),
            refused("WATER", 1, t0 + dt.timedelta(hours=1)),
            opened("ENERGY", 2, t0 + dt.timedelta(hours=1, minutes=1)))


def test_a_refusal_handled_after_the_new_departments_case_opened_does_not_stop_the_chase(notify):
    """Guard: ``domain._refused`` ignores a refusal of an earlier attempt."""
    worker, repo = notify
    first, first_opened, refusal, second_opened = case_with_water_then_refused()
    worker().on_ticket_assigned(first)
    worker().on_case_opened(first_opened)
    worker().on_case_opened(second_opened)   # ENERGY's case opened ...
    worker().on_case_refused(refusal)        # ... before WATER's refusal was handled here
    watch = repo.get(NUMBER)
    assert (watch["state"], watch["department_code"], watch["attempt"]) == ("watching", "ENERGY", 2)
    assert watch["next_check_at"] is not None


def test_a_refusal_racing_the_new_departments_case_leaves_it_watched(notify):
    """Two workers at once: the opening writes first, the refusal (read before it)
    retries on the changed watch. Guard: ``domain._refused``'s attempt check."""
    worker, repo = notify
    first, first_opened, refusal, second_opened = case_with_water_then_refused()
    worker().on_ticket_assigned(first)
    worker().on_case_opened(first_opened)
    run_together(lambda: worker().on_case_opened(second_opened),
                 lambda: worker().on_case_refused(refusal))
    watch = repo.get(NUMBER)
    assert (watch["state"], watch["department_code"]) == ("watching", "ENERGY")


def test_an_assignment_heard_late_or_already_refused_is_not_chased(notify):
    worker, repo = notify
    first, first_opened, refusal, second_opened = case_with_water_then_refused()
    # The refusal first, then WATER's assignment (different queues): WATER is not chased.
    worker().on_case_refused(refusal)
    worker().on_ticket_assigned(first)
    assert repo.get(NUMBER)["state"] == "refused"
    worker().on_case_opened(second_opened)
    worker().on_case_opened(first_opened)  # WATER's case_opened, very late
    watch = repo.get(NUMBER)
    assert (watch["state"], watch["department_code"], watch["round"]) == ("watching", "ENERGY", 2)


def test_a_late_sign_for_of_the_refusing_department_does_not_mark_the_new_one(notify):
    worker, repo = notify
    first, first_opened, refusal, second_opened = case_with_water_then_refused()
    for handler, event in ((worker().on_ticket_assigned, first), (worker().on_case_opened, first_opened),
                           (worker().on_case_refused, refusal), (worker().on_case_opened, second_opened)):
        handler(event)
    signed = events.new_event(events.CaseSignedFor, number=NUMBER, department_code="WATER",
                              signed_at=dt.datetime.fromisoformat(first_opened["opened_at"]))
    worker().on_case_signed_for(signed)
    assert repo.get(NUMBER)["signed_for"] is False  # ENERGY still gets its sign-for reminder
