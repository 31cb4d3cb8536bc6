"""Routing's decision order: catalogue, responsibilities, place, person."""

from services.routing.domain.rules import decide
from shared.contract.reasons import said
from tests.unit.conftest import routing_ticket as ticket


def test_the_seed_city_is_qingdao_with_its_districts(directory):
    assert set(directory.district_office) == {
        "市南区", "市北区", "李沧区", "崂山区", "黄岛区", "城阳区", "即墨区", "胶州市", "平度市", "莱西市"}
    municipal = [d for d in directory.departments.values() if not d.areas]
    assert len(municipal) >= 20


def test_catalogue_category_decides(directory):
    decision = decide(ticket(title="暖气不热", category="heating"), directory)
    assert (decision.department.code, decision.time_limit_class, decision.rule) == \
        ("ENERGY", "utilities", "catalogue")


def test_keywords_decide_for_chinese_text(directory):
    decision = decide(ticket(title="公司拖欠工资", description="老板欠薪三个月"), directory)
    assert decision.department.code == "HRSS"
    assert decision.rule == "keywords"
    assert any("欠薪" in reason for reason in decision.sentences)


def test_keywords_decide_for_english_text(directory):
    decision = decide(ticket(title="Street vendor on the sidewalk"), directory)
    assert decision.department.code == "URBAN_MGMT"


def test_water_outage_goes_to_water(directory):
    decision = decide(ticket(title="小区停水两天了", description="没有通知就停水"), directory)
    assert decision.department.code == "WATER"


def test_place_decides_when_nothing_else_does(directory):
    decision = decide(ticket(title="有事反映", district="即墨区"), directory)
    assert (decision.department.code, decision.rule) == ("D-JIMO", "place")


def test_nothing_known_waits_for_a_person(directory):
    decision = decide(ticket(title="有事反映"), directory)
    assert not decision.decided
    assert decision.rule == "manual"


# -- one time-limit rule: the category routing decided, whoever picked it -------

def test_the_same_heating_complaint_gets_the_same_limit_with_or_without_a_category(directory):
    text = {"title": "暖气片不热，室温只有14度", "district": "市北区"}
    picked = decide(ticket(**text, category="heating"), directory)
    skipped = decide(ticket(**text), directory)
    assert (picked.time_limit_class, skipped.time_limit_class) == ("utilities", "utilities")
    assert (picked.category_source, skipped.category_source) == ("picked", "recognised")
    assert skipped.department.code == "ENERGY" and skipped.category == "heating"
    assert any("recognised from 暖气" in reason for reason in skipped.sentences)


def test_an_emergency_is_never_lost_to_a_skipped_category(directory):
    decision = decide(ticket(title="楼道堆满杂物，消防通道被堵，有火灾隐患"), directory)
    assert (decision.category, decision.time_limit_class) == ("safety-hazard", "emergency")


def test_the_strictest_class_wins_when_a_text_names_several(directory):
    # 违建 (complex) and 垃圾 (general): the shorter limit protects the citizen
    decision = decide(ticket(title="违建占道，垃圾堆在门口"), directory)
    assert (decision.category, decision.time_limit_class) == ("sanitation", "general")
    assert directory.category_for(ticket(title="违建占道"))[0]["class"] == "complex"


def test_no_category_recognised_is_general(directory):
    decision = decide(ticket(title="有事反映", district="即墨区"), directory)
    assert (decision.category, decision.time_limit_class) == (None, "general")


def test_a_dispatcher_gets_the_same_rule(directory):
    import datetime as dt

    from services.routing.domain.decision import Decision
    from services.routing.domain.rules import Choice
    from shared.timelimits.calendar import ChineseCalendar
    from shared.timelimits.deadlines import DeadlinePolicy

    record_ticket = ticket(title="小区停水一天了", urgency="normal")
    entry, how, _ = directory.category_for(record_ticket, "D-LAOSHAN")
    choice = Choice(directory.get("D-LAOSHAN"), entry["class"], "operator", [said("属地")],
                    category=entry["code"], category_source=how, decided_by="派单员")
    outcome = Decision.new("QD-1", record_ticket).choose(choice, DeadlinePolicy(calendar=ChineseCalendar()),
                                                         dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC), directory)
    body = outcome.body
    assert (body["time_limit_class"], body["urgency"], body["category"]) == ("utilities", "urgent", "water-outage")
    assert body["deadline"] - body["assigned_at"] == dt.timedelta(hours=24)
    assert body["sign_for_deadline"] - body["assigned_at"] == dt.timedelta(hours=2)
    assert any("at least urgent" in reason for reason in body["reasons"])
