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
