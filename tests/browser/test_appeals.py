"""Appeals (考核申诉) in the workbench: a unit contests a scored event, a supervisor decides,
and the scorecard shows the rates raw and after appeals.

Two food-safety cases go to 市市场监管局 (MARKET, a unit no other browser test uses): the
citizen of one is satisfied, the other's says it is unresolved and dissatisfied -- a
callback scored against the unit. The unit's staff appeal it from the case page, with a
reason and a photo; the supervisor accepts it in the queue (申诉审核); the resolution rate
stays 50% raw and is 100% after appeals. Every step is in the case's ledger, by name and
unit.
"""
from tests.browser.test_words import NAMES, READABLE, english_words

LOGINS = ["ap.market", "ap.review", "ap.callback", "ap.sup"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _closed_or_reopened(workbench, department, reviewer, callback, number, resolved):
    base = workbench.url
    workbench.wait_for_case(number, "assigned")
    assert department.post(f"{base}/department/cases/{number}/sign-for", data={"csrf": department.csrf},
                           timeout=10).status_code == 200
    assert department.post(f"{base}/department/cases/{number}/reply", timeout=10, data={
        "csrf": department.csrf, "text": "执法人员11月25日到店检查，责令下架过期食品并立案调查。"}).status_code == 200
    workbench.wait_for_case(number, "replied")
    assert reviewer.post(f"{base}/review/{number}", timeout=10, data={
        "csrf": reviewer.csrf, "decision": "approve"}).status_code == 200
    workbench.wait_for_case(number, "approved")
    assert callback.post(f"{base}/callbacks/{number}", timeout=10, data={
        "csrf": callback.csrf, "reached": "yes", "resolved": "yes" if resolved else "no",
        "satisfaction": "satisfied" if resolved else "dissatisfied",
        "note": "" if resolved else "市民称仍在销售过期食品"}).status_code == 200
    workbench.wait_for_case(number, "closed" if resolved else "assigned")


def test_a_unit_appeals_a_dissatisfied_callback_and_the_supervisor_accepts_it(workbench, tmp_path):
    for login, roles, department, name in [("ap.market", ["department"], "MARKET", "周市监"),
                                           ("ap.review", ["reviewer"], None, "周审核"),
                                           ("ap.callback", ["callback"], None, "周回访"),
                                           ("ap.sup", ["supervisor"], None, "周督办")]:
        workbench.user(login, *roles, department=department, name=name)
    numbers = [workbench.stack.post({"title": title, "description": text, "district": "市南区",
                                     "category": "food-safety", "channel": "web"}).json()["number"]
               for title, text in (("超市卖过期食品", "市南区香港中路超市出售过期牛奶"),
                                   ("饭店后厨不卫生", "市南区闽江路饭店后厨老鼠出没"))]
    market, reviewer, callback = (workbench.http(login) for login in ("ap.market", "ap.review", "ap.callback"))
    _closed_or_reopened(workbench, market, reviewer, callback, numbers[0], resolved=True)
    _closed_or_reopened(workbench, market, reviewer, callback, numbers[1], resolved=False)
    contested = numbers[1]

    def market_line():
        card = workbench.stack.rpc("followup", "scorecard")
        return next(line for line in card["departments"] if line["department"] == "MARKET")
    before = market_line()
    assert (before["resolution_rate"], before["resolution_rate_after_appeal"]) == (0.5, 0.5)

    staff = workbench.sign_in("ap.market")
    staff.goto(f"{workbench.url}/department/cases/{contested}")
    appeal = staff.locator("details.appeal")
    assert appeal.count() == 1  # only the scored entry: the dissatisfied callback
    assert "回访未解决或不满意" in staff.inner_text(".timeline")
    appeal.locator("summary").click()
    appeal.locator("textarea[name=reason]").fill("经复查，该店已于回访前停业整顿，市民所述为另一家店铺")
    appeal.locator("textarea[name=links]").fill("https://evidence.example/market/2026-11-25.pdf")
    photo = tmp_path / "停业通知.png"
    photo.write_bytes(PNG)
    appeal.locator("input[type=file]").set_input_files(str(photo))
    assert not english_words(staff.evaluate(READABLE), NAMES + LOGINS + ["PDF", "MB"])
    workbench.shot(staff, "appeal-form")
    appeal.locator("button.primary").click()
    assert "申诉已提交" in workbench.flash(staff)
    assert "申诉审核中" in staff.inner_text("#appeals")
    assert staff.locator("details.appeal").count() == 0  # one open appeal per event

    supervisor = workbench.sign_in("ap.sup")
    supervisor.goto(f"{workbench.url}/appeals")
    row = supervisor.locator("#appeals tr", has_text=contested)
    assert "周市监" in row.inner_text() and "停业通知.png" in row.inner_text()
    assert not english_words(supervisor.evaluate(READABLE), NAMES + LOGINS + [photo.name])  # a name given
    workbench.shot(supervisor, "appeals-queue")
    row.locator("input[name=reason]").fill("停业整顿记录属实，回访对象有误，不计入考核")
    row.locator("button[value=accept]").click()
    assert contested in workbench.flash(supervisor) and "采纳" in workbench.flash(supervisor)

    after = market_line()
    assert (after["resolution_rate"], after["resolution_rate_after_appeal"]) == (0.5, 1.0)
    assert after["appeals_accepted"] == before["appeals_accepted"] + 1
    supervisor.goto(f"{workbench.url}/supervisor")
    assert "50.0%" in supervisor.inner_text("#scorecard tr[data-department=MARKET]")  # raw, as before
    line = supervisor.locator("#scorecard-after-appeals tr[data-department=MARKET]")
    assert line.locator("td.after-appeal[data-rate=resolution_rate]").inner_text() == "100.0%"
    assert line.locator("td.appeals-accepted").inner_text() == "1"
    workbench.shot(supervisor, "scorecard-after-appeals")
    supervisor.goto(f"{workbench.url}/appeals?tab=decided")
    assert "停业整顿记录属实" in supervisor.inner_text("#appeals tr:has-text('" + contested + "')")

    staff.goto(f"{workbench.url}/department/cases/{contested}")
    timeline = staff.inner_text(".timeline")
    assert "提出申诉" in timeline and "申诉已采纳" in timeline and "周督办" in timeline
    ledger = workbench.stack.rpc("followup", "get_case", contested)["ledger"]
    filed, decided = (next(e for e in ledger if e["action"] == action)
                      for action in ("appeal_filed", "appeal_accepted"))
    assert (filed["actor"], filed["actor_id"], filed["department_code"]) == ("周市监", "ap.market", "MARKET")
    assert (decided["actor"], decided["actor_id"], decided["department_code"]) == ("周督办", "ap.sup", "MARKET")
