"""Quality checking (质检): the sample, complaints about the operator, the automatic checks,
the score and the month's results -- pure rules, then the sample as ``accept`` takes it."""
import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest

from services.intake.adapters.tickets import TicketRepository
from services.intake.domain.quality_check import (
    QualityCheck,
    QualityRules,
    ScoreInvalid,
    complaint_target,
    flags,
    month_of,
    results,
    sample_reason,
    share_of,
)
from services.intake.handlers.tickets import accept
from shared.platform import memory_store
from tests.unit.services.intake.test_accept import REQUEST, deps_over

NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
RULES = QualityRules.from_config({"place_categories": ["road-damage"]})
NUMBERS = [f"QD-20261127-{n:05d}" for n in range(1, 20001)]
WANG = {"user_id": "u-wang", "name": "王芳"}


# -- the sample ------------------------------------------------------------------------------

def test_the_rate_takes_about_its_share_and_the_same_numbers_every_time():
    taken = [n for n in NUMBERS if sample_reason(n, 0.05, 0, 10 ** 6) == "rate"]
    assert 0.045 < len(taken) / len(NUMBERS) < 0.055
    assert taken == [n for n in NUMBERS if sample_reason(n, 0.05, 0, 10 ** 6) == "rate"]
    assert all(share_of(n) == share_of(n) for n in NUMBERS[:50])


def test_a_rate_of_nothing_samples_nothing_and_a_rate_of_all_everything():
    assert not any(sample_reason(n, 0.0, 0, 0) for n in NUMBERS[:500])
    assert all(sample_reason(n, 1.0, 0, 10 ** 6) == "rate" for n in NUMBERS[:500])


def test_the_minimum_tops_the_month_up_and_stops_at_it():
    not_by_rate = next(n for n in NUMBERS if share_of(n) >= 0.05)
    assert sample_reason(not_by_rate, 0.05, 5, 4) == "minimum"
    assert sample_reason(not_by_rate, 0.05, 5, 5) is None
    assert sample_reason(not_by_rate, 0.05, 0, 0) is None


def test_the_month_is_the_numbers_own():
    assert month_of("QD-20261201-00007") == "2026-12"
    assert month_of("not a number") is None


def test_settings_out_of_range_are_refused_at_start():
    with pytest.raises(ValueError):
        QualityRules.from_config({"rate": 1.5})
    with pytest.raises(ValueError):
        QualityRules.from_config({"checklist": [{"code": "a", "points": 5}, {"code": "a", "points": 5}]})
    custom = QualityRules.from_config({"checklist": [{"code": "greeting", "title": "Greeting", "points": 10}]})
    assert [i.code for i in custom.checklist] == ["greeting"] and custom.max_points == 10


# -- complaints about the operator -------------------------------------------------------------

COMPLAINT = {"number": "QD-20261127-00090", "request_type": "complaint", "title": "投诉接线员",
             "description": "我昨天打12345反映路灯，工单QD-20261126-00012，接线员态度很差还挂了电话"}


def test_a_complaint_about_the_hotline_names_the_ticket_complained_of():
    assert complaint_target(COMPLAINT, RULES) == "QD-20261126-00012"


def test_a_complaint_about_something_else_or_naming_no_ticket_queues_nothing():
    assert complaint_target(dict(COMPLAINT, request_type="report"), RULES) is None
    assert complaint_target(dict(COMPLAINT, title="投诉商家", description="商家QD-20261126-00012不退款"),
                            RULES) is None
    assert complaint_target(dict(COMPLAINT, description="接线员态度很差"), RULES) is None
    own = dict(COMPLAINT, description="接线员态度很差 QD-20261127-00090")
    assert complaint_target(own, RULES) is None


# -- automatic checks -----------------------------------------------------------------------------

GOOD = {"number": "QD-20261127-00001", "category": "road-damage", "request_type": "help",
        "description": "南京路12号门口路面塌陷一个大坑，车辆无法通行", "address": "南京路12号", "status": "received"}


def test_a_complete_ticket_has_no_flag():
    assert flags(GOOD, RULES) == []


@pytest.mark.parametrize("change, flag", [
    ({"category": None}, "no_category"),
    ({"request_type": None}, "no_request_type"),
    ({"description": "路坏了"}, "text_too_short"),
    ({"address": None}, "no_address"),
    ({"status": "answered", "answer": {"entry_id": None}}, "answer_without_article"),
])
def test_each_thing_missing_is_flagged(change, flag):
    assert flag in flags(dict(GOOD, **change), RULES)


def test_an_address_is_needed_only_where_the_category_needs_a_place():
    assert "no_address" not in flags(dict(GOOD, category="unpaid-wages", address=None), RULES)
    assert "no_address" not in flags(dict(GOOD, address=None, lat=36.06), RULES)
    assert "answer_without_article" not in flags(dict(GOOD, status="answered", answer={"entry_id": "k1"}), RULES)


# -- the score and the results ---------------------------------------------------------------------

def queued(number="QD-20261127-00001", operator=WANG, reason="rate"):
    return QualityCheck.queue(dict(GOOD, number=number, received_by=operator), reason, RULES, NOW)


def full(**changes):
    given = {item.code: {"points": item.points} for item in RULES.checklist}
    given.update(changes)
    return given


def test_a_score_is_given_item_by_item_within_each_items_points():
    check = queued()
    score = check.rate(full(courtesy={"points": 5, "comment": "没有使用规范用语"}), "整体尚可", RULES,
                       {"user_id": "q1", "name": "质检甲"}, NOW)
    assert check.status == "scored" and score["total"] == 90 and score["max"] == 100 and score["percent"] == 90.0
    assert [i for i in score["items"] if i["code"] == "courtesy"][0]["comment"] == "没有使用规范用语"
    again = check.rate(full(), None, RULES, {"user_id": "q1", "name": "质检甲"}, NOW)
    assert again["percent"] == 100.0 and again["corrections"] == 1


@pytest.mark.parametrize("given, field", [
    (full(courtesy={"points": 16}), "courtesy"),
    (full(courtesy={"points": -1}), "courtesy"),
    (full(courtesy={"points": True}), "courtesy"),
    ({k: v for k, v in full().items() if k != "address"}, "address"),
    (full(smile={"points": 1}), "scores"),
    ("all good", "scores"),
])
def test_a_score_that_does_not_fit_the_checklist_is_refused_by_field(given, field):
    with pytest.raises(ScoreInvalid) as refused:
        queued().rate(given, None, RULES, {"user_id": "q1"}, NOW)
    assert field in refused.value.errors


def test_the_months_results_per_operator():
    li = {"user_id": "u-li", "name": "李强"}
    one, two, three = queued("QD-20261127-00001"), queued("QD-20261127-00002"), queued("QD-20261127-00003", li)
    one.rate(full(courtesy={"points": 5}, address={"points": 0}), None, RULES, {}, NOW)
    two.rate(full(courtesy={"points": 10}), None, RULES, {}, NOW)
    rows = results([c.to_doc() for c in (one, two, three)], {"u-wang": 40, "u-li": 30})
    wang = next(r for r in rows if r["operator"]["user_id"] == "u-wang")
    assert (wang["recorded"], wang["sampled"], wang["reviewed"], wang["average"]) == (40, 2, 2, 85.0)
    assert wang["failed"] == [{"code": "courtesy", "times": 2}, {"code": "address", "times": 1}]
    li_row = next(r for r in rows if r["operator"]["user_id"] == "u-li")
    assert (li_row["sampled"], li_row["reviewed"], li_row["average"], li_row["failed"]) == (1, 0, None, [])


# -- the sample, as accept takes a ticket in ---------------------------------------------------------

def operator_deps(config):
    tickets = TicketRepository(memory_store.client()[f"quality_{id(object())}"], {})
    tickets.ensure_indexes()
    deps = deps_over(tickets, [])
    return dataclasses.replace(deps, config=config, quality=tickets.quality), tickets


def test_an_operators_tickets_are_sampled_up_to_the_minimum_once_each():
    deps, tickets = operator_deps({"QUALITY": {"rate": 0.0, "minimum": 2}})
    numbers = [accept(deps, dict(REQUEST, channel="phone", title=f"路灯{n}", caller_phone=f"1395321000{n}"),
                      received_by=WANG)["received_as"] for n in range(4)]
    queue, total = tickets.quality.listing()
    assert total == 2 and {c["number"] for c in queue} == set(numbers[:2])
    assert all(c["reasons"] == ["minimum"] for c in queue)
    assert tickets.quality.recorded("2026-11") == {"u-wang": 4}
    accept(deps, dict(REQUEST, channel="phone", title="路灯0", caller_phone="13953210000"), received_by=WANG,
           idempotency="rpc:again")  # a new key: a ticket of its own, not sampled (the minimum is met)
    assert tickets.quality.listing()[1] == 2


def test_web_tickets_and_tickets_nobody_recorded_are_not_sampled():
    deps, tickets = operator_deps({"QUALITY": {"rate": 1.0, "minimum": 5}})
    accept(deps, dict(REQUEST, channel="web"), received_by=WANG)
    accept(deps, dict(REQUEST, channel="phone", caller_phone="13953219999"))
    assert tickets.quality.listing()[1] == 0


def test_a_complaint_about_the_operator_queues_their_ticket_whatever_the_sample():
    deps, tickets = operator_deps({"QUALITY": {"rate": 0.0, "minimum": 0}})
    first = accept(deps, dict(REQUEST, channel="phone"), received_by=WANG)["received_as"]
    assert tickets.quality.listing()[1] == 0
    complaint = dict(REQUEST, channel="web", request_type="complaint", caller_phone="13953218888",
                     title="投诉接线员", description=f"工单{first}的接线员没有记全我说的话")
    second = accept(deps, complaint)["received_as"]
    check = tickets.quality.get(first)
    assert check["reasons"] == ["complaint"] and check["complaints"] == [second]
    assert check["operator"] == WANG


def test_a_fault_in_the_sample_does_not_fail_the_request():
    deps, tickets = operator_deps({"QUALITY": {"rate": 1.0}})
    broken = SimpleNamespace(count_recorded=lambda *a: 1 / 0)
    receipt = accept(dataclasses.replace(deps, quality=broken), dict(REQUEST, channel="phone"), received_by=WANG)
    assert receipt["outcome"] == "created"


def test_a_bad_quality_section_stops_intake_at_start():
    from services.intake.adapters.quality_checks import QualityCheckRepository

    database = memory_store.client()[f"quality_{id(object())}"]
    with pytest.raises(ValueError):
        QualityCheckRepository(database, {"QUALITY": {"minimum": -1}})
    QualityCheckRepository(database, {"QUALITY": {"complaint_words": ["接线员", 12345]}})  # a number read as a word


def test_a_complaint_word_written_as_a_number_in_the_yaml_still_counts():
    rules = QualityRules.from_config({"complaint_words": [12345]})
    assert complaint_target(dict(COMPLAINT, title="投诉", description="打12345，工单QD-20261126-00012没记全"),
                            rules) == "QD-20261126-00012"


def test_nobody_scores_a_ticket_they_recorded():
    from services.intake.handlers.quality_checks import score_quality_check
    from shared.platform.identity import NotAllowed, Person

    deps, tickets = operator_deps({"QUALITY": {"rate": 1.0}})
    number = accept(deps, dict(REQUEST, channel="phone"), received_by=WANG)["received_as"]
    given = {item.code: {"points": item.points} for item in RULES.checklist}

    def as_(person):
        return dataclasses.replace(deps, caller=SimpleNamespace(require=lambda *roles: person))
    with pytest.raises(NotAllowed):
        score_quality_check(as_(Person("u-wang", "王芳", ("operator", "quality"))), number, given)
    scored = score_quality_check(as_(Person("u-q1", "质检甲", ("quality",))), number, given)
    assert scored["score"]["percent"] == 100.0 and tickets.quality.get(number)["status"] == "scored"
