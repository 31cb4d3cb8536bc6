"""Closures that held and cases before the complaints, end to end in the workbench.

防反弹: a citizen's heating case (市能源局, ENERGY: a unit no other browser test scores) is
closed as solved; the same caller reports the same matter again, and intake marks the new
ticket a rebound of the closed one: both ticket pages link each other and the scorecard
counts the rebound against the unit that closed the case.

未诉先办: a few sanitation requests in 莱西市 today (a place and a subject no other browser
test uses) make a spike; a supervisor turns it into a proactive case (主动治理) from the
overview, the case carries its tickets as evidence and is routed like any ticket to the
unit that takes them, which finds it in its inbox; a second click leads to the same case.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from shared.platform.config import load_config
from tests.service.receivers import wait_until
from tests.stack.test_followup_lifecycle import Department

ZONE = ZoneInfo(load_config()["CITY"]["timezone"])
PHONE = "13953212426"
HEATING = {"title": "暖气不热", "description": "即墨区鹤山路小区暖气片一直是凉的，室内只有十二度。",
           "caller_name": "刘洋", "caller_phone": PHONE, "district": "即墨区", "category": "heating",
           "channel": "web"}
AGAIN = dict(HEATING, title="暖气又不热了", description="上周说修好了，这两天家里的暖气又凉了，老人孩子受不了。",
             caller_phone="139 5321 2426")  # the same phone, written otherwise
REPLY = "经查，该小区供暖管网阀门故障导致循环不畅，维修人员已于当日更换阀门，复测室温达到二十度。"
SPIKE = ("sanitation", "莱西市")
SPIKE_TEXTS = [("垃圾桶满了没人清运", "莱西市水集街道菜市场门口的垃圾桶三天没人清运，臭味很大。"),
               ("小区垃圾堆积", "莱西市望城街道幸福家园小区北门的垃圾堆了好几天，招了很多苍蝇。"),
               ("路边建筑垃圾乱倒", "莱西市烟台路与威海路路口有人夜里倾倒建筑垃圾，占了半条人行道。"),
               ("公园垃圾没人管", "莱西市月湖公园东门附近的草地上到处是塑料袋和饭盒。"),
               ("学校门口垃圾成堆", "莱西市沽河街道实验小学门口的垃圾点没有盖子，风一吹满地都是。"),
               ("早市散场后满地垃圾", "莱西市长广路早市散场后摊贩留下的垃圾一直到中午都没人扫。"),
               ("垃圾中转站异味", "莱西市石岛路垃圾中转站门敞着，周围居民楼里都能闻到臭味。"),
               ("河边垃圾漂浮", "莱西市洙河岸边的垃圾被冲到水里，河面上漂着一层泡沫和瓶子。"),
               ("公厕没人打扫", "莱西市汽车站旁边的公共厕所好几天没人打扫，地上全是污水。"),
               ("绿化带里全是垃圾", "莱西市黄海路中间绿化带里扔满了烟头和外卖盒，一直没人捡。")]


def test_a_rebound_is_marked_linked_both_ways_and_counted_against_the_unit(workbench):
    stack = workbench.stack
    earlier = stack.post(HEATING).json()["number"]
    unit = workbench.wait_for_case(earlier, "assigned")["department_code"]
    energy = Department(stack, stack.rpc("followup", "create_department_token", unit, "反弹测试")["token"])
    assert energy.post(earlier, "sign-for", actor="钱工").status_code == 200
    assert energy.post(earlier, "reply", text=REPLY, actor="钱工").status_code == 200
    stack.rpc("followup", "review_reply", earlier, "钱审核", True)
    stack.rpc("followup", "record_callback", earlier, "钱回访", True, True, "satisfied")
    assert workbench.wait_for_case(earlier, "closed")["outcome"] == "resolved"
    stack.wait_until(earlier, lambda v: v["status"] == "closed")  # intake knows it closed as solved

    again = stack.post(AGAIN).json()["number"]
    view = stack.wait_until(again, lambda v: v.get("rebound_of") == earlier)
    assert view["number"] != earlier
    stack.wait_until(earlier, lambda v: again in (v.get("rebounds") or []))

    workbench.user("rb.op", "operator", name="钱话务")
    operator = workbench.sign_in("rb.op")
    operator.goto(f"{workbench.url}/tickets/{again}")
    assert "反弹自" in operator.inner_text("main")
    link = operator.locator("#rebound-of a")
    assert link.inner_text() == earlier
    workbench.shot(operator, "rebound-new-ticket")
    link.click()
    operator.wait_for_selector("#rebounds")
    assert operator.url.endswith(f"/tickets/{earlier}")
    assert "反弹工单" in operator.inner_text("main") and again in operator.inner_text("#rebounds")
    workbench.shot(operator, "rebound-earlier-ticket")

    today = dt.datetime.now(ZONE).date().isoformat()

    def counted():  # followup hears the rebound and scores the unit that closed the case
        card = stack.rpc("followup", "scorecard", today, today)
        line = next(d for d in card["departments"] if d["department"] == unit and d.get("scope", "unit") == "unit")
        return line if line["rebounded"] else None
    line = wait_until(counted, 20.0, "the rebound counted against the unit")
    assert line["rebounded"] == 1 and line["closures_checked"] >= 1 and line["held_rate"] < 1
    assert any(e["action"] == "rebounded" and e["rebound"] == again
               for e in stack.rpc("followup", "get_case", earlier)["ledger"])


def _quiet_history(stack, today):
    """A quiet week a month back: the detector tests a day only against a month of known history
    (days before the first request are unknown, not quiet); one request a day, in another place."""
    records = [{"number": f"CP-{day:%Y%m%d}-H00001", "title": "咨询公交线路", "category": "public-transport",
                "district": "平度市", "channel": "phone",
                "received_at": dt.datetime.combine(day, dt.time(10), tzinfo=ZONE).isoformat()}
               for day in (today - dt.timedelta(days=back) for back in range(30, 37))]
    assert not stack.rpc("insight", "import_history", records)["rejected"]


def _plant_spike(stack, today):
    """Requests of one category in one district today, as few as the detector needs: the first
    it flags. Three (its ``min_count``) on a quiet history; more when the workbench holds weeks
    of another module's history in the month before (test_assessment's October): the counts are
    then overdispersed and the weekdays uneven, and the detector asks for more (up to eight in
    December 2026, as ``spikes.detect`` computes it)."""
    numbers = []
    for index, (title, description) in enumerate(SPIKE_TEXTS):
        numbers.append(stack.post({"title": title, "description": description, "category": SPIKE[0],
                                   "district": SPIKE[1], "channel": "web",
                                   "caller_phone": f"1395321{2500 + index}"}).json()["number"])
        wait_until(lambda: stack.rpc("insight", "get_request", numbers[-1]), 20.0, "insight has the request")
        if len(numbers) < 3:  # the detector's min_count
            continue
        spike = next((s for s in stack.rpc("insight", "hotspots", {"to": today})["spikes"]
                      if (s["category"], s["district"]) == SPIKE), None)
        if spike:
            return spike, numbers
    raise AssertionError(f"no spike after {len(numbers)} requests")


def test_a_supervisor_makes_a_spike_a_proactive_case_that_reaches_the_unit(workbench):
    stack = workbench.stack
    today = dt.datetime.now(ZONE).date()
    _quiet_history(stack, today)
    spike, numbers = _plant_spike(stack, today.isoformat())
    assert set(numbers) <= set(spike["numbers"])
    unit = workbench.wait_for_case(numbers[0])["department_code"]  # who takes the requests themselves

    workbench.user("pro.sup", "supervisor", name="吴督办")
    supervisor = workbench.sign_in("pro.sup")
    supervisor.goto(f"{workbench.url}/supervisor")
    finding = supervisor.locator(f"li[data-finding='{spike['key']}']")
    assert "莱西市" in finding.inner_text()
    finding.locator("button", has_text="转为主动治理工单").click()
    supervisor.wait_for_selector("#evidence")
    number = supervisor.url.rsplit("/", 1)[-1]
    assert number not in numbers and "已生成主动治理工单" in workbench.flash(supervisor)
    assert supervisor.inner_text("#request-type") == "主动治理"
    evidence = supervisor.inner_text("#evidence")
    assert all(n in evidence for n in numbers)
    assert "主动治理：莱西市环境卫生诉求激增" in supervisor.inner_text("main")  # what, where, in Chinese
    case = workbench.wait_for_case(number, "assigned")
    assert case["department_code"] == unit
    workbench.shot(supervisor, "proactive-case")

    workbench.user("pro.unit", "department", department=unit, name="吴城管")
    staff = workbench.sign_in("pro.unit")
    staff.goto(f"{workbench.url}/department?state=assigned")
    row = staff.locator("tbody tr", has_text=number)
    assert row.count() == 1
    assert row.locator(".badge.proactive").inner_text() == "主动治理"  # the unit sees it is the hotline's own
    workbench.shot(staff, "proactive-inbox")

    supervisor.goto(f"{workbench.url}/supervisor")  # again: the case the first click opened
    supervisor.locator(f"li[data-finding='{spike['key']}'] button").click()
    supervisor.wait_for_selector("#evidence")
    assert supervisor.url.endswith(f"/tickets/{number}") and "已生成主动治理工单" in workbench.flash(supervisor)
    assert "这项发现" in workbench.flash(supervisor)
