"""A new request that comes back to a case closed as solved (防反弹): the rule, and ``accept``."""
import dataclasses
import datetime as dt

import pytest

from services.intake.adapters.tickets import TicketRepository
from services.intake.domain.rebounds import ReboundRules, find_rebound
from services.intake.handlers.tickets import accept
from shared.contract import events
from shared.contract.reasons import sentence
from shared.contract.rebounds import ReboundTerms
from shared.platform import memory_store
from tests.unit.services.intake.test_accept import NOW, deps_over

LIGHT = {"title": "小区门口路灯不亮", "description": "三盏路灯坏了一周", "category": "streetlight"}
LIGHT_AGAIN = {"title": "路灯又不亮了", "description": "上个月修好的路灯又坏了", "category": "streetlight"}
WAGES = {"title": "公司拖欠工资三个月", "description": "老板欠薪不发", "category": "wages"}
RULES = ReboundRules()


def closed(number, text, days_ago=5, outcome="resolved", status="closed", **extra):
    return dict(text, number=number, status=status, outcome=outcome,
                closed_at=NOW - dt.timedelta(days=days_ago), received_at=NOW - dt.timedelta(days=days_ago + 9),
                **extra)


def test_the_same_caller_about_the_same_matter_within_the_window_is_a_rebound():
    found = find_rebound(LIGHT_AGAIN, NOW, [closed("QD-1", LIGHT, days_ago=29)], [], RULES)
    assert found.rebound_of == "QD-1" and found.basis == "caller"
    assert found.why["code"] == "rebound_same_caller" and "within 30 days of QD-1" in sentence(found.why)


def test_the_same_category_at_the_same_place_is_a_rebound_whoever_calls():
    here = {"lat": 36.1000, "lng": 120.4000}
    near = closed("QD-2", LIGHT, lat=36.1004, lng=120.4000)  # ~45 m
    found = find_rebound(dict(LIGHT_AGAIN, **here), NOW, [], [near], RULES)
    assert found.rebound_of == "QD-2" and found.basis == "place" and found.why["params"]["metres"] == 44
    address = {"district": "崂山区", "address": "海尔路 1号"}
    found = find_rebound(dict(LIGHT_AGAIN, district="崂山区", address="海尔路1号"), NOW, [],
                         [closed("QD-3", LIGHT, **address)], RULES)
    assert found.rebound_of == "QD-3" and found.why["params"]["metres"] == 0


@pytest.mark.parametrize("earlier", [
    closed("QD-1", LIGHT, days_ago=31),                        # outside the window
    closed("QD-1", LIGHT, status="signed_for", outcome=None),  # not closed
    closed("QD-1", LIGHT, outcome="unreasonable"),             # closed, but not as solved
    closed("QD-1", LIGHT, outcome=None),                       # citizen not reached
    closed("QD-1", WAGES),                                     # the caller's other matter
])
def test_what_is_not_a_rebound(earlier):
    assert find_rebound(LIGHT_AGAIN, NOW, [earlier], [], RULES) is None


@pytest.mark.parametrize("other", [{"lat": 36.1015, "lng": 120.4000},                        # ~167 m
                                   {"lat": 36.1001, "lng": 120.4000, "category": "heating"}])  # other category
def test_too_far_or_another_category_at_the_place_is_not_a_rebound(other):
    earlier = closed("QD-2", dict(LIGHT, **other))
    assert find_rebound(dict(LIGHT_AGAIN, lat=36.1, lng=120.4), NOW, [], [earlier], RULES) is None


def test_the_latest_closure_is_the_one_that_did_not_hold_and_a_repeat_points_to_its_master():
    older, later = closed("QD-1", LIGHT, days_ago=20), closed("QD-5", LIGHT, days_ago=3, linked_to="QD-4")
    assert find_rebound(LIGHT_AGAIN, NOW, [older, later], [], RULES).rebound_of == "QD-4"


def test_the_city_chooses_the_window_and_the_outcomes_and_a_wrong_name_is_refused():
    rules = ReboundRules.from_config({"REBOUNDS": {"window_days": 60, "outcomes": ["resolved", "unreached"]}})
    assert find_rebound(LIGHT_AGAIN, NOW, [closed("QD-1", LIGHT, days_ago=45, outcome=None)], [], rules)
    with pytest.raises(ValueError, match="resolvd"):
        ReboundTerms.from_config({"REBOUNDS": {"outcomes": ["resolvd"]}})
    with pytest.raises(ValueError, match="window_days"):
        ReboundTerms.from_config({"REBOUNDS": {"window_days": 0}})


# -- accept: marked, and said by an event -----------------------------------------------

REQUEST = dict(LIGHT, district="崂山区", caller_phone="13853212345")


def over_store():
    tickets = TicketRepository(memory_store.client()[f"rebounds_{id(object())}"], {})
    tickets.ensure_indexes()
    published = []
    return tickets, published, deps_over(tickets, published)


def close(tickets, number, days_ago, outcome="resolved"):
    at = NOW - dt.timedelta(days=days_ago)
    tickets.apply(number, f"closed-{number}", {"status": "closed", "closed_at": at, "outcome": outcome},
                  {"at": at, "status": "closed", "note": "closed"}, at)


class Payloads(list):
    def __call__(self, event_type, payload):
        self.append((event_type, payload))


def test_a_ticket_that_comes_back_is_dispatched_marked_as_a_rebound_and_said_without_the_phone():
    tickets, _, deps = over_store()
    published = Payloads()
    deps = dataclasses.replace(deps, dispatch=published)
    first = accept(deps, REQUEST)
    close(tickets, first["number"], days_ago=0)
    again = accept(deps, dict(REQUEST, caller_phone="+86 138 5321 2345", title="路灯又坏了",
                              description="修好后又不亮了"))
    assert again["outcome"] == "created" and again["rebound_of"] == first["number"]
    assert [t for t, _ in published] == ["ticket_created", "ticket_created", "ticket_rebounded"]
    said = events.TicketRebounded().load(published[-1][1])
    assert said["rebound_of"] == first["number"] and said["basis"] == "caller"
    assert "13853212345" not in str(published[-1][1]) and "5321" not in str(published[-1][1])
    assert tickets.rebounds_of(first["number"]) == [again["number"]]
    assert any(e["status"] == "rebound" for e in tickets.history_of(tickets.get(again["number"])))


def test_a_ticket_after_a_closure_outside_the_window_is_only_created():
    tickets, published, deps = over_store()
    first = accept(deps, REQUEST)
    close(tickets, first["number"], days_ago=31)
    again = accept(deps, dict(REQUEST, title="路灯又坏了"))
    assert again["outcome"] == "created" and again["rebound_of"] is None
    assert [t for t, _ in published] == ["ticket_created", "ticket_created"]
