"""Routing proposes co-handlers (协办) from the learner's ranking.

A second department ranked at or above the co-handler threshold works beside the lead:
added on an automatic dispatch, with the reason on the decision; carried to the
dispatcher's queue when a person decides. Never the lead, never a unit out of service
or a community, never twice (the catalogue's own co-handlers come anyway).
"""
import datetime as dt
from dataclasses import replace

import pytest

from services.routing.domain.decision import Decision, Known
from services.routing.domain.directory import Directory
from services.routing.domain.keywords import Suggestion
from services.routing.domain.rules import decide
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.conftest import routing_ticket as ticket

T0 = dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC)


class Ranked:
    """A learner that ranks the departments it is given, whatever the text."""

    kind = "trained"
    version = 7

    def __init__(self, *ranking):
        self.ranking = ranking

    def suggest(self, text, exclude=(), top=3, known=None, title=""):
        return [Suggestion(code, p) for code, p in self.ranking if code not in exclude][:top]


def known(directory, *ranking, threshold=0.5, co=0.3):
    return Known(directory, Ranked(*ranking), threshold, DeadlinePolicy(calendar=ChineseCalendar()), co)


def codes(items):
    return [c["department_code"] for c in items]


def proposed_reasons(reason_codes):
    return [r["params"] for r in reason_codes if r["code"] == "co_handler_proposed"]


@pytest.mark.parametrize("second", [0.34, 0.3])
def test_a_second_department_at_or_above_the_threshold_co_handles_an_automatic_dispatch(directory, second):
    _, outcome = Decision.received(ticket(title="有事反映"), known(directory, ("WATER", 0.6), ("ENERGY", second)), T0)
    assert outcome.kind == "ticket_assigned" and outcome.body["department_code"] == "WATER"
    assert codes(outcome.body["co_handlers"]) == codes(outcome.record["co_handlers"]) == ["ENERGY"]
    why = proposed_reasons(outcome.record["reason_codes"])
    assert why == [{"department": directory.name_of("ENERGY"), "rank": 2, "confidence": second, "threshold": 0.3}]
    assert proposed_reasons(outcome.body["reason_codes"]) == why
    assert any(f"at {second:.2f} (co-handler threshold 0.30)" in r for r in outcome.record["reasons"])
    assert codes(outcome.record["co_handler_proposals"]) == ["ENERGY"]


def test_a_second_department_below_the_threshold_is_not_proposed(directory):
    _, outcome = Decision.received(ticket(title="有事反映"), known(directory, ("WATER", 0.6), ("ENERGY", 0.29)), T0)
    assert outcome.body["department_code"] == "WATER" and outcome.body["co_handlers"] == []
    assert proposed_reasons(outcome.record["reason_codes"]) == [] and outcome.record["co_handler_proposals"] == []


def test_the_threshold_is_the_configured_one(directory):
    ranking = (("WATER", 0.6), ("ENERGY", 0.34))
    _, outcome = Decision.received(ticket(title="有事反映"), known(directory, *ranking, co=0.35), T0)
    assert outcome.body["co_handlers"] == []


def test_a_waiting_ticket_carries_the_proposal_but_never_the_lead_to_the_dispatcher(directory):
    """Below the dispatch threshold the learner's best is the lead a dispatcher would take:
    the department ranked after it is proposed, not the best itself."""
    decision, outcome = Decision.received(
        ticket(title="有事反映"), known(directory, ("WATER", 0.45), ("ENERGY", 0.4), ("HOUSING", 0.15)), T0)
    assert outcome.kind == "ticket_awaiting_dispatch"
    assert codes(outcome.record["co_handler_proposals"]) == ["ENERGY"]
    assert codes(outcome.body["co_handler_proposals"]) == ["ENERGY"]
    assert outcome.record["co_handler_proposals"][0]["reason_codes"][0]["code"] == "co_handler_proposed"

    # the dispatcher unticks it: no co-handler; the queue item no longer proposes one
    waiting = Decision.from_doc(decision.to_doc(outcome))
    assigned = waiting.assign("WATER", "王调度", "只涉及供水", known(directory), T0, [])
    assert assigned.record["co_handlers"] == [] and assigned.record["co_handler_proposals"] == []


def test_neither_the_lead_nor_a_unit_twice_is_proposed(directory):
    # a learner that ranks a department twice (a duplicate label): the lead never, another once
    twice = decide(ticket(title="有事反映"), directory, Ranked(("WATER", 0.4), ("WATER", 0.3), ("ENERGY", 0.3)),
                   0.5, co_handler_threshold=0.3)
    assert twice.department is None and [p.department_code for p in twice.proposed] == ["ENERGY"]
    again = decide(ticket(title="有事反映"), directory, Ranked(("WATER", 0.4), ("ENERGY", 0.3), ("ENERGY", 0.3)),
                   0.5, co_handler_threshold=0.3)
    assert [p.department_code for p in again.proposed] == ["ENERGY"]


@pytest.mark.parametrize("unit", ["retired", "community", "unknown"])
def test_a_unit_out_of_service_or_a_community_is_not_proposed(directory, unit):
    retired = Directory([replace(d, retired=True) if d.code == "ENERGY" else d for d in directory.all.values()],
                        directory.catalogue.values(), directory.version)
    second, where = {"retired": ("ENERGY", retired), "community": ("C-BDG-TAIPINGJIAO", directory),
                     "unknown": ("NO_SUCH", directory)}[unit]
    _, outcome = Decision.received(ticket(title="有事反映"), known(where, ("WATER", 0.6), (second, 0.35)), T0)
    assert outcome.body["department_code"] == "WATER" and outcome.body["co_handlers"] == []
    assert proposed_reasons(outcome.record["reason_codes"]) == []


def test_a_catalogue_co_handler_is_not_proposed_again(directory):
    """The category's entry lists ENERGY already: it co-handles once, as the catalogue says."""
    entries = [dict(e, co_handlers=["ENERGY"]) if e["code"] == "water-outage" else e
               for e in directory.catalogue.values()]
    with_co = Directory(directory.all.values(), entries, directory.version)
    _, outcome = Decision.received(ticket(title="小区停水两天了"),
                                   known(with_co, ("WATER", 0.6), ("ENERGY", 0.35)), T0)
    assert outcome.body["category"] == "water-outage" and outcome.body["category_source"] == "recognised"
    assert codes(outcome.body["co_handlers"]) == ["ENERGY"]
    assert proposed_reasons(outcome.record["reason_codes"]) == [] and outcome.record["co_handler_proposals"] == []


def test_only_a_learners_ranking_proposes(directory):
    choice = decide(ticket(title="暖气不热", category="heating"), directory,
                    Ranked(("WATER", 0.6), ("ENERGY", 0.4)), 0.5, co_handler_threshold=0.3)
    assert (choice.rule, choice.proposed) == ("catalogue", ())


def test_the_threshold_is_routings_setting():
    from services.routing.adapters.knowledge import Knowledge

    assert Knowledge({}).co_handler_threshold == Knowledge({"ROUTING_CO_HANDLER_THRESHOLD": ""}).co_handler_threshold \
        == 0.3
    assert Knowledge({"ROUTING_CO_HANDLER_THRESHOLD": "0.45"}).co_handler_threshold == 0.45
