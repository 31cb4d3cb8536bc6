"""Fixtures of the unit tests of routing's decisions."""
import pytest

from services.routing.domain import Directory
from shared.city import load_city


@pytest.fixture(scope="session")
def directory():
    """The seed city's directory (Qingdao), as routing loads it."""
    return Directory.from_dict(load_city({}))


def routing_ticket(**fields):
    """A ``ticket_created`` body as routing sees it, with ``fields`` over the defaults."""
    return {"number": "QD-1", "title": "", "description": "", "category": None,
            "district": None, "urgency": "normal", **fields}
