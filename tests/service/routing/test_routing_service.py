"""routing in a container against the real broker: decide, queue, refusals, directory, learning."""
from datetime import datetime

import pytest
from nameko.exceptions import RemoteError
from nameko.testing.utils import get_extension

from services.routing.learning.synthetic import generate
from services.routing.service import RoutingService
from shared.contract import events
from shared.platform.mongo import Store
from shared.platform.principals import ServiceRpcProxy
from shared.timelimits.deadlines import DeadlinePolicy
from tests.people import context, person
from tests.service.conftest import settle

NUMBER = "QD-20261126-00100"


def created(number=NUMBER, **overrides):
    body = {"number": number, "title": "有事反映", "description": "", "district": None,
            "urgency": "normal", "channel": "phone", "received_at": events.utcnow()}
    body.update(overrides)
    return events.new_event(events.TicketCreated, **body)


def refused(number, department_code, count=1, reason="不属于本单位职责"):
    return events.new_event(events.CaseRefused, number=number, department_code=department_code,
                            reason=reason, refused_at=events.utcnow(), refusal_count=count)


@pytest.fixture
def routing(container_factory, service_config):
    """A started routing container; ``routing.rpc`` calls it, ``routing.repo`` is its store."""
    class Routing:
        def __init__(self, config):
            self.config = config
            self.container = container_factory(RoutingService, config)
            self.container.start()
            self.repo = get_extension(self.container, Store).repository

        def rpc(self, method, *args, timeout=60, **kwargs):
            # as a dispatcher signed in (see tests/people.py): routing records that person
            by = args[2] if method == "assign" and len(args) > 2 else "测试调度"
            with ServiceRpcProxy("routing", self.config, timeout=timeout,
                                 context_data=context(person(by), self.config)) as proxy:
                return getattr(proxy, method)(*args, **kwargs)

    def start(**settings):
        return Routing(dict(service_config, **settings))
    return start


def test_a_catalogue_ticket_goes_to_its_department_and_records_the_directory_version(
        routing, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"))
    service = routing()
    publish("intake", "ticket_created", created(title="暖气不热", category="heating"))

    assigned = seen.wait_for("routing", "ticket_assigned")[0]
    assert (assigned["department_code"], assigned["rule"], assigned["time_limit_class"]) == \
        ("ENERGY", "catalogue", "utilities")
    assert assigned["attempt"] == 1 and assigned["directory_version"] == 1
    assert service.repo.get(NUMBER)["attempts"][0]["rule"] == "catalogue"


def test_a_tie_waits_for_a_dispatcher_who_assigns_it(routing, recorder, publish):
    seen = recorder(("routing", "ticket_awaiting_dispatch"), ("routing", "ticket_assigned"))
    service = routing()
    # 停水 is water's, 燃气 energy's: the keyword matcher cannot be sure.
    publish("intake", "ticket_created", created(title="停水又停燃气", district="李沧区"))

    waiting = seen.wait_for("routing", "ticket_awaiting_dispatch")[0]
    codes = [s["department_code"] for s in waiting["suggestions"]]
    assert {"WATER", "ENERGY"} <= set(codes) and "D-LICANG" in codes
    assert all(s["department_name"] and s["reasons"] for s in waiting["suggestions"])
    publish("intake", "ticket_created", created(number="QD-URGENT", title="有事反映", urgency="emergency"))
    seen.wait_for("routing", "ticket_awaiting_dispatch", count=2)
    queued = service.rpc("queue")
    assert [q["number"] for q in queued] == ["QD-URGENT", NUMBER]  # emergencies first

    with pytest.raises(RemoteError) as info:
        service.rpc("assign", NUMBER, "NO_SUCH", "王调度", "试试")
    assert "no department NO_SUCH" in str(info.value)
    service.rpc("assign", NUMBER, "WATER", "王调度", "停水是主要诉求")

    assigned = seen.wait_for("routing", "ticket_assigned")[0]
    assert (assigned["department_code"], assigned["decided_by"], assigned["rule"]) == \
        ("WATER", "王调度", "operator")
    assert assigned["reasons"][0] == "停水是主要诉求"
    assert [q["number"] for q in service.rpc("queue")] == ["QD-URGENT"]
    with pytest.raises(RemoteError) as info:
        service.rpc("assign", NUMBER, "ENERGY", "李调度", "再派")
    assert "not waiting" in str(info.value)


def test_the_request_type_is_suggested_timed_and_set_by_a_dispatcher(routing, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"), ("routing", "ticket_awaiting_dispatch"))
    service = routing()
    # no type given: the words say consultation, and the city gives a consultation 3 working days
    publish("intake", "ticket_created", created(title="请问物业费如何缴纳", category="property-mgmt"))
    asked = seen.wait_for("routing", "ticket_assigned")[0]
    assert (asked["request_type"], asked["request_type_source"]) == ("consultation", "suggested")
    policy, at = DeadlinePolicy.from_config(service.config), datetime.fromisoformat(asked["assigned_at"])
    assert datetime.fromisoformat(asked["deadline"]) == \
        policy.terms(at, "general", request_type="consultation").deadline < policy.terms(at, "general").deadline
    record = service.rpc("get_decision", NUMBER)
    assert record["request_type_reason"]["code"] == "request_type_words" and record["request_type_limit"]
    preview = service.rpc("preview_terms", asked["assigned_at"], "general", "normal", request_type="咨询")
    assert (preview["deadline"], preview["request_type"], preview["request_type_limit"]) == \
        (asked["deadline"], "consultation", True)

    publish("intake", "ticket_created", created(number="QD-WAITS", title="有事反映", request_type="complaint"))
    waiting = seen.wait_for("routing", "ticket_awaiting_dispatch")[0]
    assert (waiting["request_type"], waiting["request_type_source"]) == ("complaint", "given")
    with pytest.raises(RemoteError) as info:
        service.rpc("assign", "QD-WAITS", "WATER", "王调度", "停水", request_type="grumble")
    assert "request type" in str(info.value)
    service.rpc("assign", "QD-WAITS", "WATER", "王调度", "停水", request_type="report")
    assigned = seen.wait_for("routing", "ticket_assigned", count=2)[1]
    assert (assigned["request_type"], assigned["request_type_source"]) == ("report", "dispatcher")


def test_a_refused_ticket_is_rerouted_and_a_twice_refused_one_waits_for_a_person(
        routing, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"), ("routing", "ticket_awaiting_dispatch"))
    service = routing()
    publish("intake", "ticket_created", created(title="小区停水两天了", description="停水没有通知，水压也低",
                                                district="崂山区"))
    first = seen.wait_for("routing", "ticket_assigned")[0]
    assert first["department_code"] == "WATER"

    refusal = refused(NUMBER, "WATER", reason="系小区二次供水设施，归物业管理")
    publish("followup", "case_refused", refusal)
    publish("followup", "case_refused", refusal)  # redelivered: applied once
    second = seen.wait_for("routing", "ticket_assigned", count=2)[1]
    assert second["department_code"] not in ("WATER",)
    assert (second["attempt"], second["previous_department_code"]) == (2, "WATER")
    assert second["refused_departments"] == ["WATER"]
    assert any("refused by 市水务管理局" in r for r in second["reasons"])

    publish("followup", "case_refused", refused(NUMBER, second["department_code"], count=2))
    waiting = seen.wait_for("routing", "ticket_awaiting_dispatch")[0]
    assert waiting["previous_department_code"] == second["department_code"]
    assert any("refused 2 times" in r for r in waiting["reasons"])
    assert not {"WATER", second["department_code"]} & {s["department_code"] for s in waiting["suggestions"]}
    settle()
    assert len(seen.of("routing", "ticket_assigned")) == 2
    record = service.rpc("get_decision", NUMBER)
    assert record["status"] == "awaiting_dispatch" and record["rule"] == "arbitration"
    assert [r["department_code"] for r in record["refusals"]] == ["WATER", second["department_code"]]


def test_a_refusal_by_a_department_that_does_not_hold_the_ticket_changes_nothing(
        routing, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"))
    service = routing()
    publish("intake", "ticket_created", created(title="暖气不热", category="heating"))
    seen.wait_for("routing", "ticket_assigned")
    publish("followup", "case_refused", refused(NUMBER, "WATER"))
    settle()
    assert service.rpc("get_decision", NUMBER)["department_code"] == "ENERGY"
    assert len(seen.of("routing", "ticket_assigned")) == 1


def test_directory_changes_are_versioned_and_checked(routing):
    service = routing()
    assert len(service.rpc("list_departments")) >= 30
    with pytest.raises(RemoteError) as info:
        service.rpc("add_department", {"code": "WATER", "name": "x"}, "admin", "")
    assert "exists already" in str(info.value)
    added = service.rpc("add_department", {"code": "PORT", "name": "青岛港集团", "keywords": ["码头", "港口"]},
                        "admin", "港口诉求增多")
    assert added["version"] == 2
    assert service.rpc("update_department", "PORT", {"phone": "0532-8000-0501"}, "admin", "公布电话")["version"] == 3
    with pytest.raises(RemoteError) as info:
        service.rpc("retire_department", "WATER", "admin", "")
    assert "water-outage" in str(info.value)
    assert service.rpc("retire_department", "PORT", "admin", "并入交通局")["version"] == 4
    assert "PORT" not in {d["code"] for d in service.rpc("list_departments")}
    assert service.rpc("get_department", "PORT")["retired"] is True
    assert [c["action"] for c in service.rpc("directory_history")] == ["retire", "update", "add", "seed"]
    catalogue = service.rpc("get_catalogue")
    assert {"code", "name", "description", "group", "keywords", "department", "class"} <= set(catalogue[0])
    assert {c["code"]: c["department"] for c in catalogue}["heating"] == "ENERGY"


def wait_for_change(seen, action, code, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in seen.of("routing", "department_changed"):
            if event["action"] == action and event["department"]["code"] == code:
                return event
        time.sleep(0.05)
    raise AssertionError(f"no department_changed {action} of {code}")


def test_the_directory_is_a_tree_and_its_changes_carry_parent_and_duties(routing, recorder):
    seen = recorder(("routing", "department_changed"))
    service = routing()
    listed = {d["code"]: d for d in service.rpc("list_departments")}
    assert listed["S-BADAGUAN"]["parent"] == "D-SHINAN"
    assert {"C-BDG-SHAOGUAN", "C-BDG-TAIPINGJIAO"} <= set(listed["S-BADAGUAN"]["children"])
    seeded = wait_for_change(seen, "seed", "C-BDG-SHAOGUAN")
    assert seeded["department"]["parent"] == "S-BADAGUAN" and seeded["department"]["duties"]

    added = service.rpc("add_department", {"code": "C-BDG-NEW", "name": "八大关街道新社区", "kind": "community",
                                           "parent": "S-BADAGUAN", "duties": ["楼院环境卫生"]},
                        "admin", "新设社区")
    event = wait_for_change(seen, "add", "C-BDG-NEW")
    assert (event["version"], event["department"]["parent"], event["department"]["duties"]) == \
        (added["version"], "S-BADAGUAN", ["楼院环境卫生"])
    service.rpc("update_department", "C-BDG-NEW", {"parent": "S-XIANGGANG", "duties": ["物业协调", "邻里调解"]},
                "admin", "划归香港中路街道")
    moved = wait_for_change(seen, "update", "C-BDG-NEW")
    assert (moved["department"]["parent"], moved["department"]["duties"]) == ("S-XIANGGANG", ["物业协调", "邻里调解"])

    for changes, word in (({"parent": "NO_SUCH"}, "NO_SUCH is not in the directory"),
                          ({"parent": "C-BDG-NEW"}, "cannot be inside itself")):
        with pytest.raises(RemoteError) as info:
            service.rpc("update_department", "S-XIANGGANG", changes, "admin", "试")
        assert info.value.exc_type == "DirectoryInvalid" and word in str(info.value)
    with pytest.raises(RemoteError) as info:  # a unit with units in service below it stays
        service.rpc("retire_department", "S-XIANGGANG", "admin", "撤并")
    assert "below it" in str(info.value)
    service.rpc("retire_department", "C-BDG-NEW", "admin", "撤销")
    with pytest.raises(RemoteError) as info:  # and no new unit goes under a retired one
        service.rpc("add_department", {"code": "C-X", "name": "x", "kind": "community", "parent": "C-BDG-NEW"},
                    "admin", "试")
    assert "retired" in str(info.value)
    assert service.rpc("get_department", "S-BADAGUAN")["parent"] == "D-SHINAN"


def test_a_trained_model_decides_free_text_and_every_instance_loads_it(routing, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"), ("routing", "ticket_awaiting_dispatch"))
    first = routing(ROUTING_REFRESH_INTERVAL=0.3)
    first.rpc("import_history", [list(row) for row in generate(20, seed=3)], "synthetic")
    trained = first.rpc("train", timeout=120)
    assert trained["version"] == 1 and trained["meta"]["examples"] == 460
    assert trained["meta"]["threshold"] is not None

    second = routing(ROUTING_REFRESH_INTERVAL=0.3)  # another instance over the same store
    assert second.rpc("model_info")["loaded_version"] == 1

    publish("intake", "ticket_created", created(title="楼下饭店油烟直排", description="每天晚上熏得没法开窗，希望尽快处理"))
    assigned = seen.wait_for("routing", "ticket_assigned")[0]
    assert (assigned["department_code"], assigned["rule"], assigned["model_version"]) == \
        ("URBAN_MGMT", "classifier", 1)
    assert any("words that weighed most" in r and "油烟" in r for r in assigned["reasons"])

    publish("intake", "ticket_created", created(number="QD-2", title="我想问一下", description="麻烦帮忙看看"))
    waiting = seen.wait_for("routing", "ticket_awaiting_dispatch")[0]
    assert waiting["number"] == "QD-2" and len(waiting["suggestions"]) == 3

    publish("followup", "case_closed", events.new_event(
        events.CaseClosed, number=NUMBER, department_code="URBAN_MGMT", closed_at=events.utcnow()))
    settle(0.5)
    assert first.rpc("model_info")["examples"] == 461


def test_refused_and_closed_tickets_feed_the_scheduled_retraining(routing, recorder, publish):
    from nameko.testing.services import entrypoint_hook

    seen = recorder(("routing", "ticket_assigned"))
    service = routing()
    service.rpc("import_history", [list(row) for row in generate(20, seed=3)], "synthetic")
    with entrypoint_hook(service.container, "retrain") as retrain:
        retrain()  # no model yet, enough examples: the first one
    assert service.rpc("model_info")["loaded_version"] == 1

    publish("intake", "ticket_created", created(title="小区楼道水管爆管漏水", description="物业一直不来维修"))
    first = seen.wait_for("routing", "ticket_assigned")[0]["department_code"]
    publish("followup", "case_refused", refused(NUMBER, first))
    final = seen.wait_for("routing", "ticket_assigned", count=2)[1]["department_code"]
    publish("followup", "case_closed", events.new_event(
        events.CaseClosed, number=NUMBER, department_code=final, closed_at=events.utcnow()))
    settle(0.5)

    with entrypoint_hook(service.container, "retrain") as retrain:
        retrain()
    info = service.rpc("model_info")
    assert info["loaded_version"] == 2
    assert (info["meta"]["examples"], info["meta"]["weighted_for_refusals"]) == (461, 1)
    assert info["meta"]["reason"] == "schedule"
    with entrypoint_hook(service.container, "retrain") as retrain:
        retrain()  # nothing new learned: no new model
    assert service.rpc("model_info")["loaded_version"] == 2


def test_a_history_of_another_city_brings_its_departments(routing):
    service = routing()
    rows = [["Loud music party noise", "NYPD"]] * 15 + [["Pothole on the street", "DOT"]] * 15 + \
        [["路灯不亮", "区城管执法局"]] * 15
    imported = service.rpc("import_history", rows, "nyc.csv")
    assert imported["not_in_directory"] == {"NYPD": 15, "DOT": 15, "区城管执法局": 15}
    added = service.rpc("add_departments_named", sorted(imported["not_in_directory"]), "admin", "from nyc.csv")
    assert {d["code"] for d in added} >= {"NYPD", "DOT"}
    chinese = next(d["code"] for d in added if d["name"] == "区城管执法局")
    assert chinese.startswith("H-")
    assert service.rpc("add_departments_named", ["NYPD"], "admin", "again") == []
    trained = service.rpc("train", timeout=120)
    assert trained["meta"]["departments"] == 3 and trained["meta"]["examples"] == 45
    assert service.rpc("suggest", {"title": "路灯不亮了"})["suggestions"][0]["department_code"] == chinese


def raised(number, department, to=None):
    return events.new_event(events.CaseRaised, number=number, department_code=department, to_department_code=to,
                            reason="reopened 2 times (limit 2): unresolved", reopen_count=2,
                            raised_at=events.utcnow())


def test_a_raised_case_goes_to_the_parent_unit_once_or_to_the_dispatchers(routing, recorder, publish):
    seen = recorder(("routing", "ticket_assigned"), ("routing", "ticket_awaiting_dispatch"))
    service = routing()
    publish("intake", "ticket_created", created(title="小区停水两天了", description="停水没有通知，水压也低",
                                                district="崂山区"))
    assert seen.wait_for("routing", "ticket_assigned")[0]["department_code"] == "WATER"
    publish("followup", "case_raised", raised(NUMBER, "ENERGY", "D-LAOSHAN"))  # not who holds it: ignored
    move = raised(NUMBER, "WATER", "D-LAOSHAN")
    publish("followup", "case_raised", move)
    publish("followup", "case_raised", move)  # redelivered: applied once
    moved = seen.wait_for("routing", "ticket_assigned", count=2)[1]
    assert (moved["department_code"], moved["rule"], moved["redispatched"]) == ("D-LAOSHAN", "raised", True)
    assert (moved["previous_department_code"], moved["attempt"]) == ("WATER", 2)
    settle()
    assert len(seen.of("routing", "ticket_assigned")) == 2

    publish("followup", "case_raised", raised(NUMBER, "D-LAOSHAN"))  # no parent: the centre
    waiting = seen.wait_for("routing", "ticket_awaiting_dispatch")[0]
    assert waiting["previous_department_code"] == "D-LAOSHAN"
    assert service.rpc("get_decision", NUMBER)["rule"] == "raised"
    assert [q["number"] for q in service.rpc("queue", 50, 0, "raised")] == [NUMBER]


def test_only_an_administrator_decides_a_catalogue_proposal(routing):
    service = routing()

    def as_(roles, method, *args):
        with ServiceRpcProxy("routing", service.config, timeout=30,
                             context_data=context(person("某人", roles), service.config)) as proxy:
            return getattr(proxy, method)(*args)

    assert as_(("supervisor",), "catalogue_proposals") == {"items": [], "total": 0}
    with pytest.raises(RemoteError) as refused:
        as_(("dispatcher", "supervisor"), "decide_catalogue_proposal", "move_category:x:A>B", "accept", "试")
    assert refused.value.exc_type == "NotAllowed"
    with pytest.raises(RemoteError) as refused:
        as_(("operator",), "catalogue_proposals")
    assert refused.value.exc_type == "NotAllowed"
    with pytest.raises(RemoteError) as unknown:
        as_(("admin",), "decide_catalogue_proposal", "move_category:x:A>B", "accept", "试")
    assert unknown.value.exc_type == "RoutingError"
    assert as_(("admin",), "propose_catalogue_edits")["pending"] == 0
