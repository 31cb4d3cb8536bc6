"""The platform learns from its own work, in the workbench.

知识库: the parks bureau (市园林和林业局, GARDENS: a unit no other browser test keeps
knowledge for) writes an entry with a preview and submits it; a reviewer of the centre
publishes it; an operator is offered it while typing a caller's question, marks it 已过时
with a comment, and the unit is told (``knowledge_review_due``; the workbench flags an
entry at its first 有误/已过时, ``KNOWLEDGE_FLAG_AFTER=1``) and reads the comment on its
entry. An entry of the city's file that expired is kept but no longer offered. A
consultation (咨询) the unit answered and the hotline closed comes back to the unit as a
draft entry, de-identified; the unit edits it, the centre publishes it.

派单目录: tickets of 施工噪音 (construction-noise, a category no other browser test
files) that the catalogue sends to the housing bureau are re-dispatched (改派) by a
dispatcher to the city management bureau; routing proposes moving the category, an
administrator accepts it at /admin/proposals, and the next such ticket goes to the city
management bureau under the new directory version.
"""
import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from shared.platform.config import load_config
from tests.service.receivers import wait_until
from tests.stack.test_followup_lifecycle import Department

ZONE = ZoneInfo(load_config()["CITY"]["timezone"])
PARKS = "GARDENS"
PARKS_SMS = "13800121121"  # the bureau's duty phone (a unit's, not a citizen's)
QUESTION = "公园年票怎么办理？老年人进公园要买票吗？"
ANSWER = ("公园年票可在各收费公园售票处或“青岛园林”公众号办理，需本人身份证和一寸照片。\n"
          "六十五周岁以上老年人凭身份证免费进入市属公园，无需办理年票。")
COMMENT = "今年起年票改为线上办理，售票处已不再受理"
NIGHT_OLD = {"id": "KB-PARK-NIGHT-2025", "question": "公园夏季夜间开放到几点？",
             "answer": "2025年夏季市属公园夜间开放至22:00。", "keywords": ["公园夜间开放", "公园开放时间"]}
NIGHT_NEW = {"id": "KB-PARK-NIGHT-2026", "question": "公园冬季夜间开放到几点？",
             "answer": "冬季市属公园夜间开放至20:00。", "keywords": ["公园夜间开放", "公园开放时间"]}
CALLER = "赵敏"
DOGS = {"title": "咨询公园能否带狗入园", "description": f"我叫{CALLER}，想问一下中山公园能不能牵狗进去，有什么规定。",
        "caller_name": CALLER, "caller_phone": "13953212999", "channel": "web", "request_type": "consultation"}
DOGS_REPLY = ("经核实，中山公园允许市民牵引犬只入园，须拴绳并及时清理粪便；"
              "大型犬和烈性犬禁止入园。如有疑问可咨询公园管理处。")
NOISE = ("construction-noise", "HOUSING", "URBAN_MGMT")  # the category, its unit now, where it ends up
NOISE_TEXTS = [("夜间施工噪音扰民", "李沧区九水路工地每天晚上十一点以后还在打桩，吵得没法睡觉。"),
               ("工地凌晨施工", "市北区连云港路一处工地凌晨两点还在浇筑混凝土，噪音很大。"),
               ("施工机械噪音", "崂山区松岭路工地的挖掘机从早上五点就开始作业。"),
               ("深夜切割钢筋", "城阳区正阳路工地深夜切割钢筋，刺耳的声音持续到后半夜。"),
               ("渣土车夜间进出", "黄岛区长江路工地的渣土车整夜进出，鸣笛和装卸声不断。")]
NEXT_NOISE = ("周末工地噪音", "市南区东海西路工地周末全天施工，电锯声一直不停。")


@pytest.fixture(scope="module")
def signed_in(workbench):
    """The parks bureau's knowledge keeper, a reviewer and an operator of the centre; each signs
    in once for the module (``signed_in("kb.op")``: their browser)."""
    workbench.user("kb.unit", "department", department=PARKS, name="孙园林")
    workbench.user("kb.rev", "reviewer", name="周审核")
    workbench.user("kb.op", "operator", name="郑话务")
    stack = workbench.stack  # the bureau's contact, as an administrator keeps it in the directory
    stack.rpc("routing", "update_department", PARKS, {"contacts": {"sms": PARKS_SMS}}, "管理员", "值班手机")
    pages = {}

    def browser_of(login):
        if login not in pages:
            pages[login] = workbench.sign_in(login)
        return pages[login]
    return browser_of


def _entry_id(page):
    return page.url.rsplit("/", 1)[-1].split("?")[0]


def _publish(workbench, reviewer, entry_id):
    reviewer.goto(f"{workbench.url}/knowledge?tab=submitted")
    reviewer.locator(f"tr[data-entry='{entry_id}'] a[href='/knowledge/{entry_id}']").click()
    reviewer.locator("#knowledge-decision button[value=approve]").click()
    reviewer.wait_for_url("**/knowledge?tab=submitted")
    assert f"{entry_id} 已发布" in workbench.flash(reviewer), workbench.flash(reviewer)


def _ask(operator, workbench, title, description, expected):
    """An operator types a caller's question; the suggestions panel answers (``expected`` in it),
    and nothing typed is still to be answered: the panel is refreshed 500 ms after the last
    keystroke, and a refresh would empty a comment being written in it."""
    operator.goto(f"{workbench.url}/operator")
    operator.evaluate("""() => document.body.addEventListener('htmx:afterSettle', e => {
        if (e.target.id === 'suggest') window.suggestedAt = Date.now(); })""")
    operator.fill("#title", title)
    operator.fill("#description", description)
    _settled(operator, expected)


def _settled(operator, expected, after=0):
    """The suggestions panel answered (since ``after``), with ``expected`` in it, and no refresh
    is due: the last one settled 700 ms ago (more than the 500 ms after a keystroke)."""
    operator.wait_for_function("""([expected, after]) => window.suggestedAt > after
        && Date.now() - window.suggestedAt > 700 && !document.querySelector('#suggest.htmx-request')
        && document.querySelector('#suggest').innerText.includes(expected)""", arg=[expected, after], polling=100)


def test_a_unit_keeps_an_entry_the_centre_publishes_and_operators_rate(workbench, signed_in):
    stack = workbench.stack
    unit = signed_in("kb.unit")
    today = dt.datetime.now(ZONE).date()

    unit.goto(f"{workbench.url}/knowledge/new")
    unit.fill("#knowledge-form input[name=question]", QUESTION)
    unit.fill("#knowledge-form textarea[name=answer]", ANSWER)
    unit.fill("#knowledge-form input[name=keywords]", "公园年票；老人免费；公园门票")
    expires_on = (today + dt.timedelta(days=365)).isoformat()
    unit.fill("#knowledge-form input[name=expires_on]", expires_on)
    unit.fill("#knowledge-form input[name=review_on]", (today + dt.timedelta(days=180)).isoformat())
    unit.click("#knowledge-form button[name=preview]")
    preview = unit.locator("#preview")
    assert "预览" in preview.inner_text() and QUESTION in preview.inner_text()
    assert preview.locator(".answer-text").inner_text() == ANSWER  # the line break kept, as operators read it
    assert not stack.rpc("intake", "knowledge_entries", {"owner": PARKS})["total"]  # a preview saves nothing
    workbench.shot(unit, "knowledge-preview")
    unit.click("#knowledge-form button[name=submit]")
    unit.wait_for_selector("#knowledge-versions")
    entry_id = _entry_id(unit)
    assert "已提交审核" in workbench.flash(unit) and "待审核" in unit.inner_text("h1")

    reviewer = signed_in("kb.rev")
    _publish(workbench, reviewer, entry_id)
    entry = stack.rpc("intake", "knowledge_entry", entry_id)
    assert (entry["owner"], entry["state"], entry["offered"]) == (PARKS, "published", True)

    operator = signed_in("kb.op")
    _ask(operator, workbench, "公园年票怎么办", "来电人问公园年票怎么办理，老年人进公园是否要买票", entry_id)
    offered = operator.locator("#suggest .item", has_text=entry_id)
    assert QUESTION in offered.inner_text()
    offered.locator("textarea[name=comment]").fill(COMMENT)
    refreshed = operator.evaluate("() => window.suggestedAt")  # the operator goes on typing the request:
    operator.fill("#description", "来电人问公园年票怎么办理，老年人进公园是否要买票，子女能否代办")
    offered.locator("textarea[name=comment]").click()  # and back to the comment
    _settled(operator, entry_id, refreshed)  # the panel is new,
    assert offered.locator("textarea[name=comment]").input_value() == COMMENT  # the comment is kept
    workbench.shot(operator, "knowledge-offered")
    offered.locator("button[value=outdated]").click()
    operator.wait_for_selector("#suggest .feedback-given")
    assert "维护该答复的单位" in operator.inner_text("#suggest .feedback-given")

    def told():  # notify tells the unit, by the SMS its directory entry names, why to look again
        return [d for d in workbench.sms.documents("/sms")
                if d["reference"].startswith(f"knowledge:{entry_id}:") and d["to"] == PARKS_SMS]
    def review_due():
        return [d["text"] for d in told() if ":review:" in d["reference"]]
    [text] = wait_until(review_due, 20.0, "the unit told of the operator's feedback")
    assert entry_id in text and "需要复核" in text and "已过时 1 次" in text, text
    assert any("已发布" in d["text"] for d in told())  # as it was told of the publication

    unit.goto(f"{workbench.url}/knowledge?tab=due")
    row = unit.locator(f"tr[data-entry='{entry_id}']")
    assert "话务员反馈有误或已过时" in row.inner_text() and "已过时 1" in row.inner_text()
    row.locator(f"a[href='/knowledge/{entry_id}']").click()
    assert unit.input_value("#knowledge-form input[name=expires_on]") == expires_on  # the day as typed
    said = unit.inner_text("#knowledge-feedback")
    assert COMMENT in said and "郑话务" in said and "已过时" in said
    workbench.shot(unit, "knowledge-feedback-for-the-unit")


def test_an_entry_past_its_expiry_is_no_longer_offered(workbench, signed_in):
    stack = workbench.stack
    today = dt.datetime.now(ZONE).date()
    expired = dict(NIGHT_OLD, expires_on=(today - dt.timedelta(days=1)).isoformat())
    current = dict(NIGHT_NEW, expires_on=(today + dt.timedelta(days=90)).isoformat())
    assert stack.rpc("intake", "import_knowledge", [expired, current]) == 2

    operator = signed_in("kb.op")
    _ask(operator, workbench, "公园夜间开放到几点", "来电人问市属公园夜间开放到几点", NIGHT_NEW["id"])
    panel = operator.inner_text("#suggest")
    assert NIGHT_NEW["id"] in panel and NIGHT_OLD["id"] not in panel
    workbench.shot(operator, "knowledge-expired-not-offered")

    reviewer = signed_in("kb.rev")
    reviewer.goto(f"{workbench.url}/knowledge?tab=due")
    row = reviewer.locator(f"tr[data-entry='{NIGHT_OLD['id']}']")
    assert "已过期" in row.inner_text()
    assert reviewer.locator(f"tr[data-entry='{NIGHT_NEW['id']}']").count() == 0
    workbench.shot(reviewer, "knowledge-expired-due")


def test_a_closed_consultation_becomes_a_draft_the_unit_edits_and_publishes(workbench, signed_in):
    stack = workbench.stack
    number = stack.post(DOGS).json()["number"]
    case = workbench.wait_for_case(number, "assigned")
    assert case["department_code"] == PARKS, case["department_code"]
    parks = Department(stack, stack.rpc("followup", "create_department_token", PARKS, "知识库测试")["token"])
    assert parks.post(number, "sign-for", actor="孙园林").status_code == 200
    assert parks.post(number, "reply", text=DOGS_REPLY, actor="孙园林").status_code == 200
    stack.rpc("followup", "review_reply", number, "周审核", True)
    stack.rpc("followup", "record_callback", number, "郑回访", True, True, "satisfied")
    workbench.wait_for_case(number, "closed")
    draft_id = f"KB-{number}"
    wait_until(lambda: stack.rpc("intake", "knowledge_entry", draft_id), 20.0, "the draft from the consultation")

    unit = signed_in("kb.unit")
    unit.goto(f"{workbench.url}/knowledge?tab=all")
    row = unit.locator(f"tr[data-entry='{draft_id}']")
    assert "来自已办结咨询" in row.inner_text() and "草稿" in row.inner_text()
    row.locator(f"a[href='/knowledge/{draft_id}']").click()
    assert number in unit.inner_text("#proposed-from")
    assert "据咨询工单起草" in unit.inner_text("#knowledge-versions")
    question = unit.input_value("#knowledge-form input[name=question]")
    assert "带狗" in question and CALLER not in question  # the caller's name is gone
    assert unit.input_value("#knowledge-form textarea[name=answer]") == DOGS_REPLY
    unit.fill("#knowledge-form input[name=question]", "公园能带狗进去吗？")
    unit.fill("#knowledge-form textarea[name=answer]", DOGS_REPLY.replace("中山公园", "市属公园"))
    unit.fill("#knowledge-form input[name=keywords]", "公园带狗；犬只入园")
    workbench.shot(unit, "knowledge-draft-from-consultation")
    unit.click("#knowledge-form button[name=submit]")
    unit.wait_for_selector("#knowledge-versions")
    assert "已提交审核" in workbench.flash(unit)

    _publish(workbench, signed_in("kb.rev"), draft_id)
    entry = stack.rpc("intake", "knowledge_entry", draft_id)
    assert (entry["state"], entry["question"], entry["owner"]) == ("published", "公园能带狗进去吗？", PARKS)
    assert [v["author"]["name"] for v in entry["versions"]] == ["孙园林"]  # the unit's text, not the draft's
    found = stack.rpc("intake", "search_knowledge", "公园可以带狗吗", 3)
    assert found and found[0]["id"] == draft_id


def _dispatched(stack, title, description, index):
    """A web ticket of 施工噪音 and routing's decision on it, once it has one."""
    number = stack.post({"title": title, "description": description, "category": NOISE[0], "channel": "web",
                         "caller_phone": f"1395321{3100 + index}"}).json()["number"]
    return wait_until(lambda: (lambda d: d if d and d.get("department_code") else None)(
        stack.rpc("routing", "get_decision", number)), 20.0, f"routing's decision on {number}")


def test_an_accepted_catalogue_proposal_changes_dispatch(workbench):
    stack = workbench.stack
    category, before, after = NOISE
    started = time.monotonic()
    for index, (title, description) in enumerate(NOISE_TEXTS):  # the catalogue's unit, and a dispatcher moves it
        decision = _dispatched(stack, title, description, index)
        assert (decision["department_code"], decision["rule"]) == (before, "catalogue")
        stack.rpc("routing", "redispatch", decision["number"], after, "夜间施工噪音由城管执法部门查处")
    mined = stack.rpc("routing", "propose_catalogue_edits")  # as the daily timer does
    print(f"{len(NOISE_TEXTS)} re-dispatches planted and mined in {time.monotonic() - started:.1f} s: {mined}")
    key = f"move_category:{category}:{before}>{after}"

    workbench.user("kb.admin", "admin", name="何管理")
    admin = workbench.sign_in("kb.admin")
    admin.goto(f"{workbench.url}/admin/proposals")
    card = admin.locator(f"section.proposal[data-key='{key}']")
    said = card.inner_text()
    assert "将“施工噪音" in said and "市住房和城乡建设局改派给市城市管理局" in said, said
    assert "5 件中的 5 件" in said and "改派 5" in said, said
    workbench.shot(admin, "catalogue-proposal")
    card.locator("input[name=reason]").fill("夜间施工噪音由城管执法部门查处")
    card.locator("button[value=accept]").click()
    admin.wait_for_url("**/admin/proposals")
    assert "新版本" in workbench.flash(admin), workbench.flash(admin)
    accepted = next(p for p in stack.rpc("routing", "catalogue_proposals", "accepted")["items"] if p["key"] == key)
    version = accepted["decisions"][-1]["version"]
    assert accepted["decided_by"] == "何管理"

    title, description = NEXT_NOISE
    decision = _dispatched(stack, title, description, len(NOISE_TEXTS))
    assert (decision["department_code"], decision["rule"]) == (after, "catalogue")
    assert decision["directory_version"] >= version
