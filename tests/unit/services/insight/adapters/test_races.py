"""Races that mongomock hides, made to happen (``tests.races``): insight.

Routing's are in ``tests/unit/services/routing/adapters/test_races.py``.

Each test drives two workers into the window a real MongoDB leaves open and
checks nothing is lost. Each fails with its guard removed (see the docstrings).
"""
import datetime as dt

from services.insight.adapters.repository import InsightRepository
from shared.platform import memory_store
from tests.races import RacyCollection, run_together

NUMBER = "QD-20261127-00001"
AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def database(name):
    return memory_store.client()[f"races_{name}_{id(object())}"]


def insight():
    repo = InsightRepository(database("insight"), {})
    repo.ensure_indexes()
    repo.requests = RacyCollection(repo.requests)
    return repo


def test_two_events_of_a_new_ticket_at_once_are_both_kept_by_insight():
    """Guard: ``InsightRepository.apply`` retries an upsert that lost the race
    (returning False on DuplicateKeyError instead loses the department)."""
    repo = insight()
    run_together(
        lambda: repo.apply(NUMBER, {"title": "停水", "received_at": AT}),
        lambda: repo.apply(NUMBER, {"department_code": "WATER"}, newer=("assignment_attempt", 1)))
    doc = repo.get(NUMBER)
    assert (doc.get("title"), doc.get("department_code")) == ("停水", "WATER")


def test_insight_keeps_the_later_assignment_whatever_the_order():
    repo = insight()
    repo.apply(NUMBER, {"department_code": "ENERGY"}, newer=("assignment_attempt", 2))
    assert not repo.apply(NUMBER, {"department_code": "WATER"}, newer=("assignment_attempt", 1))
    repo.apply(NUMBER, maxima={"outcome.rejections": 2})
    repo.apply(NUMBER, maxima={"outcome.rejections": 1})  # the first rejection, redelivered late
    doc = repo.get(NUMBER)
    assert doc["department_code"] == "ENERGY" and doc["outcome"] == {"rejections": 2}
