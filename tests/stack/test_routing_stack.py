"""Routing as a dispatcher sees it: the CLI and HTTP against the four running services."""
import json

import pytest

from shared.contract import events
from shared.platform.principals import event_dispatcher
from tests.typed_orders import typed_orders


@pytest.fixture(scope="module")
def stack(own_stack):
    """A stack of this module's own: it retrains routing and adds a department, which
    would change where other modules' tickets go."""
    return own_stack


@pytest.fixture(scope="module")
def trained(stack, tmp_path_factory):
    """The stack's routing, trained on a synthetic Chinese history through routing's own command."""
    path = tmp_path_factory.mktemp("history") / "history.jsonl"
    written = stack.command("services.routing", "synth-history", str(path), "--per-department", "20")
    assert written.returncode == 0, written.stderr
    imported = stack.command("services.routing", "import-history", str(path), "--text-col", "text",
                             "--label-col", "department")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "460 examples stored" in imported.stdout
    assert "model version 1" in imported.stdout
    return stack


def submit(stack, **fields):
    body = {"caller_phone": "13853212345", "channel": "web", **fields}
    response = stack.post(body)
    assert response.status_code == 201, response.text
    return response.json()["number"]


def refuse(stack, number, department_code, count):
    dispatch = event_dispatcher({"AMQP_URI": stack.env["AMQP_URI"]}, "followup")
    dispatch("followup", "case_refused", events.new_event(
        events.CaseRefused, number=number, department_code=department_code, reason="不属于本单位职责",
        refused_at=events.utcnow(), refusal_count=count))


def test_a_catalogue_ticket_goes_straight_to_its_department(trained):
    number = submit(trained, title="暖气不热", description="家里暖气一直不热", district="李沧区",
                    category="heating")
    view = trained.wait_until(number, lambda v: v["department"])
    assert view["department"]["code"] == "ENERGY"
    shown = trained.hotline("routing", "decision", number)
    assert "catalogue" in shown.stdout and "category heating" in shown.stdout


def test_free_chinese_text_goes_to_the_right_department_with_reasons(trained):
    number = submit(trained, title="楼下饭店油烟直排", description="每天晚上熏得没法开窗，希望尽快处理",
                    district="市北区")
    view = trained.wait_until(number, lambda v: v["department"])
    assert view["department"]["code"] == "URBAN_MGMT"
    shown = trained.hotline("routing", "decision", number)
    assert "classifier" in shown.stdout and "words that weighed most" in shown.stdout
    assert "油烟" in shown.stdout and "model v1" in shown.stdout


def test_an_ambiguous_ticket_waits_and_a_dispatcher_sends_it_from_the_cli(trained):
    number = submit(trained, title="我想问一下", description="麻烦帮忙看看")
    trained.wait_until(number, lambda v: v["status"] == "awaiting_dispatch")

    queue = trained.hotline("routing", "queue")
    assert number in queue.stdout and "1. " in queue.stdout  # with suggestions
    assigned = trained.hotline("routing", "assign", number, "D-SHINAN", "--by", "王调度",
                               "--reason", "来电人补充：问题在市南区")
    assert assigned.returncode == 0, assigned.stderr
    view = trained.wait_until(number, lambda v: v["department"])
    assert view["department"]["code"] == "D-SHINAN"
    assert "by 王调度" in view["history"][-1]["note"] or any("王调度" in h["note"] for h in view["history"])
    again = trained.hotline("routing", "assign", number, "WATER", "--by", "李调度", "--reason", "再派")
    assert again.returncode == 2 and "not waiting" in again.stderr


def test_a_refused_ticket_is_rerouted_and_a_twice_refused_one_waits_for_a_person(trained):
    # A burst pipe in the stairwell: water's, or the property manager's (housing)?
    number = submit(trained, title="小区楼道水管爆管漏水", description="物业一直不来维修", district="崂山区")
    first = trained.wait_until(number, lambda v: v["department"])["department"]["code"]
    assert first in ("WATER", "HOUSING")

    refuse(trained, number, first, 1)
    second = trained.wait_until(
        number, lambda v: v["department"] and v["department"]["code"] != first)["department"]["code"]
    assert second == ({"WATER", "HOUSING"} - {first}).pop()
    record = trained.rpc("routing", "get_decision", number)
    assert record["assignments"] == 2 and record["refusals"][0]["department_code"] == first

    refuse(trained, number, second, 2)
    view = trained.wait_until(number, lambda v: v["status"] == "awaiting_dispatch")
    assert view["department"] is None and view["deadline"] is None  # nobody holds it now
    queue = json.loads(trained.hotline("routing", "queue", "--json").stdout)
    waiting = next(row for row in queue if row["number"] == number)
    assert waiting["rule"] == "arbitration"
    assert {first, second}.isdisjoint(s["department_code"] for s in waiting["suggestions"])


def test_the_directory_is_managed_from_the_cli(trained):
    added = trained.hotline("routing", "add-department", "PORT", "--name", "青岛港集团",
                            "--keywords", "码头,港口", "--by", "admin", "--reason", "港口诉求增多")
    assert added.returncode == 0, added.stderr
    assert "directory version 2" in added.stdout
    bad = trained.hotline("routing", "add-department", "PORT", "--name", "重复", "--by", "admin")
    assert bad.returncode == 2 and "exists already" in bad.stderr
    listed = trained.hotline("routing", "departments")
    assert "PORT" in listed.stdout and "市水务管理局" in listed.stdout
    history = trained.hotline("routing", "directory-history")
    assert "v2" in history.stdout and "港口诉求增多" in history.stdout
    catalogue = json.loads(trained.hotline("routing", "catalogue", "--json").stdout)
    assert {"code", "name", "description", "group", "keywords", "department", "class"} <= set(catalogue[0])


def test_the_types_operators_gave_type_the_next_ticket_after_training(trained):
    """Operators typed tickets at the doors (complaints that never say 投诉, suggestions that never
    say 建议); after `hotline routing train` a ticket with no type is typed by the learned model,
    as `hotline routing decision` and `try` show -- the rules alone would call it help."""
    numbers = [submit(trained, title=title, description=description, request_type=kind,
                      caller_phone=f"1395321{n:04d}")  # a caller of their own: not linked as repeats
               for n, (title, description, kind) in enumerate(typed_orders(60, seed=6))]
    for number in numbers:  # decided: routing keeps the type with each decision
        trained.wait_until(number, lambda v: v["department"] or v["status"] == "awaiting_dispatch")
    done = trained.hotline("routing", "train")
    assert done.returncode == 0, done.stderr
    assert "request type: learned from" in done.stdout, done.stdout

    number = submit(trained, title="物业乱收停车费", description="物业不作为，乱收费，要求给个说法")
    trained.wait_until(number, lambda v: v["department"] or v["status"] == "awaiting_dispatch")
    record = trained.rpc("routing", "get_decision", number)
    assert (record["request_type"], record["request_type_source"]) == ("complaint", "suggested")
    assert record["request_type_reason"]["code"] == "request_type_learned"
    assert 0.5 < record["request_type_confidence"] <= 1
    shown = trained.hotline("routing", "try", "--title", "物业乱收停车费", "--description", "物业不作为，乱收费")
    assert "suggested by the model learned from typed tickets" in shown.stdout, shown.stdout
    assert "request type: learned from" in trained.hotline("routing", "model").stdout
