"""A case's whole life against the running stack, as people would live it:
the department over HTTP with its token, operators with the CLI."""
import json

import pytest
import requests

WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。",
         "caller_name": "王芳", "caller_phone": "13853212345", "district": "崂山区", "channel": "web"}
FIRST = "经查，海尔路小区停水系主供水管道破裂，维修人员已于11月26日下午修复，当晚恢复供水，并在小区张贴通知。"
SECOND = "复查发现海尔路小区三楼以上水压不足，已调整二次供水泵站，11月28日起全楼恢复正常供水。"


class Department:
    def __init__(self, stack, token):
        self.url = f"http://{stack.env['FOLLOWUP_HTTP']}"
        self.auth = {"Authorization": f"Bearer {token}"}

    def post(self, number, action, **body):
        return requests.post(f"{self.url}/cases/{number}/{action}", json=body, headers=self.auth, timeout=10)

    def cases(self):
        return requests.get(f"{self.url}/cases", headers=self.auth, timeout=10)


@pytest.fixture(scope="module")
def stack(own_stack):
    """A stack of this module's own: the water department's case list and scorecard
    below count every case it has had."""
    return own_stack


def cli(stack, *args):
    done = stack.hotline(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_case_from_assignment_through_reopening_to_closed(stack):
    number = stack.post(WATER).json()["number"]
    stack.wait_until(number, lambda v: v["case_opened"])
    token = cli(stack, "case", "token", "create", "WATER").strip().splitlines()[-1]
    water = Department(stack, token)

    assert [c["number"] for c in water.cases().json()] == [number]
    assert water.post(number, "sign-for", actor="张工").json()["state"] == "signed_for"
    assert water.post(number, "sign-for", actor="张工").status_code == 409
    assert water.post(number, "reply", text="已处理", actor="张工").status_code == 200

    shown = cli(stack, "case", "review", number)
    assert "boilerplate" in shown and "off_topic" in shown and "小区停水两天了" in shown
    cli(stack, "case", "review", number, "--reject", "--reason", "没有说明停水原因和恢复时间",
        "--by", "李审核")
    assert water.post(number, "reply", text=FIRST, attachments=["https://files.example/1.jpg"]).status_code == 200
    assert "quality gate: nothing found" in cli(stack, "case", "review", number)
    assert "callback due by" in cli(stack, "case", "review", number, "--approve", "--by", "李审核")

    reopened = cli(stack, "case", "callback", number, "--reached", "--unresolved",
                   "--satisfaction", "dissatisfied", "--note", "三楼以上仍然没水", "--by", "王回访")
    assert "now assigned" in reopened and "reopened to 市水务管理局" in reopened
    assert water.post(number, "sign-for").status_code == 200
    assert water.post(number, "reply", text=SECOND).status_code == 200
    cli(stack, "case", "review", number, "--approve", "--by", "李审核")
    closed = cli(stack, "case", "callback", number, "--reached", "--resolved",
                 "--satisfaction", "satisfied", "--by", "王回访")
    assert "now closed" in closed

    refused = stack.hotline("case", "callback", number, "--not-reached")
    assert refused.returncode == 2 and "is closed: cannot record a callback" in refused.stderr
    assert water.post(number, "reply", text=SECOND).status_code == 409

    ledger = json.loads(cli(stack, "case", "history", number, "--json"))
    assert [e["action"] for e in ledger] == [
        "assigned", "signed_for", "replied", "rejected", "replied", "approved", "callback",
        "reopened", "signed_for", "replied", "approved", "callback", "closed"]
    history = cli(stack, "case", "history", number)
    assert "没有说明停水原因和恢复时间" in history and "三楼以上仍然没水" in history

    card = json.loads(cli(stack, "scorecard", "--json"))
    line = next(d for d in card["departments"] if d["department"] == "WATER")
    assert {k: line[k] for k in ("dispatched", "signed_for", "response_rate", "replies",
                                 "on_time_reply_rate", "callbacks_reached", "resolution_rate",
                                 "satisfaction_rate", "approved", "refusals", "rejected_replies",
                                 "closed")} == {
        "dispatched": 2, "signed_for": 2, "response_rate": 1.0, "replies": 3,
        "on_time_reply_rate": 1.0, "callbacks_reached": 2, "resolution_rate": 0.5,
        "satisfaction_rate": 0.5, "approved": 2, "refusals": 0, "rejected_replies": 1, "closed": 1}
    over_http = requests.get(f"{water.url}/scorecard", timeout=10).json()
    assert over_http["city"]["closed"] == 1 and over_http["departments"] == card["departments"]
    assert water.cases().json() == []
