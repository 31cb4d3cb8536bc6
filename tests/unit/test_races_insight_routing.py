"""Races that mongomock hides, made to happen (``tests.races``): insight and routing.

Each test drives two workers into the window a real MongoDB leaves open and
checks nothing is lost. Each fails with its guard removed (see the docstrings).
"""
import datetime as dt

from services.insight.store import InsightRepository
from services.routing.adapters.decisions import DecisionRepository
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


def routing():
    store = DecisionRepository(database("routing"), {})
    store.ensure_indexes()
    repo = store.learning  # what the model learns from, beside the decisions
    repo.examples = RacyCollection(repo.examples, key=("number",))
    return repo


def test_the_same_closed_ticket_learnt_twice_at_once_is_one_example_and_no_error():
    """Guard: ``LearningRepository.add_outcome`` applies the loser's update to the
    winner's document (without it the loser raises DuplicateKeyError, which
    routing's handler dead-letters)."""
    repo = routing()
    results = run_together(lambda: repo.add_outcome(NUMBER, "停水两天", "WATER"),
                           lambda: repo.add_outcome(NUMBER, "停水两天", "WATER"))
    assert results == [None, None]
    assert repo.examples.count_documents({"number": NUMBER}) == 1
