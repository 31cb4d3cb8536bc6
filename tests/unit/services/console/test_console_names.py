"""Units and categories by their names in the reader's language (services/console/adapters/workbench.py)."""
from services.console.adapters.workbench import Names

DEPARTMENTS = [{"code": "WATER", "name": "市水务管理局", "name_en": "Water Affairs Bureau"},
               {"code": "D-SHINAN", "name": "市南区人民政府"}]
CATALOGUE = [{"code": "water-outage", "name": "停水/水管破裂 Water outage or burst main"}]


def test_a_department_and_a_category_are_named_in_the_readers_language():
    names = Names()
    assert names.stale()
    names.refresh(DEPARTMENTS, CATALOGUE)
    assert not names.stale()
    assert names.unit("WATER", "zh_CN") == "市水务管理局"
    assert names.unit("WATER", "en") == "Water Affairs Bureau"
    assert names.unit("D-SHINAN", "en") == "市南区人民政府"  # no English name: its name
    assert names.unit("RETIRED-LONG-AGO", "zh_CN") == "RETIRED-LONG-AGO"  # unknown: its code ...
    assert names.unit("RETIRED-LONG-AGO", "en", "旧单位") == "旧单位"  # ... or the name the case keeps
    assert names.category("water-outage", "zh_CN") == "停水/水管破裂"
    assert names.category("water-outage", "en") == "Water outage or burst main"


def test_a_routing_that_does_not_answer_leaves_the_names_known_and_asks_again():
    names = Names()
    names.refresh(DEPARTMENTS, CATALOGUE)
    names.refresh(None, None)
    assert not names.stale() and names.unit("WATER", "zh_CN") == "市水务管理局"  # asked again in 10 s
    names.fetched -= 11
    assert names.stale()


def test_the_staffing_plan_names_its_days_in_the_page_language():
    """insight names the plan's days Mon..Sun; a Chinese page says 周一..周日."""
    from types import SimpleNamespace

    from services.console.handlers.supervisor import in_own_weekdays

    hours = [{"weekday": "Mon", "hour": 9, "operators": 3, "calls": 40},
             {"weekday": "Sun", "hour": 9, "operators": 1, "calls": 8}]
    assert [r["weekday"] for r in in_own_weekdays(SimpleNamespace(lang="zh_CN"), hours)] == ["周一", "周日"]
    assert [r["weekday"] for r in in_own_weekdays(SimpleNamespace(lang="en"), hours)] == ["Mon", "Sun"]
