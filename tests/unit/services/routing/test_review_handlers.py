"""The review list within routing, over the in-memory store: computed from stored decisions and
examples, labelled by a dispatcher only, and each label a weighted example for the next training."""
import mongomock
import pytest

from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.knowledge import Knowledge
from services.routing.bootstrap import Deps
from services.routing.domain.errors import RoutingError
from services.routing.handlers import review
from services.routing.learning.classifier import TextModel
from services.routing.learning.synthetic import generate
from shared.platform.identity import NotAllowed
from shared.platform.unit_of_work import UnitOfWork
from tests.people import person
from tests.unit.services.routing.test_catalogue_proposal_handlers import Caller

WATER_TEXT = "自来水停水了，水管没有水，请尽快恢复供水，联系电话13912345678"


@pytest.fixture
def routing():
    store = DecisionRepository(mongomock.MongoClient(tz_aware=True)["hotline_routing"], {})
    store.ensure_indexes()
    knowledge = Knowledge({})
    rows = generate(8, seed=2)
    knowledge.ready(store).model = TextModel.train([t for t, _ in rows], [c for _, c in rows], version=1)

    def as_(*roles, name="王调度"):
        return Deps(decisions=store, directory=store.directory, calendar=store.calendar, learning=store.learning,
                    numbers=store.numbers, proposals=store.proposals, knowledge=knowledge, clock=None,
                    caller=Caller(person(name, roles)), dispatch=lambda kind, payload: None,
                    uow=UnitOfWork(lambda kind, payload: None), config=knowledge.config)
    return as_


def automatic(store, number, first, second):
    store.decisions.insert_one({
        "number": number, "status": "assigned", "rule": "classifier", "department_code": "URBAN_MGMT",
        "confidence": first, "decided_at": "2026-12-05T08:00:00Z",
        "ticket": {"title": "小区门口占道经营", "description": "摊贩很多", "address": "书院路88号"},
        "suggestions": [{"department_code": "URBAN_MGMT", "confidence": first},
                        {"department_code": "MARKET", "confidence": second}]})


def test_a_dispatcher_confirms_or_corrects_the_list_and_the_labels_weigh_in_the_next_training(routing):
    dispatcher, supervisor = routing("dispatcher"), routing("supervisor")
    automatic(dispatcher.decisions, "QD-20261205-00001", 0.46, 0.41)   # close: listed
    automatic(dispatcher.decisions, "QD-20261205-00002", 0.95, 0.02)   # sure: not listed
    dispatcher.learning.add_outcome("QD-20261204-00009", WATER_TEXT, "URBAN_MGMT")  # the model says water
    listed = review.review_list(supervisor)["items"]
    assert [(i["number"], i["why"]) for i in listed] == [("QD-20261205-00001", "low_margin"),
                                                         ("QD-20261204-00009", "contradicted")]
    contradicted = listed[1]
    assert (contradicted["department_code"], contradicted["suggested"]) == ("URBAN_MGMT", "WATER")
    assert "13912345678" not in contradicted["text"] and contradicted["department_name"]
    assert review.review_list(dispatcher)["items"] == listed

    with pytest.raises(NotAllowed):  # a supervisor reads the list; a dispatcher labels
        review.review_label(supervisor, "QD-20261205-00001", "URBAN_MGMT")
    with pytest.raises(RoutingError):
        review.review_label(dispatcher, "QD-20261205-00001", "NO_SUCH_UNIT")
    confirmed = review.review_label(dispatcher, "QD-20261205-00001", "URBAN_MGMT")
    corrected = review.review_label(dispatcher, "QD-20261204-00009", "WATER")
    assert (confirmed["confirmed"], corrected["confirmed"], corrected["was"]) == (True, False, "URBAN_MGMT")
    assert review.review_list(dispatcher)["items"] == []  # both labelled: off the list

    dispatcher.learning.add_outcome("QD-20261204-00009", WATER_TEXT, "URBAN_MGMT")  # a late close keeps the label
    examples = {e["number"]: e for e in dispatcher.learning.dated_examples()}
    learned = {n: (e["department_code"], e.get("weight")) for n, e in examples.items()}
    assert learned == {"QD-20261205-00001": ("URBAN_MGMT", 2.0), "QD-20261204-00009": ("WATER", 2.0)}
    assert "占道经营" in examples["QD-20261205-00001"]["text"]  # the ticket's own words, from the decision
