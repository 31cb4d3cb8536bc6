"""How a city really works a case, in the workbench (issue 24), on a stack of its own whose
clock moves (demo mode) and whose refusals are reviewed.

A noise complaint from a street in 市南区 is dispatched to 市南区 as lead with the housing
bureau co-handling; 市南区 passes it to 八大关街道 (which signs for it late), which passes
it to a community; the community refuses and the street rejects the refusal with a reason;
the community replies, the street accepts and replies up, 市南区 accepts and replies with the
co-handler's reply beside its own; the hotline approves; the callback hears 部分解决, the
case reopens once, and is closed 已解决. A second case is ruled 不合理诉求, a third goes on
the 挂账 list and comes back on its day (moved clock). 市南区's rolled-up scorecard holds
its street's late sign-for; the street appeals it (within its window: before the clock
moves on to the hold's day) and the supervisor accepts: the after-appeal rate changes.
Every ledger entry names the person and the unit.
"""
import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import Workbench
from tests.stack.conftest import running_stack
from tests.stack.test_case_tree import until

ZONE = ZoneInfo("Asia/Shanghai")
DISTRICT, STREET, COMMUNITY, HOUSING = "D-SHINAN", "S-BADAGUAN", "C-BDG-TAIPINGJIAO", "HOUSING"
PEOPLE = [("t.disp", "钱派单", ["dispatcher"], None), ("t.district", "孙区办", ["department"], DISTRICT),
          ("t.street", "李街道", ["department"], STREET), ("t.community", "周社区", ["department"], COMMUNITY),
          ("t.housing", "吴住建", ["department"], HOUSING), ("t.review", "郑审核", ["reviewer"], None),
          ("t.callback", "王回访", ["callback"], None), ("t.sup", "冯督办", ["supervisor"], None)]
NAMES = {login: name for login, name, *_ in PEOPLE}
NOISE = {"title": "八大关附近工地夜间施工噪音", "district": "市南区", "street": "八大关街道",
         "address": "太平角一路附近工地", "channel": "web", "caller_phone": "13953267890",
         "description": "太平角一路附近的工地连续一周晚上十一点后还在施工，噪音很大，影响休息。"}


@pytest.fixture(scope="module")
def city(vhost_pipeline, tmp_path_factory, chromium):
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("tree-workbench"), HOTLINE_DEMO="1",
                       FOLLOWUP_REFUSAL_REVIEW="true") as stack:
        bench = Workbench(stack, chromium, keep_shots=True)
        for login, name, roles, department in PEOPLE:
            bench.user(login, *roles, department=department, name=name)
        bench.people = {login: bench.sign_in(login) for login in NAMES}
        yield bench


def case_of(bench, number):
    return bench.stack.rpc("followup", "get_case", number)


def part_state(bench, number, unit):
    parts = [a for a in case_of(bench, number).get("assignments") or [] if a["unit_code"] == unit]
    return parts[-1]["state"] if parts else None


def advance(bench, days):
    """Move the shared (demo) clock ``days`` on, as an administrator, and wait until every
    service follows it."""
    from shared.platform.principals import ClusterRpcProxy
    from tests.people import context, person

    version = bench.stack.rpc("notify", "get_clock")["version"]
    with ClusterRpcProxy({"AMQP_URI": bench.stack.env["AMQP_URI"]}, timeout=10,
                         context_data=context(person("管理员", roles=("admin",)))) as cluster:
        cluster.notify.advance_clock(int(days * 86400), "journey")
    until(lambda: bench.stack.rpc("notify", "get_clock"), lambda c: c["version"] > version, "the clock")
    time.sleep(2)  # the others follow notify's clock_moved


def open_case(page, bench, number):
    page.goto(f"{bench.url}/department/cases/{number}")


def click_part_review(page, unit, decision, reason=""):
    row = page.locator(f"#parts tr[data-unit='{unit}']")
    if reason:
        row.locator("input[name=reason]").fill(reason)
    row.locator(f"button[value={decision}]").click()


def reply(page, bench, number, text):
    open_case(page, bench, number)
    page.fill("textarea[name=text]", text)
    page.click("form[action$='/reply'] button.primary")


def sign_for(page, bench, number):
    open_case(page, bench, number)
    page.click("form[action$='/sign-for'] button")


def dispatch_with_co_handler(bench, number):
    """The dispatcher makes 市南区 lead and the housing bureau its co-handler, from the queue if
    routing left the ticket to a person, else by re-dispatch (改派) and 加派 on the case."""
    disp = bench.people["t.disp"]
    decision = until(lambda: bench.stack.rpc("routing", "get_decision", number),
                     lambda d: d.get("status") in ("assigned", "awaiting_dispatch"), "routing's decision")
    why = "施工噪音属地管理，由区政府牵头，住建局核查施工许可"
    if decision["status"] == "awaiting_dispatch":
        disp.goto(f"{bench.url}/dispatch")
        form = disp.locator(f"form[action='/dispatch/{number}/assign']")
        form.locator("select[name=department]").select_option(DISTRICT)
        form.locator("select[name=co_handlers]").select_option([HOUSING])
        form.locator("input[name=reason]").fill(why)
        form.locator("button.primary").click()
    else:
        if decision["department_code"] != DISTRICT:
            disp.goto(f"{bench.url}/tickets/{number}")
            form = disp.locator(f"form[action='/dispatch/{number}/redispatch']")
            form.locator("select[name=department]").select_option(DISTRICT)
            form.locator("input[name=reason]").fill(why)
            form.locator("button").click()
            until(lambda: case_of(bench, number), lambda c: c["department_code"] == DISTRICT, "the move")
        open_case(disp, bench, number)
        form = disp.locator(f"form[action='/cases/{number}/co-handlers']")
        form.locator("select[name=co_handlers]").select_option([HOUSING])
        form.locator("input[name=note]").fill("核查施工许可")
        form.locator("button").click()
    return until(lambda: case_of(bench, number),
                 lambda c: c["department_code"] == DISTRICT and c.get("assignments"), "the lead and co-handler")


def test_the_noise_complaint_is_worked_down_the_tree_and_back(city):
    bench, p = city, city.people
    number = bench.stack.post(NOISE).json()["number"]
    case = dispatch_with_co_handler(bench, number)
    assert [(a["unit_code"], a["role"]) for a in case["assignments"]] == [(HOUSING, "co")]

    district, street, community, housing = p["t.district"], p["t.street"], p["t.community"], p["t.housing"]
    district.goto(f"{bench.url}/department")
    assert number in district.inner_text("main")
    sign_for(district, bench, number)
    open_case(district, bench, number)
    form = district.locator(f"form[action='/department/cases/{number}/pass-down']")
    assert COMMUNITY not in form.inner_html()  # only its children: the street, not the community below it
    form.locator("select[name=unit]").select_option(STREET)
    form.locator("input[name=note]").fill("请街道核实工地并督促夜间停工")
    form.locator("button").click()
    until(lambda: part_state(bench, number, STREET), lambda s: s == "assigned", "the street's part")
    bench.shot(district, "tree-passed-down")

    advance(bench, 4)  # the street signs for it late
    street.goto(f"{bench.url}/department")
    assert number in street.inner_text("main")
    sign_for(street, bench, number)
    until(lambda: part_state(bench, number, STREET), lambda s: s == "signed_for", "the street's sign-for")
    open_case(street, bench, number)
    form = street.locator(f"form[action='/department/cases/{number}/pass-down']")
    form.locator("select[name=unit]").select_option(COMMUNITY)
    form.locator("input[name=note]").fill("社区上门核实")
    form.locator("button").click()
    until(lambda: part_state(bench, number, COMMUNITY), lambda s: s == "assigned", "the community's part")

    # the community refuses; the street rejects the refusal with a reason
    open_case(community, bench, number)
    assert "下派" in community.inner_text("main")
    community.click("summary:has-text('退单')")
    community.fill("form[action$='/refuse'] input[name=reason]", "工地不在本社区")
    community.click("form[action$='/refuse'] button.danger")
    until(lambda: part_state(bench, number, COMMUNITY), lambda s: s == "refusal_review", "the refusal")
    street.goto(f"{bench.url}/refusals")
    assert number in street.inner_text("main") and "工地不在本社区" in street.inner_text("main")
    street.click("details.duties summary")  # the directory's evidence: what the community answers for
    assert "居民诉求的上门核实和回复" in street.inner_text("main")
    bench.shot(street, "tree-refusal-queue")
    open_case(street, bench, number)
    click_part_review(street, COMMUNITY, "reject", "工地在太平角一路，属太平角社区")
    until(lambda: part_state(bench, number, COMMUNITY), lambda s: s == "assigned", "the refusal rejected")

    sign_for(community, bench, number)
    until(lambda: part_state(bench, number, COMMUNITY), lambda s: s == "signed_for", "the community's sign-for")
    reply(community, bench, number, "社区已上门，施工方承诺晚十点后停工")
    until(lambda: part_state(bench, number, COMMUNITY), lambda s: s == "replied", "the community's reply")
    open_case(street, bench, number)
    click_part_review(street, COMMUNITY, "accept")
    until(lambda: part_state(bench, number, COMMUNITY), lambda s: s == "done", "the community's part done")
    reply(street, bench, number, "街道已督促施工方晚十点后停工并每晚巡查")
    until(lambda: part_state(bench, number, STREET), lambda s: s == "replied", "the street's reply")
    open_case(district, bench, number)
    click_part_review(district, STREET, "accept")
    until(lambda: part_state(bench, number, STREET), lambda s: s == "done", "the street's part done")

    sign_for(housing, bench, number)
    reply(housing, bench, number, "已核查施工许可，责令施工单位夜间停工整改")
    until(lambda: part_state(bench, number, HOUSING), lambda s: s == "done", "the co-handler's reply")
    reply(district, bench, number, "施工方已停止夜间施工，街道每晚巡查，住建局已责令整改")
    until(lambda: case_of(bench, number), lambda c: c["state"] == "replied", "the lead's reply")
    open_case(district, bench, number)
    assert "已核查施工许可" in district.inner_text("#co-replies")
    bench.shot(district, "tree-lead-reply-with-co-handler")

    # the hotline approves; the callback hears 部分解决, the case reopens once, then 已解决
    approve_and_call(bench, number, "partly_resolved", "satisfied")
    case = until(lambda: case_of(bench, number), lambda c: c["state"] == "assigned", "the reopening")
    assert case["reopen_count"] == 1
    assert part_state(bench, number, HOUSING) == "assigned"  # the co-handler works the new round too
    sign_for(district, bench, number)
    sign_for(housing, bench, number)
    reply(housing, bench, number, "复查：施工单位已按要求夜间停工")
    until(lambda: part_state(bench, number, HOUSING), lambda s: s == "done", "the co-handler's second reply")
    reply(district, bench, number, "复查：夜间施工已全部停止，街道每晚巡查")
    until(lambda: case_of(bench, number), lambda c: c["state"] == "replied", "the second reply")
    approve_and_call(bench, number, "resolved", "satisfied")
    case = until(lambda: case_of(bench, number), lambda c: c["state"] == "closed", "the close")
    assert case["outcome"] == "resolved"

    p["t.district"].goto(f"{bench.url}/department/cases/{number}")
    bench.shot(p["t.district"], "tree-closed-timeline")
    every_entry_names_a_person_and_a_unit(case_of(bench, number)["ledger"])
    bench.tree_number = number


def test_the_street_appeals_its_late_sign_for_and_the_district_rolled_up_rate_changes(city):
    bench = city
    number = bench.tree_number

    def district_line():
        card = bench.stack.rpc("followup", "scorecard")
        return next(line for line in card["rolled_up"] if line["department"] == DISTRICT)
    before = district_line()
    assert STREET in before["units"]
    late = next(e for e in case_of(bench, number)["ledger"]
                if e["action"] == "signed_for" and e["department_code"] == STREET)
    assert late["on_time"] is False
    street = bench.people["t.street"]
    open_case(street, bench, number)
    appeal = street.locator("details.appeal")
    assert appeal.count() >= 1
    appeal.first.locator("summary").click()
    appeal.first.locator("textarea[name=reason]").fill("签收系统当日升级故障，已报备信息中心")
    appeal.first.locator("button.primary").click()
    supervisor = bench.people["t.sup"]
    supervisor.goto(f"{bench.url}/appeals")
    row = supervisor.locator("#appeals tr", has_text=number)
    row.locator("input[name=reason]").fill("故障报备属实，不计入考核")
    row.locator("button[value=accept]").click()
    after = until(district_line, lambda line: line["appeals_accepted"] > before["appeals_accepted"],
                  "the accepted appeal in the district's rolled-up line")
    assert after["response_rate"] == before["response_rate"]  # raw, as before
    assert after["response_rate_after_appeal"] > before["response_rate_after_appeal"]
    supervisor.goto(f"{bench.url}/supervisor")
    bench.shot(supervisor, "tree-scorecard-after-appeal")


def approve_and_call(bench, number, outcome, satisfaction):
    reviewer, agent = bench.people["t.review"], bench.people["t.callback"]
    reviewer.goto(f"{bench.url}/review")
    reviewer.locator("section.card", has_text=number).locator("button[value=approve]").click()
    until(lambda: case_of(bench, number), lambda c: c["state"] == "approved", "the approval")
    agent.goto(f"{bench.url}/callbacks")
    card = agent.locator("section.card", has_text=number)
    card.locator("input[name=reached][value=yes]").check()
    card.locator(f"input[name=outcome][value={outcome}]").check()
    card.locator(f"input[name=satisfaction][value={satisfaction}]").check()
    card.locator("button.primary").click()


SERVICES = {"routing", "notify"}  # what the platform itself did: routing's rules, a hold's recheck day


def every_entry_names_a_person_and_a_unit(ledger):
    for entry in ledger:
        assert entry.get("department_code"), entry
        if entry.get("actor") in SERVICES:
            continue
        assert entry.get("actor") and entry.get("actor_id"), entry
        if entry["actor_id"] in NAMES:
            assert NAMES[entry["actor_id"]] == entry["actor"], entry


def a_case_with_the_district(bench, title, description):
    number = bench.stack.post(dict(NOISE, title=title, description=description,
                                   caller_phone=f"1395326{int(time.time() * 1000) % 10000:04d}")).json()["number"]
    decision = until(lambda: bench.stack.rpc("routing", "get_decision", number),
                     lambda d: d.get("status") in ("assigned", "awaiting_dispatch"), "routing's decision")
    if decision["status"] == "awaiting_dispatch":
        bench.stack.rpc("routing", "assign", number, DISTRICT, "", "属地管理")
    elif decision["department_code"] != DISTRICT:
        bench.stack.rpc("routing", "redispatch", number, DISTRICT, "属地管理")
    until(lambda: case_of(bench, number), lambda c: c["department_code"] == DISTRICT and c["state"] == "assigned",
          "the case with the district")
    sign_for(bench.people["t.district"], bench, number)
    until(lambda: case_of(bench, number), lambda c: c["state"] == "signed_for", "the sign-for")
    return number


def test_a_second_case_is_ruled_an_unreasonable_request(city):
    bench, district = city, city.people["t.district"]
    number = a_case_with_the_district(bench, "要求拆除合法建筑", "要求市南区拆除邻居合法审批的阳光房，理由是影响风水。")
    open_case(district, bench, number)
    district.click("summary:has-text('不合理诉求')")
    form = district.locator(f"form[action='/department/cases/{number}/unreasonable']")
    form.locator("textarea[name=reason]").fill("阳光房经规划审批合法，诉求无法律依据")
    form.locator("textarea[name=evidence]").fill("https://files.example/permit-2026.pdf")
    form.locator("button").click()
    until(lambda: case_of(bench, number), lambda c: c["state"] == "unreasonable_proposed", "the proposal")
    reviewer = bench.people["t.review"]
    reviewer.goto(f"{bench.url}/review?tab=unreasonable")
    reviewer.locator("#unreasonable tr", has_text=number).locator("button[value=approve]").click()
    case = until(lambda: case_of(bench, number), lambda c: c["state"] == "closed", "the ruling")
    assert case["outcome"] == "unreasonable"
    every_entry_names_a_person_and_a_unit(case["ledger"])


def test_a_third_case_goes_on_hold_and_is_rechecked_on_its_day(city):
    bench, district = city, city.people["t.district"]
    number = a_case_with_the_district(bench, "老旧小区加装电梯", "市南区太平角小区老楼没有电梯，希望加装。")
    now = dt.datetime.fromisoformat(bench.stack.rpc("notify", "get_clock")["now"]).astimezone(ZONE)
    day = (now + dt.timedelta(days=20)).date()
    open_case(district, bench, number)
    district.click("summary:has-text('挂账')")
    form = district.locator(f"form[action='/department/cases/{number}/hold']")
    form.locator("input[name=reason]").fill("加装电梯需纳入明年老旧小区改造计划和财政预算")
    form.locator("input[name=recheck_on]").fill(day.isoformat())
    form.locator("button").click()
    until(lambda: case_of(bench, number), lambda c: c["state"] == "hold_proposed", "the proposal")
    supervisor = bench.people["t.sup"]
    supervisor.goto(f"{bench.url}/holds")
    supervisor.locator("#holds-waiting tr", has_text=number).locator("button[value=approve]").click()
    until(lambda: case_of(bench, number), lambda c: c["state"] == "on_hold", "the hold")
    supervisor.goto(f"{bench.url}/holds")
    assert number in supervisor.inner_text("#holds-list")
    advance(bench, 21)  # the recheck day has come: notify brings the case back to the district
    case = until(lambda: case_of(bench, number), lambda c: c["state"] == "signed_for", "the recheck", timeout=40)
    assert any(e["action"] == "hold_rechecked" for e in case["ledger"])
    every_entry_names_a_person_and_a_unit(case["ledger"])


def test_a_co_handler_is_offered_only_what_its_part_allows(city):
    """The housing bureau co-handles: it can sign for, refuse, ask for an extension and reply on its
    part, but the lead's own ends -- a hold, an unreasonable-request ruling -- are not offered to it."""
    bench, housing = city, city.people["t.housing"]
    number = a_case_with_the_district(bench, "工地渣土车夜间运输", "市南区太平角一路渣土车夜间运输噪音大。")
    bench.stack.rpc("followup", "add_co_handlers", number, [HOUSING], "")
    until(lambda: part_state(bench, number, HOUSING), lambda s: s == "assigned", "the co-handler's part")
    sign_for(housing, bench, number)
    until(lambda: part_state(bench, number, HOUSING), lambda s: s == "signed_for", "its sign-for")
    open_case(housing, bench, number)
    main = housing.inner_text("main")
    assert "协办" in main and housing.locator("form[action$='/reply']").count() == 1
    assert housing.locator("form[action$='/extension']").count() == 1  # its part's own extension (延期)
    for lead_only in ("/hold", "/unreasonable"):
        assert housing.locator(f"form[action$='{lead_only}']").count() == 0, lead_only
