"""Fixtures of the unit tests of routing's decisions."""
import pytest

from services.routing.domain.directory import Directory
from shared.platform.city import load_city


@pytest.fixture(scope="session")
def directory():
    """The seed city's directory (Qingdao), as routing loads it."""
    return Directory.from_dict(load_city({}))


def routing_ticket(**fields):
    """A ``ticket_created`` body as routing sees it, with ``fields`` over the defaults."""
    return {"number": "QD-1", "title": "", "description": "", "category": None,
            "district": None, "urgency": "normal", **fields}


def intake_worker(tickets):
    """intake's service as one worker runs its event handlers over ``tickets`` (the
    reconciler's default rules). A handler that fails, and so would dead-letter its event,
    fails the test."""
    from types import SimpleNamespace
    from unittest import mock

    from nameko.testing.services import worker_factory

    from services.intake.domain.reconcile import ReconcileRules
    from services.intake.service import IntakeService

    def dead_letter(payload, reason, origin):
        raise AssertionError(f"{origin} dead-lettered: {reason}")

    return worker_factory(IntakeService, tickets=tickets, dead_letters=mock.Mock(side_effect=dead_letter),
                          reconciling=SimpleNamespace(rules=ReconcileRules.from_config({}), owner="test"))
