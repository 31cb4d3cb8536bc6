"""insight as a user meets it: fed by the running stack, the CLI and HTTP."""
import json
import time

import pytest
import requests

NOISE = {"title": "工地夜间施工噪音扰民", "description": "市南区香港中路工地每天晚上十一点以后还在施工。",
         "caller_phone": "13853212345", "district": "市南区", "channel": "web"}


@pytest.fixture(scope="module")
def stack(another_stack):
    """The second shared stack: the weeks of history loaded below would make every insight
    report that test_doors fuzzes on the first one several times slower."""
    return another_stack


def test_a_submitted_ticket_reaches_insight_with_its_department(stack):
    number = stack.post(NOISE).json()["number"]
    deadline = time.monotonic() + 15
    seen = None
    while time.monotonic() < deadline:
        seen = stack.rpc("insight", "get_request", number)
        if seen and seen.get("department_code") and seen.get("title"):
            break
        time.sleep(0.2)
    assert seen["title"] == NOISE["title"] and seen["channel"] == "web"
    assert seen["department_code"] == "HOUSING"
    assert "施工" in seen["terms"]


def test_history_hotspots_staffing_and_charts_from_the_cli_and_http(stack):
    loaded = stack.hotline("insight", "load-history", "--weeks", "5", "--daily", "80")
    assert loaded.returncode == 0, loaded.stderr
    assert " stored," in loaded.stdout and "planted:" in loaded.stdout

    shown = stack.hotline("insight", "hotspots")
    assert shown.returncode == 0, shown.stderr
    assert "Spikes" in shown.stdout and "Emerging terms" in shown.stdout

    report = json.loads(stack.hotline("insight", "hotspots", "--json").stdout)
    assert report["total"] > 0 and report["by_district"]

    plan = stack.hotline("insight", "staffing", "--json")
    assert plan.returncode == 0, plan.stderr
    plan = json.loads(plan.stdout)
    assert len(plan["hours"]) == 168 and plan["totals"]["peak_operators"] >= 1

    problems = stack.hotline("insight", "top-problems")
    assert problems.returncode == 0, problems.stderr
    assert "Largest:" in problems.stdout

    url = f"http://{stack.env['INSIGHT_HTTP']}"
    chart = requests.get(f"{url}/insight/hotspots.png", timeout=60)
    assert chart.status_code == 200 and chart.content[:4] == b"\x89PNG"


def test_the_cli_explains_a_bad_date(stack):
    refused = stack.hotline("insight", "hotspots", "--from", "last-monday")
    assert refused.returncode == 2
    assert "from: Not a valid date." in refused.stderr
