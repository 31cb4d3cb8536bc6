"""Proposed catalogue edits end to end within routing, over the in-memory store: mined from
stored decisions, measured on the stored history, decided by an administrator only, and an
accepted one made as a directory version with who and why."""
import datetime as dt

import mongomock
import pytest

from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.knowledge import Knowledge
from services.routing.bootstrap import Deps
from services.routing.domain.decision import Decision
from services.routing.domain.errors import ProposalInvalid, RoutingError
from services.routing.handlers import proposals
from shared.platform.identity import NotAllowed
from shared.platform.unit_of_work import UnitOfWork
from tests.people import person

T0 = dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC)
MOVE = "move_category:street-vendor:URBAN_MGMT>MARKET"
KEYWORD = "add_keyword:MARKET:摊位费"


class Caller:
    """Who calls, as ``shared.platform.identity`` hands it to a handler."""

    def __init__(self, who):
        self.person, self.presented = who, True

    def require(self, *roles):
        if roles and not self.person.has(*roles):
            raise NotAllowed(f"{self.person.name} is not {' or '.join(roles)}")
        return self.person


@pytest.fixture
def routing():
    store = DecisionRepository(mongomock.MongoClient(tz_aware=True)["hotline_routing"], {})
    store.ensure_indexes()
    knowledge = Knowledge({"ROUTING_PROPOSAL_MIN_CASES": 5})
    published = []

    def as_(*roles, name="张管理员"):
        return Deps(decisions=store, directory=store.directory, calendar=store.calendar, learning=store.learning,
                    numbers=store.numbers, proposals=store.proposals, knowledge=knowledge, clock=None,
                    caller=Caller(person(name, roles)),
                    dispatch=lambda kind, payload: published.append(kind),
                    uow=UnitOfWork(lambda kind, payload: published.append(kind)), config=knowledge.config)
    as_.published = published
    return as_


def moved(deps, n, to, **ticket):
    """``n`` tickets decided by routing, then moved to ``to`` by a dispatcher (改派), stored."""
    known = deps.known()
    numbers = []
    for _ in range(n):
        number = f"QD-20261127-{deps.decisions.decisions.count_documents({}) + 1:05d}"
        decision, outcome = Decision.received(dict(ticket, number=number, urgency="normal"), known, T0)
        doc = decision.to_doc(outcome)
        step = decision.redispatch(to, "王调度", "不属于城管", known, T0)
        doc.update(step.record)
        doc["attempts"].append(step.attempt)
        deps.decisions.decisions.insert_one(doc)
        numbers.append(number)
    return numbers


def test_the_catalogue_learns_where_a_category_belongs_once_an_administrator_accepts(routing):
    admin = routing("admin")
    behind = moved(admin, 6, "MARKET", title="市场里摊贩占道收摊位费", category="street-vendor")
    admin.learning.add_history([("摊贩占道，市场乱收摊位费", "MARKET")] * 6 + [("暖气不热", "ENERGY")] * 4, "past")

    assert proposals.propose(admin)["new"] >= 1
    listed = proposals.listing(routing("supervisor"))["items"]
    move = next(p for p in listed if p["key"] == MOVE)
    assert sorted(move["tickets"]) == behind and move["how"] == {"redispatch": 6}
    assert move["effect"]["after"]["precision"] == 1.0 > move["effect"]["before"]["precision"]

    with pytest.raises(NotAllowed):
        proposals.decide(routing("dispatcher", "supervisor", name="王调度"), MOVE, "accept", "该归市场监管")
    assert admin.known().directory.catalogue["street-vendor"]["department"] == "URBAN_MGMT"
    with pytest.raises(ProposalInvalid):
        proposals.decide(admin, MOVE, "maybe", "")

    version = admin.directory.directory_version()
    decided = proposals.decide(admin, MOVE, "accept", "集贸市场内的摊贩归市场监管")
    assert decided["state"] == "accepted" and decided["decided_by"] == "张管理员"
    assert admin.known().directory.catalogue["street-vendor"]["department"] == "MARKET"
    change = admin.directory.directory_history(limit=1)[0]
    assert (change["version"], change["action"], change["code"], change["by"]) == \
        (version + 1, "catalogue", "street-vendor", "张管理员")
    assert change["reason"] == "集贸市场内的摊贩归市场监管" and change["before"]["department"] == "URBAN_MGMT"
    assert decided["decisions"][-1]["version"] == version + 1  # the proposal names the version it made
    with pytest.raises(RoutingError):
        proposals.decide(admin, MOVE, "reject", "again")

    proposals.propose(admin)
    assert MOVE not in {p["key"] for p in proposals.listing(admin, None)["items"] if p["state"] == "pending"}


def test_an_accepted_keyword_updates_the_unit_and_announces_it(routing):
    admin = routing("admin")
    moved(admin, 5, "MARKET", title="物业收取摊位费不开票")  # 物业 sends them to HOUSING
    proposals.propose(admin)
    assert KEYWORD in {p["key"] for p in proposals.listing(admin)["items"]}

    proposals.decide(admin, KEYWORD, "accept", "摊位费归市场监管")

    assert "摊位费" in admin.known().directory.departments["MARKET"].keywords
    assert "department_changed" in routing.published
    assert admin.directory.directory_history("MARKET", 1)[0]["after"]["keywords"][-1] == "摊位费"


def test_a_rejected_proposal_stays_rejected_until_its_evidence_grows_by_half(routing):
    admin = routing("admin")
    moved(admin, 6, "MARKET", title="物业收取摊位费不开票")
    proposals.propose(admin)
    proposals.decide(admin, KEYWORD, "reject", "物业的事")

    moved(admin, 2, "MARKET", title="物业收取摊位费不开票")  # 8 < 6 * 1.5
    proposals.propose(admin)
    assert admin.proposals.get(KEYWORD)["state"] == "rejected"

    moved(admin, 1, "MARKET", title="物业收取摊位费不开票")  # 9
    proposals.propose(admin)
    again = admin.proposals.get(KEYWORD)
    assert (again["state"], again["cases"]) == ("pending", 9)
    assert [d["state"] for d in again["decisions"]] == ["rejected"]


def test_only_administrators_pass_the_doors_that_decide_and_mine():
    from services.routing.service import RoutingService
    from shared.platform.doors import People, declared

    assert declared(RoutingService, "decide_catalogue_proposal") == (People("admin"),)
    assert declared(RoutingService, "propose_catalogue_edits") == (People("admin"),)
    assert declared(RoutingService, "catalogue_proposals") == (People("dispatcher", "supervisor", "admin"),)
