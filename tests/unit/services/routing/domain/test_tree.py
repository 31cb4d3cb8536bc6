"""The directory as a tree: parents, defaults, and what a change may not do."""
import pytest

from services.routing.domain.directory import Directory, check_department, seed_departments
from shared.platform.city import load_city

DISTRICTS = [{"code": "shinan", "name": "市南区", "department": "D-SHINAN"}]
DEPARTMENTS = [
    {"code": "HOUSING", "name": "市住房和城乡建设局"},
    {"code": "D-SHINAN", "name": "市南区人民政府", "kind": "district", "areas": ["市南区"]},
    {"code": "D-SHIBEI", "name": "市北区人民政府", "kind": "district", "areas": ["市北区"]},
    {"code": "S-BADAGUAN", "name": "八大关街道办事处", "kind": "street", "district": "市南区",
     "areas": ["八大关街道"]},
    {"code": "C-SHAOGUAN", "name": "韶关路社区", "kind": "community", "parent": "S-BADAGUAN",
     "duties": ["楼院环境卫生", "施工扰民的劝阻"]},
    {"code": "C-TAIPINGJIAO", "name": "太平角社区", "kind": "community", "parent": "S-BADAGUAN"},
    {"code": "C-OLD", "name": "已撤销社区", "kind": "community", "parent": "S-BADAGUAN", "retired": True},
]


@pytest.fixture
def directory():
    return Directory(DEPARTMENTS, (), 3, DISTRICTS)


def test_a_street_belongs_to_its_district_unless_it_says_otherwise(directory):
    assert directory.all["S-BADAGUAN"].parent == "D-SHINAN"
    assert directory.all["HOUSING"].parent == "" and directory.all["D-SHINAN"].parent == ""
    moved = Directory([*DEPARTMENTS[:3], dict(DEPARTMENTS[3], parent="D-SHIBEI")], (), 1, DISTRICTS)
    assert moved.all["S-BADAGUAN"].parent == "D-SHIBEI"


def test_children_ancestors_subtree_and_within(directory):
    assert directory.children("D-SHINAN") == ["S-BADAGUAN"]
    assert directory.children("S-BADAGUAN") == ["C-SHAOGUAN", "C-TAIPINGJIAO"]  # not the retired one
    assert directory.ancestors("C-SHAOGUAN") == ["S-BADAGUAN", "D-SHINAN"]
    assert directory.subtree("D-SHINAN") == ["D-SHINAN", "S-BADAGUAN", "C-SHAOGUAN", "C-TAIPINGJIAO"]
    assert directory.is_within("C-SHAOGUAN", "D-SHINAN") and directory.is_within("D-SHINAN", "D-SHINAN")
    assert not directory.is_within("D-SHINAN", "C-SHAOGUAN")
    assert not directory.is_within("C-SHAOGUAN", "D-SHIBEI")
    assert directory.all["C-SHAOGUAN"].duties == ("楼院环境卫生", "施工扰民的劝阻")
    assert directory.all["C-SHAOGUAN"].to_dict()["parent"] == "S-BADAGUAN"


def test_a_parent_must_exist_and_be_in_service(directory):
    new = {"code": "C-NEW", "name": "新社区", "kind": "community"}
    assert check_department(dict(new, parent="S-BADAGUAN"), directory, new=True) == {}
    assert "S-NOWHERE is not in the directory" in check_department(dict(new, parent="S-NOWHERE"), directory, True)["parent"][0]
    assert "retired" in check_department(dict(new, parent="C-OLD"), directory, True)["parent"][0]
    assert "give its parent unit" in check_department(new, directory, True)["parent"][0]  # a community needs one


def test_no_unit_is_inside_itself(directory):
    # a street moved below its own community: a cycle
    cycle = check_department({"code": "S-BADAGUAN", "parent": "C-SHAOGUAN"}, directory, new=False)
    assert "cannot be inside itself" in cycle["parent"][0]
    itself = check_department({"code": "C-SHAOGUAN", "parent": "C-SHAOGUAN"}, directory, new=False)
    assert "cannot be inside itself" in itself["parent"][0]
    # the top kinds have no parent
    top = check_department({"code": "D-SHINAN", "parent": "D-SHIBEI"}, directory, new=False)
    assert "top of the tree" in top["parent"][0]
    assert check_department({"code": "C-SHAOGUAN", "parent": "S-BADAGUAN"}, directory, new=False) == {}


def test_duties_are_short_lines(directory):
    base = {"code": "C-NEW", "name": "新社区", "kind": "community", "parent": "S-BADAGUAN"}
    assert "duties" in check_department(dict(base, duties="清扫"), directory, True)
    assert "duties" in check_department(dict(base, duties=["x" * 201]), directory, True)
    assert "duties" in check_department(dict(base, duties=["清扫"] * 51), directory, True)
    assert check_department(dict(base, duties=["清扫"]), directory, True) == {}


def test_the_seed_city_is_a_tree_with_communities_under_badaguan():
    city = load_city({})
    seeded = {d["code"]: d for d in seed_departments(city)}
    assert seeded["S-BADAGUAN"]["parent"] == "D-SHINAN"
    directory = Directory.from_dict(city)
    communities = directory.children("S-BADAGUAN")
    assert len(communities) >= 2
    for code in communities:
        dept = directory.all[code]
        assert dept.kind == "community" and dept.name and dept.name_en and dept.duties and dept.contacts
        assert directory.is_within(code, "D-SHINAN")
    for dept in directory.all.values():  # every parent is a unit in service, and no cycle
        assert not dept.parent or dept.parent in directory.departments
        assert dept.code not in directory.ancestors(dept.code)


def test_routing_never_chooses_a_community_by_its_keywords():
    community = dict(DEPARTMENTS[4], keywords=["楼道堆物"])
    directory = Directory([*DEPARTMENTS[:4], community], (), 1, DISTRICTS)
    assert directory.keyword_matches("楼道堆物很多") == {}
    as_bureau = Directory([*DEPARTMENTS[:4], dict(community, kind="municipal", parent="")], (), 1, DISTRICTS)
    assert as_bureau.keyword_matches("楼道堆物很多") == {"C-SHAOGUAN": ["楼道堆物"]}
