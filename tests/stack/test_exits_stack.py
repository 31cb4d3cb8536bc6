"""提级办理 against the running stack: a case its unit has had reopened twice is
raised a level at the third unresolved callback -- to the unit's parent when the
directory names one, else to the dispatchers for the centre's leadership -- and
followup moves it where routing sends it."""
import json

import pytest

from tests.stack.test_followup_lifecycle import FIRST, WATER, Department, cli


@pytest.fixture(scope="module")
def stack(own_stack):
    return own_stack


def opened_for(code):
    """The ticket's history says a case was opened for ``code``."""
    return lambda view: any(h["status"] == "case_opened" and (h.get("reason_codes") or [{}])[0]
                            .get("params", {}).get("department") == code for h in view["history"])


def reopen_until_raised(stack, number, department):
    """Three rounds: sign for, reply, approve, an unresolved callback; the last one raises."""
    for round_ in range(3):
        assert department.post(number, "sign-for", actor="张工").status_code == 200
        assert department.post(number, "reply", text=FIRST, actor="张工").status_code == 200
        cli(stack, "case", "review", number, "--approve", "--by", "李审核")
        said = cli(stack, "case", "callback", number, "--reached", "--outcome",
                   "partly_resolved" if round_ == 0 else "unresolved", "--satisfaction", "dissatisfied",
                   "--note", "三楼以上仍然没水", "--by", "王回访")
    return said


def test_raised_to_the_centre_then_dispatched_to_another_unit(stack):
    number = stack.post(WATER).json()["number"]
    stack.wait_until(number, lambda v: v["case_opened"])
    water = Department(stack, cli(stack, "case", "token", "create", "WATER").strip().splitlines()[-1])
    assert "now raised" in reopen_until_raised(stack, number, water)
    assert water.post(number, "sign-for").status_code == 409

    # WATER has no unit above it: the dispatchers decide, for the centre's leadership
    stack.wait_until(number, lambda v: v["status"] == "awaiting_dispatch")
    queued = json.loads(cli(stack, "routing", "queue", "--json"))
    assert [(q["number"], q["rule"]) for q in queued] == [(number, "raised")]
    cli(stack, "routing", "assign", number, "D-LAOSHAN", "--by", "王调度", "--reason", "提级：由区政府统筹办理")
    view = stack.wait_until(number, opened_for("D-LAOSHAN"))
    assert view["status"] == "assigned" and view["department"]["code"] == "D-LAOSHAN"

    laoshan = Department(stack, cli(stack, "case", "token", "create", "D-LAOSHAN").strip().splitlines()[-1])
    assert [c["number"] for c in laoshan.cases().json()] == [number]
    ledger = json.loads(cli(stack, "case", "history", number, "--json"))
    raised = next(e for e in ledger if e["action"] == "raised")
    assert raised["department_code"] == "WATER" and raised["actor"] == "王回访" and raised["actor_id"]
    assert ledger[-1]["action"] == "assigned" and ledger[-1]["department_code"] == "D-LAOSHAN"
    card = json.loads(cli(stack, "scorecard", "--json"))
    assert next(d for d in card["departments"] if d["department"] == "WATER")["raised"] == 1


def test_raised_to_the_parent_unit(stack):
    """A street office's case, reopened twice, goes to its district (the directory's parent)."""
    number = stack.post(dict(WATER, title="太平角一路楼道积水", district="市南区", street="八大关街道",
                             address="八大关街道太平角一路 5 号", caller_phone="13953200555", caller_name="赵琳",
                             description="太平角一路5号楼道雨后积水一周，楼下住户进出不便。")).json()["number"]
    stack.wait_until(number, lambda v: v["case_opened"] or v["status"] == "awaiting_dispatch")
    if stack.rpc("routing", "get_decision", number)["department_code"] != "S-BADAGUAN":
        cli(stack, "routing", "redispatch", number, "S-BADAGUAN", "--reason", "属地：街道先行处置") \
            if stack.rpc("routing", "get_decision", number)["status"] == "assigned" else \
            cli(stack, "routing", "assign", number, "S-BADAGUAN", "--by", "王调度", "--reason", "属地：街道先行处置")
    stack.wait_until(number, opened_for("S-BADAGUAN"))
    street = Department(stack, cli(stack, "case", "token", "create", "S-BADAGUAN").strip().splitlines()[-1])
    assert "now raised" in reopen_until_raised(stack, number, street)
    view = stack.wait_until(number, opened_for("D-SHINAN"))
    assert view["department"]["code"] == "D-SHINAN"
    decision = stack.rpc("routing", "get_decision", number)
    assert (decision["department_code"], decision["rule"]) == ("D-SHINAN", "raised")
