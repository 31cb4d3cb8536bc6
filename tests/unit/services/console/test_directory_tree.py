"""The workbench shows the directory as a tree and the scorecard's rolled-up lines
(services/console/handlers/admin.py, supervisor.py)."""
from services.console.handlers.admin import as_tree
from services.console.handlers.supervisor import score_lines


def test_each_unit_is_listed_below_its_parent():
    departments = [
        {"code": "C-SHAOGUAN", "name": "韶关路社区", "parent": "S-BADAGUAN"},
        {"code": "D-SHINAN", "name": "市南区人民政府", "parent": ""},
        {"code": "HOUSING", "name": "市住房和城乡建设局", "parent": ""},
        {"code": "S-BADAGUAN", "name": "八大关街道办事处", "parent": "D-SHINAN"},
        {"code": "S-LOST", "name": "上级不详", "parent": "NO_SUCH"},
        {"code": "A", "name": "环 A", "parent": "B"}, {"code": "B", "name": "环 B", "parent": "A"},
    ]
    shown = [(d["code"], d["depth"]) for d in as_tree(departments)]
    assert shown[:5] == [("D-SHINAN", 0), ("S-BADAGUAN", 1), ("C-SHAOGUAN", 2), ("HOUSING", 0), ("S-LOST", 0)]
    assert sorted(code for code, _ in shown) == sorted(d["code"] for d in departments)  # a loop is still listed


def test_a_rolled_up_line_follows_the_units_own_and_the_city_comes_last():
    card = {"departments": [{"department": "D-SHINAN", "scope": "unit"}, {"department": "WATER"}],
            "rolled_up": [{"department": "D-SHINAN", "scope": "rolled_up", "units": ["D-SHINAN", "S-BADAGUAN"]},
                          {"department": "S-BADAGUAN", "scope": "rolled_up", "units": ["C-SHAOGUAN"]}],
            "city": {"department": "CITY"}}
    assert [(line["department"], line["scope"]) for line in score_lines(card)] == [
        ("D-SHINAN", "unit"), ("D-SHINAN", "rolled_up"), ("S-BADAGUAN", "rolled_up"), ("WATER", "unit"),
        ("CITY", "city")]
    assert score_lines({"departments": [], "city": {"department": "CITY"}})[-1]["scope"] == "city"  # an older followup
