"""Routing's decision order: catalogue, responsibilities, place, person."""
import pytest

from services.routing.domain import Directory, decide
from shared.city import load_city


@pytest.fixture(scope="module")
def directory():
    return Directory.from_dict(load_city({}))


def ticket(**fields):
    return {"number": "QD-1", "title": "", "description": "", "category": None,
            "district": None, "urgency": "normal", **fields}


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
    assert any("欠薪" in reason for reason in decision.reasons)


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
