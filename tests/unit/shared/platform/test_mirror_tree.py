"""followup's and notify's copy of routing's directory knows the tree (shared/platform/mirror.py)."""
import threading

import mongomock

from shared.platform.mirror import Mirror, MirrorRepository


class Calendar:
    def set_years(self, years):
        self.years = years


def mirror():
    found = Mirror()
    found.repository = MirrorRepository(mongomock.MongoClient()["hotline_followup"])
    found.repository.ensure_indexes()
    found.departments, found.tree, found.state, found.lock = {}, {}, None, threading.Lock()
    found._calendar = Calendar()
    return found


def test_the_mirror_answers_which_units_lie_within_which():
    directory = mirror()
    directory.catch_up({"departments": [
        {"code": "D-SHINAN", "name": "市南区人民政府", "kind": "district", "parent": "", "areas": ["市南区"],
         "version": 1},
        {"code": "S-BADAGUAN", "name": "八大关街道办事处", "kind": "street", "parent": "D-SHINAN", "version": 1},
        # a street announced before the tree: its district's government, as routing reads it
        {"code": "S-XIANGGANG", "name": "香港中路街道办事处", "kind": "street", "district": "市南区", "version": 1},
        {"code": "WATER", "name": "市水务管理局", "version": 1}]})  # from before the tree: no parent
    directory.learn_department({"code": "C-SHAOGUAN", "name": "韶关路社区", "kind": "community",
                                "parent": "S-BADAGUAN", "duties": ["楼院环境卫生"]}, 2)
    assert directory.parent("C-SHAOGUAN") == "S-BADAGUAN" and directory.parent("WATER") == ""
    assert directory.children("D-SHINAN") == ["S-BADAGUAN", "S-XIANGGANG"]
    assert directory.ancestors("C-SHAOGUAN") == ["S-BADAGUAN", "D-SHINAN"]
    assert directory.units_within("D-SHINAN") == ["D-SHINAN", "S-BADAGUAN", "S-XIANGGANG", "C-SHAOGUAN"]
    assert directory.is_within("C-SHAOGUAN", "D-SHINAN") and not directory.is_within("WATER", "D-SHINAN")
    # moved to another street by a newer version: the tree follows; a late older one changes nothing
    directory.learn_department({"code": "C-SHAOGUAN", "name": "韶关路社区", "kind": "community",
                                "parent": "S-XIANGGANG"}, 4)
    directory.learn_department({"code": "C-SHAOGUAN", "name": "韶关路社区", "kind": "community",
                                "parent": "S-BADAGUAN"}, 3)
    assert directory.parent("C-SHAOGUAN") == "S-XIANGGANG"
    assert directory.units_within("D-SHINAN") == ["D-SHINAN", "S-BADAGUAN", "S-XIANGGANG", "C-SHAOGUAN"]
    assert directory.children("S-XIANGGANG") == ["C-SHAOGUAN"]
