"""The citizen's own rating on a phone: the link from the SMS, a dissatisfied answer that
reopens the case, and the same link refused when used again."""
import json
import re

import requests

from tests.service.receivers import wait_until
from tests.stack.test_followup_lifecycle import FIRST, WATER, Department

LINK = re.compile(r"https?://\S+?/r/[A-Za-z0-9_-]{10,}")
PHONE = "13953212388"
IPHONE_13 = {  # Playwright's "iPhone 13", as its device list gives it
    "viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 "
                  "(KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1",
    "locale": "zh-CN"}


def test_the_sms_link_rates_a_case_dissatisfied_on_a_phone_and_works_once(workbench):
    stack = workbench.stack
    number = stack.post(dict(WATER, caller_phone=PHONE)).json()["number"]
    stack.wait_until(number, lambda v: v["case_opened"])
    water = Department(stack, workbench.cli("case", "token", "create", "WATER").strip().splitlines()[-1])
    assert water.post(number, "sign-for", actor="张工").status_code == 200
    assert water.post(number, "reply", text=FIRST, actor="张工").status_code == 200
    workbench.cli("case", "review", number, "--approve", "--by", "李审核")

    def rating_sms():
        return [d for d in workbench.sms.documents("/sms") if d["reference"].startswith(f"{number}:rating:")]
    wait_until(lambda: rating_sms(), timeout=30, what="the rating SMS at the gateway")
    [sms] = rating_sms()
    assert sms["to"] == PHONE and number in sms["text"] and "王芳" not in sms["text"]
    link = LINK.search(sms["text"]).group(0)
    assert link.startswith(workbench.url)

    context = workbench.browser.new_context(**IPHONE_13)
    page = context.new_page()
    page.set_default_timeout(15_000)
    workbench.pages.append(page)
    page.goto(link)
    assert page.inner_text("#rate-number") == number
    shown = page.inner_text("body")
    assert "解决了吗？" in shown and "满意吗？" in shown and FIRST in shown
    assert PHONE not in shown and "王芳" not in shown and "海尔路小区从前天" not in shown
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(workbench.url) for url in loaded), loaded  # nothing from outside
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert page.locator("label.choice").first.bounding_box()["height"] >= 44   # a thumb's target
    workbench.shot(page, "rating-mobile")

    page.tap("input[name=solved][value=partly]")
    page.tap("input[name=satisfaction][value=dissatisfied]")
    page.fill("textarea[name=comment]", "三楼以上还是没有水")
    page.tap("button[type=submit]")
    page.wait_for_selector("#rate-title")
    assert page.inner_text("#rate-title") == "感谢您的评价"
    workbench.shot(page, "rating-thanks")

    case = workbench.wait_for_case(number, "assigned")  # reopened, as a dissatisfied callback does
    assert case["reopen_count"] == 1
    ledger = json.loads(workbench.cli("case", "history", number, "--json"))
    said = next(e for e in ledger if e["action"] == "callback")
    assert (said["actor"], said["channel"], said["outcome"], said["satisfaction"]) == (
        "市民（短信评价）", "sms_link", "partly_resolved", "dissatisfied")

    workbench.user("rating-callback", "callback", name="赵回访")  # the callback team: no call needed
    queue = workbench.http("rating-callback").get(f"{workbench.url}/callbacks", timeout=10)
    answered = queue.text[queue.text.index('id="answered-by-link"'):]
    assert queue.status_code == 200 and number in answered[:answered.index("</section>")]

    page.goto(link)
    assert page.inner_text("#rate-title") == "此链接已使用"
    assert requests.get(link, timeout=10).status_code == 410
    assert requests.get(link[:-3] + "zzz", timeout=10).status_code == 404
    workbench.shot(page, "rating-used")
