"""The tree read over ``{code: parent}``, as followup and notify read their mirror."""
from shared.contract import units

PARENTS = {"D-SHINAN": "", "S-BADAGUAN": "D-SHINAN", "S-XIANGGANG": "D-SHINAN",
           "C-SHAOGUAN": "S-BADAGUAN", "C-TAIPINGJIAO": "S-BADAGUAN", "WATER": ""}


def test_walks():
    assert units.children(PARENTS, "D-SHINAN") == ["S-BADAGUAN", "S-XIANGGANG"]
    assert units.ancestors(PARENTS, "C-SHAOGUAN") == ["S-BADAGUAN", "D-SHINAN"]
    assert units.subtree(PARENTS, "D-SHINAN") == ["D-SHINAN", "S-BADAGUAN", "S-XIANGGANG",
                                                  "C-SHAOGUAN", "C-TAIPINGJIAO"]
    assert units.subtree(PARENTS, "WATER") == ["WATER"]
    assert units.is_within(PARENTS, "C-TAIPINGJIAO", "D-SHINAN")
    assert not units.is_within(PARENTS, "C-TAIPINGJIAO", "S-XIANGGANG")
    assert units.parents_of([{"code": "A", "parent": "B"}, {"code": "B"}]) == {"A": "B", "B": ""}
    old_street = {"code": "S", "kind": "street", "district": "市南区"}  # stored before the tree
    district = {"code": "D", "kind": "district", "areas": ["市南区"], "parent": ""}
    assert units.parents_of([old_street, district]) == {"S": "D", "D": ""}
    assert units.parents_of([dict(old_street, parent=""), district])["S"] == ""  # said so: the top


def test_cycles_are_seen_and_never_loop():
    assert units.makes_cycle(PARENTS, "D-SHINAN", "C-SHAOGUAN")
    assert units.makes_cycle(PARENTS, "S-BADAGUAN", "S-BADAGUAN")
    assert not units.makes_cycle(PARENTS, "C-SHAOGUAN", "S-XIANGGANG")
    assert not units.makes_cycle(PARENTS, "C-SHAOGUAN", "")
    broken = {"A": "B", "B": "A"}  # as an older store might hold: the walks still end
    assert units.ancestors(broken, "A") == ["B"]
    assert units.subtree(broken, "A") == ["A", "B"]
