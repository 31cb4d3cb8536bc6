"""Races that mongomock hides, made to happen (``tests.races``): routing.

Each test drives two workers into the window a real MongoDB leaves open and
checks nothing is lost. Each fails with its guard removed (see the docstrings).
"""
from services.routing.adapters.decisions import DecisionRepository
from shared.platform import memory_store
from tests.races import RacyCollection, run_together

NUMBER = "QD-20261127-00001"


def database(name):
    return memory_store.client()[f"races_{name}_{id(object())}"]


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
