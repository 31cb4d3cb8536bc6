"""Every word a person reads is in their language: the whole workbench walked in Chinese.

Every role's screens, an error page of each kind, a form with field errors,
the timeline and the exports' header rows (and the ledger's rows), read in
the Chinese locale, must hold no English word. What may be Latin letters:
ticket numbers, numbers, URLs, text marked up as a code (``<code>``,
``<kbd>``: a department's code in the directory, a quality-gate finding's
code, a browser's signature), the names given in Latin letters (logins, the
city's configured name) and the few words in ``ALLOWED``. Every option of a
list is read too, and every placeholder and tooltip.
"""
import csv
import io
import re

import openpyxl
import pytest

from tests.browser.conftest import NUMBER

CITY = "Qingdao"  # the city's name as the configuration gives it (CITY_NAME), in Latin letters
PEOPLE = [  # login, display name, roles, department
    ("w.operator", "吴接线", ["operator"]), ("w.dispatcher", "吴派单", ["dispatcher"]),
    ("w.reviewer", "吴审核", ["reviewer"]), ("w.callback", "吴回访", ["callback"]),
    ("w.supervisor", "吴督办", ["supervisor"]), ("w.water", "吴水务", ["department"], "WATER"),
    ("w.housing", "吴住建", ["department"], "HOUSING"),
]
NAMES = [login for login, *_ in PEOPLE] + ["admin", CITY]  # names given in Latin letters
# formats, units and protocols by name, the language one click away
ALLOWED = {"excel", "csv", "pdf", "mb", "http", "english"}
URL = re.compile(r"(https?://|/)[\w./?=&%#-]*[\w/]")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# what a page shows as a code, on purpose: left out of the text read
READABLE = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('code, kbd, script, style, [hidden], .visually-hidden').forEach(e => e.remove());
  copy.querySelectorAll('input[type=hidden]').forEach(e => e.remove());
  const placeholders = [...document.querySelectorAll('[placeholder]')].map(e => e.placeholder);
  const titles = [...document.querySelectorAll('[title], [aria-label]')].map(
      e => (e.getAttribute('title') || '') + ' ' + (e.getAttribute('aria-label') || ''));
  document.body.appendChild(copy); copy.style.position = 'absolute'; copy.style.left = '-99999px';
  const text = copy.innerText; copy.remove();
  return [document.title, text, ...placeholders, ...titles].join('\\n');
}"""


def english_words(text, names=()):
    """The English words in ``text`` that are none of the things allowed."""
    text = NUMBER.sub(" ", text)
    text = EMAIL.sub(" ", text)
    text = URL.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return sorted({w for w in WORD.findall(text) if w.lower() not in ALLOWED})


@pytest.fixture(scope="module")
def walk(workbench):
    """The people of every role, and cases in every state a screen lists."""
    for login, name, roles, *department in PEOPLE:
        workbench.user(login, *roles, department=department[0] if department else None, name=name)
    post = workbench.stack.post
    found = {}
    found["review"] = post({"title": "停水三天", "description": "李沧区书院路小区停水三天了", "district": "李沧区",
                            "category": "water-outage", "caller_phone": "13905329876"}).json()["number"]
    found["callback"] = post({"title": "水管爆裂", "description": "市北区延安路路口自来水管爆裂",
                              "district": "市北区", "category": "water-outage"}).json()["number"]
    found["signed"] = post({"title": "下水道堵塞", "description": "城阳区正阳路下水道堵塞，污水漫到路面",
                            "district": "城阳区", "category": "water-outage"}).json()["number"]
    found["doubtful"] = post({"title": "我想问一下", "description": "麻烦帮忙看看", "channel": "web"}).json()["number"]
    for key in ("review", "callback", "signed"):
        workbench.wait_for_case(found[key], "assigned")
    water = workbench.http("w.water")
    for key in ("review", "callback"):
        base = f"{workbench.url}/department/cases/{found[key]}"
        assert water.post(f"{base}/sign-for", data={"csrf": water.csrf}, timeout=10).status_code == 200
        assert water.post(f"{base}/reply", data={"csrf": water.csrf, "text": "已处理"},
                          timeout=10).status_code == 200
        workbench.wait_for_case(found[key], "replied")
    assert water.post(f"{workbench.url}/department/cases/{found['signed']}/sign-for", data={"csrf": water.csrf},
                      timeout=10).status_code == 200
    workbench.wait_for_case(found["signed"], "signed_for")
    reviewer = workbench.http("w.reviewer")
    assert reviewer.post(f"{workbench.url}/review/{found['callback']}", timeout=10, data={
        "csrf": reviewer.csrf, "decision": "approve"}).status_code == 200
    workbench.wait_for_case(found["callback"], "approved")
    workbench.stack.wait_until(found["doubtful"], lambda v: v["status"] == "awaiting_dispatch")
    return found


def given_names(workbench):
    """Names people and the PBX gave in Latin letters on this shared workbench, whoever made
    them: every login (another module's operators too), and the agents and queues a PBX named."""
    names = set(NAMES) | set(workbench.passwords)
    figures = [workbench.stack.rpc("callcentre", "floor_figures", {"by": by}) for by in ("queue", "operator")]
    names |= {group["key"] for report in figures for group in report["groups"]}
    names |= {agent["agent"] for agent in workbench.stack.rpc("callcentre", "floor_agents")}
    return sorted(names)


def read(workbench, page, name, problems):
    text = page.evaluate(READABLE)
    words = english_words(text, given_names(workbench))
    if words:
        problems.append(f"{name} ({page.url}): {', '.join(words)}")
    workbench.shot(page, f"words-{name}")
    return text


def test_every_screen_reads_in_chinese(workbench, walk):
    problems = []
    number = walk["review"]

    anonymous = workbench.page()
    anonymous.goto(f"{workbench.url}/signin")
    read(workbench, anonymous, "signin", problems)

    operator = workbench.sign_in("w.operator")
    operator.fill("#title", "停水")
    operator.fill("#description", "崂山区海尔路小区停水两天了")
    operator.select_option("#district", "崂山区")
    operator.wait_for_selector("#suggest strong:has-text('市水务管理局')")
    read(workbench, operator, "operator-suggestions", problems)
    operator.select_option("select[name=category]", "water-outage")  # the catalogue decides: 100%
    operator.wait_for_selector("#suggest .badge:has-text('派单目录')")
    read(workbench, operator, "operator-suggestion-by-category", problems)
    # a form with field errors: no title, a bad phone
    operator.goto(f"{workbench.url}/operator")
    operator.evaluate("document.querySelector('#title').removeAttribute('required')")
    operator.fill("#caller_phone", "12345")
    operator.fill("#description", "路灯不亮")
    operator.click("#ticket-form button.primary")
    operator.wait_for_selector("p.error")
    read(workbench, operator, "operator-field-errors", problems)
    operator.goto(f"{workbench.url}/tickets/{number}")
    read(workbench, operator, "ticket-timeline", problems)
    operator.goto(f"{workbench.url}/tickets?number={walk['doubtful']}")
    read(workbench, operator, "ticket-doubtful", problems)
    operator.goto(f"{workbench.url}/tickets")
    operator.select_option("form[action='/tickets'] select[name=district]", "李沧区")
    operator.click("form[action='/tickets'] button")
    operator.wait_for_selector(f"a:has-text('{number}')")
    read(workbench, operator, "ticket-search", problems)
    operator.goto(f"{workbench.url}/tickets/QD-20000101-99999")
    read(workbench, operator, "error-not-found", problems)
    operator.goto(f"{workbench.url}/quality/results")
    read(workbench, operator, "quality-results-own", problems)

    water = workbench.sign_in("w.water")
    read(workbench, water, "department-inbox", problems)
    water.goto(f"{workbench.url}/department/cases/{number}")
    read(workbench, water, "department-case", problems)
    # a service's field errors on an error page: more working days than a case may have (followup)
    water.goto(f"{workbench.url}/department/cases/{walk['signed']}")
    water.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    read(workbench, water, "department-case-signed", problems)  # the exits' forms too
    water.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
    water.click("details summary")
    water.evaluate("document.querySelector('input[name=working_days]').removeAttribute('max')")
    water.fill("input[name=working_days]", "99")
    water.fill("form[action$='/extension'] input[name=reason]", "需要更换主管道")
    water.click("form[action$='/extension'] button")
    water.wait_for_selector("h1")
    assert "工作日" in water.inner_text("main")  # what is wrong, said
    read(workbench, water, "error-field-errors", problems)
    water.goto(f"{workbench.url}/holds")
    read(workbench, water, "department-holds", problems)
    water.goto(f"{workbench.url}/supervisor")
    read(workbench, water, "error-not-your-role", problems)

    housing = workbench.sign_in("w.housing")
    housing.goto(f"{workbench.url}/department/cases/{number}")
    read(workbench, housing, "error-not-your-case", problems)

    reviewer = workbench.sign_in("w.reviewer")
    read(workbench, reviewer, "review", problems)
    reviewer.goto(f"{workbench.url}/review?tab=extensions")
    read(workbench, reviewer, "review-extensions", problems)
    reviewer.goto(f"{workbench.url}/review?tab=unreasonable")
    read(workbench, reviewer, "review-unreasonable", problems)

    agent = workbench.sign_in("w.callback")
    read(workbench, agent, "callbacks", problems)
    agent.goto(f"{workbench.url}/missed?all=1")
    read(workbench, agent, "missed-callers", problems)

    dispatcher = workbench.sign_in("w.dispatcher")
    read(workbench, dispatcher, "dispatch", problems)
    dispatcher.goto(f"{workbench.url}/dispatch?tab=arbitration")
    read(workbench, dispatcher, "dispatch-arbitration", problems)
    dispatcher.goto(f"{workbench.url}/dispatch?tab=raised")
    read(workbench, dispatcher, "dispatch-raised", problems)
    dispatcher.goto(f"{workbench.url}/dispatch/review")
    read(workbench, dispatcher, "dispatch-review", problems)
    dispatcher.goto(f"{workbench.url}/tickets/{walk['callback']}")
    read(workbench, dispatcher, "ticket-for-dispatcher", problems)
    # a refusal in routing's words: moving a ticket to the department that has it
    dispatcher.goto(f"{workbench.url}/tickets/{walk['signed']}")
    dispatcher.evaluate("""() => { const o = document.createElement('option'); o.value = 'WATER'; o.text = 'WATER';
        document.querySelector("form[action$='/redispatch'] select[name=department]").appendChild(o); }""")
    dispatcher.select_option("form[action$='/redispatch'] select[name=department]", "WATER")
    dispatcher.fill("form[action$='/redispatch'] input[name=reason]", "再派一次")
    dispatcher.click("form[action$='/redispatch'] button")
    dispatcher.wait_for_selector("h1")
    assert "已在市水务管理局" in dispatcher.inner_text("main")
    read(workbench, dispatcher, "error-routing-refused", problems)

    supervisor = workbench.sign_in("w.supervisor")
    read(workbench, supervisor, "supervisor", problems)
    supervisor.goto(f"{workbench.url}/cases?department=WATER&state=open")
    read(workbench, supervisor, "cases", problems)
    supervisor.goto(f"{workbench.url}/holds")
    read(workbench, supervisor, "holds", problems)
    supervisor.goto(f"{workbench.url}/floor")
    read(workbench, supervisor, "floor", problems)

    admin = workbench.sign_in("admin")
    admin.goto(f"{workbench.url}/admin/users")  # enrolling a second factor again ends elsewhere
    # the administrator's form with field errors: a login the rules refuse, no role
    admin.evaluate("document.querySelector('#new-user input[name=login]').removeAttribute('pattern')")
    admin.fill("#new-user input[name=login]", "X!")
    admin.click("#new-user button.primary")
    admin.wait_for_selector("#new-user ~ p.error, section p.error")
    read(workbench, admin, "admin-user-field-errors", problems)
    for path in ("/admin/users", "/admin/departments", "/admin/keys", "/admin/record",
                 "/admin/record?tab=changes", "/admin/record?tab=contacts", "/password"):
        admin.goto(workbench.url + path)
        read(workbench, admin, "admin" + path.replace("/", "-").replace("?tab=", "-"), problems)

    # the exports: every header, and the ledger's rows (its times, actions and reasons)
    for path, whole in ((f"/export/ledger/{number}.csv", True), ("/export/cases.csv?state=open", False),
                        ("/export/scorecard.csv", False)):
        answer = supervisor.request.get(workbench.url + path)
        assert answer.status == 200, path
        rows = list(csv.reader(io.StringIO(answer.body().decode("utf-8-sig"))))
        text = "\n".join(" ".join(row) for row in (rows if whole else rows[:1]))
        words = english_words(text, NAMES)
        if words:
            problems.append(f"{path}: {', '.join(words)}\n{text}")
    excel = supervisor.request.get(f"{workbench.url}/export/scorecard.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(excel.body())).active
    words = english_words(" ".join(str(c.value) for c in sheet[1]) + " " + sheet.title, NAMES)
    if words:
        problems.append(f"/export/scorecard.xlsx: {', '.join(words)}")
    ledger = supervisor.request.get(f"{workbench.url}/export/ledger/{number}.csv").body().decode("utf-8-sig")
    if "+00:00" in ledger:  # the city's time, as the pages show it
        problems.append("ledger export: times in UTC")

    assert not problems, "English on Chinese pages:\n" + "\n".join(problems)


def test_in_english_units_and_categories_are_named_in_english(workbench, walk):
    water = workbench.sign_in("w.water")
    water.goto(f"{workbench.url}/lang/en?next=/department/cases/{walk['review']}")
    assert "Water Affairs Bureau" in water.inner_text("header") and "Water Affairs Bureau" in water.inner_text(".facts")
    timeline = water.inner_text(".timeline")
    assert "Water outage or burst main" in timeline and "停水/水管破裂" not in timeline
    workbench.shot(water, "words-department-case-english")
    # and its exports' headers in English
    csv_text = water.request.get(f"{workbench.url}/export/ledger/{walk['review']}.csv").body().decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "When,Action,Who,Login,Department,Reason"


def test_the_check_finds_english_and_passes_what_is_allowed():
    assert english_words("本页面仅供：supervisor, admin") == ["admin", "supervisor"]
    assert english_words("停水/水管破裂 Water outage") == ["Water", "outage"]
    assert english_words("QD-20261205-00001 已派 https://x.example/a 导出 Excel CSV 12:41 w.water",
                         ["w.water"]) == []
