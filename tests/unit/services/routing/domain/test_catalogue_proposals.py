"""Routing proposes edits to the catalogue and the units' keywords from what the work showed.

Decisions are made by the real aggregate (received, refused, re-dispatched, assigned by a
dispatcher) and stored as the repository stores them; the miner reads them back.
"""
import datetime as dt

from services.routing.domain import catalogue_proposals as proposals
from services.routing.domain.catalogue_proposals import Proposal, Thresholds, effect, mine, replay, still_open
from services.routing.domain.decision import Decision, Known
from services.routing.domain.directory import Directory
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy

T0 = dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC)

CITY = Directory(
    [{"code": "URBAN", "name": "城管局", "keywords": ["占道"]},
     {"code": "TRAFFIC", "name": "交通局", "keywords": ["公交"]},
     {"code": "MARKET", "name": "市场监管局", "keywords": ["假货"]},
     {"code": "POLICE", "name": "公安局", "keywords": ["打架"]}],
    [{"code": "bikes", "name": "共享单车", "department": "URBAN", "keywords": ["共享单车"]},
     {"code": "vendors", "name": "占道经营", "department": "URBAN", "keywords": ["摊贩"]}])


def known(directory=CITY):
    return Known(directory, None, 0.5, DeadlinePolicy(calendar=ChineseCalendar()))


class Store:
    """Decision documents as ``adapters.decisions`` keeps them (attempts, refusals, current fields)."""

    def __init__(self):
        self.docs = []
        self.count = 0

    def new(self, **ticket):
        self.count += 1
        number = f"QD-20261127-{self.count:05d}"
        decision, outcome = Decision.received(dict({"number": number, "urgency": "normal"}, **ticket),
                                              known(), T0)
        doc = decision.to_doc(outcome)
        self.docs.append(doc)
        return decision, doc

    def step(self, decision, doc, outcome):
        doc.update(outcome.record)
        doc["attempts"].append(outcome.attempt)
        if outcome.refusal:
            doc["refusals"].append(outcome.refusal)

    def refused_then_arbitrated(self, to, **ticket):
        """Refused (a city that arbitrates at the first refusal), then a dispatcher places it with ``to``."""
        decision, doc = self.new(**ticket)
        self.step(decision, doc, decision.refused(
            {"number": doc["number"], "department_code": decision.department_code,
             "reason": "不属于本单位职责", "event_id": "r1"}, known(), T0, max_refusals=1))
        self.step(decision, doc, decision.assign(to, "王调度", "仲裁", known(), T0))
        return doc

    def redispatched(self, to, **ticket):
        decision, doc = self.new(**ticket)
        self.step(decision, doc, decision.redispatch(to, "王调度", "不是城管的", known(), T0))
        return doc

    def trails(self):
        return [t for t in map(proposals.trail_of, self.docs) if t is not None]


def test_a_category_refused_by_its_unit_and_placed_with_another_ten_times_is_proposed_to_move():
    store = Store()
    moved = [store.refused_then_arbitrated("TRAFFIC", title="共享单车乱停", category="bikes")["number"]
             for _ in range(6)]
    moved += [store.redispatched("TRAFFIC", title="共享单车堵门", category="bikes")["number"] for _ in range(4)]
    store.new(title="共享单车", category="bikes")  # one stays with URBAN

    found = mine(store.trails(), CITY, Thresholds(min_cases=10, min_share=0.5))

    move = [p for p in found if p.kind == "move_category"]
    assert [(p.key, p.category, p.source, p.target) for p in move] == \
        [("move_category:bikes:URBAN>TRAFFIC", "bikes", "URBAN", "TRAFFIC")]
    assert sorted(move[0].tickets) == sorted(moved) and (move[0].cases, move[0].considered) == (10, 11)
    assert move[0].how == {"refused": 6, "redispatch": 4, "arbitration": 6}


def test_below_the_threshold_nothing_is_proposed():
    store = Store()
    for _ in range(9):
        store.refused_then_arbitrated("TRAFFIC", title="共享单车乱停", category="bikes")
    assert not [p for p in mine(store.trails(), CITY, Thresholds(min_cases=10)) if p.kind == "move_category"]
    for _ in range(12):  # enough tickets, but most stay where the catalogue sends them
        store.new(title="共享单车", category="bikes")
    store.refused_then_arbitrated("TRAFFIC", title="共享单车乱停", category="bikes")
    assert not [p for p in mine(store.trails(), CITY, Thresholds(min_cases=10, min_share=0.5))
                if p.kind == "move_category"]


def test_a_word_the_right_unit_lacks_is_proposed_as_its_keyword():
    store = Store()
    # 占道 sent them to URBAN; MARKET took them over
    numbers = [store.redispatched("MARKET", title="摊位占道，商家拒绝退款")["number"] for _ in range(3)]
    numbers += [store.redispatched("MARKET", title=f"{i}号店铺占道，预付卡不给退款")["number"] for i in range(3)]
    store.new(title="路边占道")  # 占道 stays URBAN's: never proposed to another unit
    found = [p for p in mine(store.trails(), CITY, Thresholds(min_cases=5)) if p.kind == "add_keyword"]
    assert [(p.key, p.target, p.keyword) for p in found] == [("add_keyword:MARKET:退款", "MARKET", "退款")]
    assert sorted(found[0].tickets) == sorted(numbers) and found[0].how == {"redispatch": 6}
    assert not [p for p in mine(store.trails(), CITY, Thresholds(min_cases=7)) if p.kind == "add_keyword"]


def test_a_co_handler_dispatchers_name_again_and_again_becomes_the_categorys_standing_one():
    store = Store()
    for _ in range(5):
        decision, doc = store.new(title="摊贩打架", category="vendors")
        store.step(decision, doc, decision.refused({"number": doc["number"], "department_code": "URBAN",
                                                    "reason": "x", "event_id": "a"}, known(), T0))
        if decision.status == "assigned":
            store.step(decision, doc, decision.refused({"number": doc["number"], "department_code":
                                                        decision.department_code, "reason": "x",
                                                        "event_id": "b"}, known(), T0))
        store.step(decision, doc, decision.assign("URBAN", "王调度", "城管为主，公安协办", known(), T0,
                                                  co=["POLICE"]))
    found = [p for p in mine(store.trails(), CITY, Thresholds(min_cases=5)) if p.kind == "add_co_handler"]
    assert [(p.key, len(p.tickets)) for p in found] == [("add_co_handler:vendors:POLICE", 5)]
    edited = found[0].applied(CITY)
    assert edited.catalogue["vendors"]["co_handlers"] == ["POLICE"] and found[0].problem(edited)


def test_a_rejected_proposal_returns_only_when_its_evidence_grew_by_the_margin():
    limits = Thresholds(min_cases=10, regrowth=0.5)
    proposal = Proposal("move_category", "TRAFFIC", ("QD-1",), 14, 20, category="bikes", source="URBAN")
    assert still_open(proposal, None, limits) and still_open(proposal, {"state": "pending"}, limits)
    rejected = {"state": "rejected", "cases": 10, "rejected_cases": 10}
    assert not still_open(proposal, rejected, limits)
    assert still_open(Proposal(**{**proposal.__dict__, "cases": 15}), rejected, limits)
    assert not still_open(proposal, {"state": "accepted"}, limits)


def test_moving_the_category_raises_precision_on_the_citys_history():
    history = [("共享单车乱停在路口", "TRAFFIC")] * 8 + [("路边摊贩占道", "URBAN")] * 4 + [("公交晚点", "TRAFFIC")] * 3
    move = Proposal("move_category", "TRAFFIC", ("QD-1",), 10, 10, category="bikes", source="URBAN")

    figures = effect(move, history, CITY)

    assert figures["before"] == {"tickets": 15, "dispatched": 15, "right": 7, "precision": round(7 / 15, 4),
                                 "automatic": 1.0}
    assert figures["after"]["precision"] == 1.0 > figures["before"]["precision"]
    assert move.problem(CITY) is None and move.problem(move.applied(CITY)) is not None


def test_a_new_keyword_lets_the_rule_dispatch_what_waited_for_a_person():
    history = [("商家拒绝退款", "MARKET")] * 5 + [("公交晚点", "TRAFFIC")] * 5
    before = replay(history, CITY)
    assert (before.dispatched, before.right) == (5, 5)
    after = effect(Proposal("add_keyword", "MARKET", ("QD-1",), 5, 5, keyword="退款"), history, CITY)["after"]
    assert (after["dispatched"], after["right"], after["automatic"]) == (10, 10, 1.0)


def test_thresholds_come_from_the_configuration():
    assert Thresholds.from_config({"ROUTING_PROPOSAL_MIN_CASES": "8", "ROUTING_PROPOSAL_MIN_SHARE": "",
                                   "ROUTING_PROPOSAL_REGROWTH": 1}) == Thresholds(8, 0.5, 1.0)
