"""A user's view of the whole stack: HTTP and the CLI against four processes."""
import json

import pytest

WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。",
         "caller_name": "王芳", "caller_phone": "13853212345", "district": "崂山区",
         "urgency": "urgent", "channel": "web"}


@pytest.fixture(scope="module")
def stack(another_stack):
    """The second shared stack: ``hotline demo`` posts the same citizens as test_department_api and
    test_intake_channels: on their stack its tickets would be linked to theirs as repeats."""
    return another_stack


def test_a_ticket_posted_over_http_is_assigned_opened_and_watched(stack):
    response = stack.post(WATER)
    assert response.status_code == 201
    number = response.json()["number"]

    view = stack.wait_until(number, lambda v: v["case_opened"] and v["deadline_watched"])

    assert view["status"] == "assigned"
    assert view["department"]["code"] == "WATER"
    assert view["deadline"] > view["received_at"]
    statuses = [h["status"] for h in view["history"]]
    # intake applies events as they arrive, by several workers: after "received"
    # the order of the others is the order intake heard them in.
    assert statuses[0] == "received"
    assert sorted(statuses[1:]) == ["assigned", "case_opened", "deadline_watched"]
    case = stack.rpc("followup", "get_case", number)
    assert case["department_code"] == "WATER" and case["state"] == "assigned"
    watch = stack.rpc("notify", "get_watch", number)
    assert watch["deadline"] == case["deadline"] == view["deadline"]


def test_invalid_input_is_refused_with_field_errors(stack):
    response = stack.post({"title": "x", "caller_phone": "555", "lat": 200, "lng": 0})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "caller_phone", "lat"}


def test_the_cli_submits_and_shows_status(stack):
    submitted = stack.hotline("submit", "--title", "公司拖欠工资三个月", "--description", "老板欠薪不发",
                              "--phone", "15966668888", "--district", "黄岛区", "--json")
    assert submitted.returncode == 0, submitted.stderr
    number = json.loads(submitted.stdout)["number"]
    stack.wait_until(number, lambda v: v["department"] is not None)

    shown = stack.hotline("status", number)
    assert shown.returncode == 0, shown.stderr
    assert "市人力资源和社会保障局" in shown.stdout
    assert "reply by" in shown.stdout
    assert "15966668888" not in shown.stdout  # the caller's number is never shown in full


def test_the_cli_explains_refusals(stack):
    refused = stack.hotline("submit", "--title", "噪音", "--district", "朝阳区")
    assert refused.returncode == 2
    assert "district: unknown district" in refused.stderr


def test_make_demo_prints_every_ticket_with_a_department(stack):
    demo = stack.hotline("demo", "--url", stack.url)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    rows = [line for line in demo.stdout.splitlines() if line.startswith("QD-")]
    assert len(rows) == 6
    assert all(" - " not in row for row in rows)
