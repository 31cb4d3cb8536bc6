"""The exits in the workbench, in a real browser: the environment bureau proposes one case
as an unreasonable request (不合理诉求) with a link and a photo and the reviewer
rules it so; it proposes another for the 挂账 list with a recheck day and the
supervisor approves it; the list shows it, and every ledger entry names the person
and the unit."""
import datetime as dt

import pytest

from tests.browser.test_journey import PNG

PEOPLE = [("x.env", "许环保", ["department"], "ENVIRONMENT"), ("x.reviewer", "许审核", ["reviewer"], None),
          ("x.supervisor", "许督办", ["supervisor"], None)]


@pytest.fixture(scope="module")
def cases(workbench):
    for login, name, roles, department in PEOPLE:
        workbench.user(login, *roles, department=department, name=name)
    post = workbench.stack.post
    # the environment bureau's own cases: the journey's scorecard counts the water bureau's
    found = {"unreasonable": post({"title": "要求关停合法经营的餐馆", "description": "市北区延安路餐馆油烟达标，仍要求关停",
                                   "district": "市北区", "category": "pollution"}).json()["number"],
             "hold": post({"title": "河道污水治理", "description": "李沧区书院路附近河道有异味，需要整体治理",
                           "district": "李沧区", "category": "pollution"}).json()["number"]}
    water = workbench.http("x.env")
    for number in found.values():
        workbench.wait_for_case(number, "assigned")
        assert water.post(f"{workbench.url}/department/cases/{number}/sign-for", data={"csrf": water.csrf},
                          timeout=10).status_code == 200
        workbench.wait_for_case(number, "signed_for")
    return found


def test_an_unreasonable_request_proposed_with_evidence_and_ruled(workbench, cases, tmp_path):
    number = cases["unreasonable"]
    water = workbench.sign_in("x.env")
    water.goto(f"{workbench.url}/department/cases/{number}")
    water.click("summary:has-text('不合理诉求')")
    form = water.locator(f"form[action='/department/cases/{number}/unreasonable']")
    form.locator("textarea[name=reason]").fill("餐馆油烟经监测达标，诉求超出本单位职责和法律规定")
    form.locator("textarea[name=evidence]").fill("https://files.example/permit.pdf")
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    form.locator("input[type=file]").set_input_files(str(photo))
    form.locator("button").click()
    water.wait_for_selector("#proposal")
    assert "待审核人员认定" in water.inner_text("#proposal") and "现场.png" in water.inner_text("#proposal")
    workbench.shot(water, "exits-unreasonable-proposed")

    reviewer = workbench.sign_in("x.reviewer")
    reviewer.goto(f"{workbench.url}/review?tab=unreasonable")
    row = reviewer.locator("#unreasonable tr", has_text=number)
    assert "超出本单位职责" in row.inner_text() and "现场.png" in row.inner_text()
    row.locator("button[value=reject]").click()  # a rejection needs its reason
    assert "理由" in reviewer.inner_text("main")
    reviewer.goto(f"{workbench.url}/review?tab=unreasonable")
    reviewer.locator("#unreasonable tr", has_text=number).locator("button[value=approve]").click()
    assert "不合理诉求" in workbench.flash(reviewer)
    case = workbench.wait_for_case(number, "closed")
    assert case["outcome"] == "unreasonable"
    water.goto(f"{workbench.url}/department/cases/{number}")
    assert "不合理诉求" in water.inner_text("#outcome")
    people = {login: name for login, name, *_ in PEOPLE}
    for entry in case["ledger"]:
        assert entry["department_code"] == "ENVIRONMENT", entry
        if entry["action"] == "assigned":
            assert entry["actor"] == "routing"
            continue
        assert people[entry["actor_id"]] == entry["actor"], entry
    assert {e["actor"] for e in case["ledger"] if e["action"] in ("unreasonable_approved", "closed")} == {"许审核"}


def test_a_hold_proposed_approved_and_on_the_list(workbench, cases):
    number = cases["hold"]
    day = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    water = workbench.sign_in("x.env")
    water.goto(f"{workbench.url}/department/cases/{number}")
    water.click("summary:has-text('挂账')")
    form = water.locator(f"form[action='/department/cases/{number}/hold']")
    form.locator("input[name=reason]").fill("河道整体治理需纳入明年财政预算")
    form.locator("input[name=recheck_on]").fill(day)
    form.locator("button").click()
    water.wait_for_selector("#proposal")
    assert day in water.inner_text("#proposal")

    supervisor = workbench.sign_in("x.supervisor")
    supervisor.goto(f"{workbench.url}/holds")
    supervisor.locator("#holds-waiting tr", has_text=number).locator("button[value=approve]").click()
    assert "挂账" in workbench.flash(supervisor)
    assert workbench.wait_for_case(number, "on_hold")["hold"]["recheck_on"] == day
    row = supervisor.locator("#holds-list tr", has_text=number)
    assert day in row.inner_text() and "许督办" in row.inner_text()
    workbench.shot(supervisor, "exits-holds")
    water.goto(f"{workbench.url}/holds")  # the unit sees its own 挂账 list
    assert number in water.inner_text("#holds-list")
