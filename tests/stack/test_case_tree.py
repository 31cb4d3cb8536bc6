"""A case worked by several units, as another system sees it: the departments' token API
(:8001) and the events only, no workbench. A noise complaint in 市南区 goes to the district
as lead with the housing bureau co-handling; the district passes it to 八大关街道, which
passes it to a community; the community refuses and the street rejects the refusal; the
community replies, the street accepts and replies up, the district accepts and replies
with the co-handler's reply beside its own; the hotline approves. Every part has its own
watch in notify, and every ledger entry names the person and the unit.

Refusals are reviewed here (``FOLLOWUP_REFUSAL_REVIEW``, the city's default): a lead's
refusal waits for a dispatcher, who sends it back."""
import time

import pytest
import requests

from tests.stack.conftest import running_stack

DISTRICT, STREET, COMMUNITY, HOUSING = "D-SHINAN", "S-BADAGUAN", "C-BDG-TAIPINGJIAO", "HOUSING"
NOISE = {"title": "八大关附近工地夜间施工噪音", "district": "市南区", "street": "八大关街道",
         "address": "太平角一路附近工地",
         "description": "太平角一路附近的工地连续一周晚上十一点后还在施工，噪音很大，影响休息。",
         "caller_phone": "13953267890", "caller_name": "李明", "channel": "web"}


@pytest.fixture(scope="module")
def reviewing_stack(vhost_pipeline, tmp_path_factory):
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("tree-stack"),
                       FOLLOWUP_REFUSAL_REVIEW="true") as stack:
        yield stack


def until(read, check, what, timeout=20.0):
    """What ``read()`` gives once ``check`` holds of it, within ``timeout`` seconds."""
    deadline, found = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        found = read()
        if found and check(found):
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: last {found!r}")


class Unit:
    """A unit's own system, with its token."""

    def __init__(self, stack, code):
        self.code = code
        self.api = f"http://{stack.env['FOLLOWUP_HTTP']}"
        self.headers = {"Authorization": f"Bearer {stack.rpc('followup', 'create_department_token', code)['token']}"}

    def post(self, number, path, body=None, expect=200):
        answer = requests.post(f"{self.api}/cases/{number}/{path}", headers=self.headers, json=body or {},
                               timeout=10)
        assert answer.status_code == expect, (self.code, path, answer.status_code, answer.text)
        return answer.json()

    def case(self, number):
        return requests.get(f"{self.api}/cases/{number}", headers=self.headers, timeout=10)


def part(case, code):
    return next(a for a in case["assignments"] if a["unit_code"] == code and a["state"] not in ("withdrawn",))


def test_a_case_worked_down_the_tree_and_back_over_the_token_api(reviewing_stack):
    stack = reviewing_stack
    number = stack.post(NOISE).json()["number"]
    decision = until(lambda: stack.rpc("routing", "get_decision", number),
                     lambda d: d.get("status") in ("assigned", "awaiting_dispatch"), "routing's decision")
    why = "施工噪音属地管理，由区政府牵头，住建局核查施工许可"
    if decision["status"] == "awaiting_dispatch":  # the dispatcher names the lead and the co-handler at once
        stack.rpc("routing", "assign", number, DISTRICT, "", why, [HOUSING])
    else:  # routing chose: the dispatcher moves it to the district and adds the co-handler (加派)
        if decision["department_code"] != DISTRICT:
            stack.rpc("routing", "redispatch", number, DISTRICT, why)
            until(lambda: stack.rpc("followup", "get_case", number),
                  lambda c: c["department_code"] == DISTRICT, "the case with the district")
        else:
            until(lambda: stack.rpc("followup", "get_case", number), bool, "the case")
        stack.rpc("followup", "add_co_handlers", number, [HOUSING], "核查施工许可")
    until(lambda: stack.rpc("followup", "get_case", number),
          lambda c: c["department_code"] == DISTRICT and c.get("assignments"), "the case with its co-handler")
    district, street, community, housing = (Unit(stack, code) for code in (DISTRICT, STREET, COMMUNITY, HOUSING))

    # a stranger to the case (the community, before it is passed down) sees nothing
    assert community.case(number).status_code == 404
    street.post(number, "sign-for", expect=404)  # no part of it yet: as if there were no such case

    district.post(number, "sign-for", {"actor": "区值班员"})
    assert district.post(number, "pass-down", {"unit": COMMUNITY}, expect=400)["errors"]["unit"]  # not a child
    district.post(number, "pass-down", {"unit": STREET, "note": "请街道核实工地并督促停工", "actor": "区值班员"})
    street.post(number, "sign-for", {"actor": "街道王"})
    street.post(number, "pass-down", {"unit": COMMUNITY, "note": "社区上门核实", "actor": "街道王"})
    inbox = requests.get(f"{community.api}/cases", headers=community.headers, timeout=10).json()
    assert [(c["number"], c["part"]["role"]) for c in inbox] == [(number, "down")]

    refused = community.post(number, "refuse", {"reason": "工地不在本社区", "actor": "社区刘"})
    assert part(refused, COMMUNITY)["state"] == "refusal_review"
    district.post(number, f"parts/{COMMUNITY}/refusal", {"approve": False, "reason": "x"}, expect=404)
    back = street.post(number, f"parts/{COMMUNITY}/refusal",
                       {"approve": False, "reason": "工地在太平角一路，属太平角社区", "actor": "街道王"})
    assert part(back, COMMUNITY)["state"] == "assigned"

    community.post(number, "sign-for", {"actor": "社区刘"})
    street.post(number, "reply", {"text": "街道已处理"}, expect=409)  # its child has not finished
    community.post(number, "reply", {"text": "社区已上门，施工方承诺夜间停工", "actor": "社区刘"})
    street.post(number, f"parts/{COMMUNITY}/reply", {"accept": True, "actor": "街道王"})
    street.post(number, "reply", {"text": "街道已督促施工方晚十点后停工并每晚巡查", "actor": "街道王"})
    district.post(number, f"parts/{STREET}/reply", {"accept": True, "actor": "区值班员"})
    district.post(number, "reply", {"text": "区政府已处理"}, expect=409)  # the co-handler has not replied
    housing.post(number, "sign-for", {"actor": "住建张"})
    housing.post(number, "reply", {"text": "已核查施工许可，责令施工单位整改", "actor": "住建张"})
    replied = district.post(number, "reply", {"text": "施工方已停止夜间施工，街道每晚巡查", "actor": "区值班员"})
    assert replied["state"] == "replied"
    assert [(r["unit_code"], r["text"]) for r in replied["reply"]["co_replies"]] == [
        (HOUSING, "已核查施工许可，责令施工单位整改")]
    assert stack.rpc("followup", "review_reply", number, "", True, "")["state"] == "approved"

    # notify: one watch per part, each ended with its part
    for code in (STREET, COMMUNITY, HOUSING):
        watch = until(lambda code=code: stack.rpc("notify", "get_watch", f"{number}@{code}"),
                      lambda w: w.get("state") == "closed", f"the watch of {code}'s part")
        assert watch["ticket_number"] == number and watch["department_code"] == code
    ledger = stack.rpc("followup", "get_case", number)["ledger"]
    assert all(e.get("actor") and e.get("department_code") for e in ledger
               if e["action"] not in ("assigned", "redispatched")), ledger
    assert {e["department_code"] for e in ledger} >= {DISTRICT, STREET, COMMUNITY, HOUSING}


def test_a_leads_refusal_waits_for_the_dispatcher_who_sends_it_back(reviewing_stack):
    stack = reviewing_stack
    number = stack.post(dict(NOISE, title="香港中路商场外墙广告牌松动", street="香港中路街道",
                             address="香港中路 10 号", caller_phone="13953260001",
                             description="香港中路10号商场外墙的广告牌被风吹得松动，随时可能掉下来。")).json()["number"]
    decision = until(lambda: stack.rpc("routing", "get_decision", number),
                     lambda d: d.get("status") in ("assigned", "awaiting_dispatch"), "routing's decision")
    if decision["status"] == "awaiting_dispatch":
        stack.rpc("routing", "assign", number, DISTRICT, "", "广告牌安全隐患，属地先行处置")
    case = until(lambda: stack.rpc("followup", "get_case", number), bool, "the case")
    lead = Unit(stack, case["department_code"])
    held = lead.post(number, "refuse", {"reason": "不属于本单位职责", "actor": "值班员"})
    assert held["state"] == "refusal_review"
    time.sleep(1)
    assert stack.rpc("routing", "get_decision", number)["department_code"] == case["department_code"]  # not re-routed
    queue = stack.rpc("followup", "refusal_queue", None, 0, 50)
    assert number in [c["number"] for c in queue["items"]]
    back = stack.rpc("followup", "review_refusal", number, case["department_code"], False, "广告牌安全属本单位职责")
    assert back["state"] == "assigned" and back["department_code"] == case["department_code"]
