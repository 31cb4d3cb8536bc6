"""Quality checking (质检) in the workbench: an operator records two tickets on the phone, the
monthly minimum samples both (the automatic checks flag the hasty one), a quality reviewer scores it item by item beside the ticket,
and the score appears in the operator's month -- which the operator may read, and the
queue they may not.
"""
import re

from tests.browser.conftest import NUMBER
from tests.browser.test_words import NAMES, READABLE, english_words

LOGINS = ["qc.op", "qc.quality"]


def test_a_quality_reviewer_scores_a_sampled_ticket_and_the_operators_month_shows_it(workbench):
    workbench.user("qc.op", "operator", name="郑接线")
    workbench.user("qc.quality", "quality", name="郑质检")
    operator = workbench.http("qc.op")
    recorded = operator.post(f"{workbench.url}/operator/tickets", timeout=20, data={
        "csrf": operator.csrf, "caller_phone": "13953217788", "title": "人行道路面塌陷",
        "description": "市南区宁夏路88号门口人行道塌陷一个大坑，老人孩子经过很危险", "district": "市南区",
        "address": "宁夏路88号", "category": "road-damage", "request_type": "help"})
    assert recorded.status_code == 200, recorded.text
    number = NUMBER.search(recorded.text.split('class="flash"', 1)[1]).group(0)
    hasty = operator.post(f"{workbench.url}/operator/tickets", timeout=20, data={  # no category, no type
        "csrf": operator.csrf, "caller_phone": "13953217799", "title": "太吵了", "description": "楼下太吵"})
    careless = NUMBER.search(hasty.text.split('class="flash"', 1)[1]).group(0)

    reviewer = workbench.sign_in("qc.quality")
    assert reviewer.locator("nav a[href='/quality']").count() == 1
    reviewer.goto(f"{workbench.url}/quality")
    row = reviewer.locator("#quality-queue tr", has_text=number)
    assert "郑接线" in row.inner_text() and "月度保底抽检" in row.inner_text()
    flagged = reviewer.locator("#quality-queue tr", has_text=careless).inner_text()
    assert "无分类" in flagged and "无诉求类型" in flagged and "诉求内容过短" in flagged  # the automatic checks
    assert not english_words(reviewer.evaluate(READABLE), NAMES + LOGINS)
    workbench.shot(reviewer, "quality-queue")
    row.locator(f"a[href='/quality/{number}']").click()
    reviewer.wait_for_selector("#quality-form")
    beside = reviewer.inner_text("#quality-ticket")
    assert "宁夏路88号" in beside and "人行道塌陷" in beside and "郑接线" in beside
    assert "13953217788" not in beside  # the caller masked
    assert "诉求记录忠实" in reviewer.inner_text("#quality-form")
    assert not english_words(reviewer.evaluate(READABLE), NAMES + LOGINS)
    reviewer.fill("input[name=points_courtesy]", "5")
    reviewer.fill("input[name=comment_courtesy]", "未使用规范结束语")
    reviewer.fill("textarea[name=comment]", "记录完整，用语需改进")
    workbench.shot(reviewer, "quality-form")
    reviewer.click("#quality-form button.primary")
    assert f"{number} 已评分：90 / 100 分" in workbench.flash(reviewer)
    result = reviewer.locator("#quality-results tr", has_text="郑接线")
    assert result.locator("td.average").inner_text() == "90.0"
    assert "服务用语规范 ×1" in result.inner_text()
    assert not english_words(reviewer.evaluate(READABLE), NAMES + LOGINS)
    workbench.shot(reviewer, "quality-results")

    reviewer.goto(f"{workbench.url}/quality?status=scored")
    assert "90 / 100" in reviewer.locator("#quality-queue tr", has_text=number).inner_text()
    assert reviewer.locator("#quality-queue tr", has_text=careless).count() == 0  # still waiting
    assert workbench.http("qc.quality").get(f"{workbench.url}/quality", timeout=20).status_code == 200

    own = operator.get(f"{workbench.url}/quality/results", timeout=20)
    assert own.status_code == 200 and "郑接线" in own.text and "90.0" in own.text
    assert operator.get(f"{workbench.url}/quality", timeout=20).status_code == 403
    assert re.search(r'href="/quality/results"', own.text)  # the nav shows the operator their results
