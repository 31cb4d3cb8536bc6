"""A closed ticket's personal data is erased in every service that holds a copy."""
import json
import time

import pytest
import requests

from tests.stack.conftest import running_stack
from tests.stack.test_department_api import as_staff

PHONE, EMAIL = "13953201234", "wang.fang@example.com"
WATER = {"title": "小区停水两天了", "caller_name": "王芳", "caller_phone": PHONE, "caller_email": EMAIL,
         "description": f"崂山区海尔路小区停水，没有通知。请回电{PHONE}或发邮件到{EMAIL}，身份证370202199001011234",
         "district": "崂山区", "address": "海尔路 61 号 3 单元", "lat": 36.1, "lng": 120.4, "channel": "web",
         "category": "water-outage"}
REPLY = f"经查主供水管道破裂，已修复，当晚恢复供水；已致电{PHONE}告知。"


@pytest.fixture(scope="module")
def stack(vhost_pipeline, tmp_path_factory):
    """Personal data kept not a moment after closing (checked every second)."""
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("erasure"),
                       PERSONAL_DATA_RETENTION_DAYS="0", PRIVACY_ERASE_INTERVAL="1") as stack:
        yield stack


def close_case(stack, number):
    stack.wait_until(number, lambda v: v["case_opened"])
    token = as_staff(stack, "create_department_token", "WATER", "erasure")["token"]
    followup = f"{stack.http_url('followup')}/cases/{number}"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{followup}/sign-for", json={}, headers=auth, timeout=10).status_code == 200
    assert requests.post(f"{followup}/reply", json={"text": REPLY}, headers=auth, timeout=10).status_code == 200
    stack.rpc("followup", "review_reply", number, "李审核", True, "")
    stack.rpc("followup", "record_callback", number, "王回访", True, True, "satisfied", "")
    stack.wait_until(number, lambda v: v["status"] == "closed")


def copies(stack, number):
    """Everything each service answers about the ticket, as one text."""
    return {"intake": stack.rpc("intake", "get_ticket", number),
            "contact": stack.rpc("intake", "get_citizen_contact", number, principal="notify"),
            "routing": stack.rpc("routing", "get_decision", number),
            "followup": stack.rpc("followup", "get_case", number),
            "notify": stack.rpc("notify", "list_notifications", number, False, 100),
            "insight": stack.rpc("insight", "get_request", number)}


def test_every_service_scrubs_its_copy_after_closing(stack):
    number = stack.post(WATER).json()["number"]
    before = json.dumps(copies(stack, number), ensure_ascii=False)
    assert PHONE in before  # intake holds the contact while the case is open

    close_case(stack, number)
    deadline, held = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        seen = copies(stack, number)
        held = {name: value for name, value in seen.items()
                if any(secret in json.dumps(value, ensure_ascii=False)
                       for secret in (PHONE, EMAIL, "370202199001011234", "海尔路 61 号"))}
        if not held and seen["intake"].get("erased_at"):
            break
        time.sleep(0.5)
    assert not held, f"still holding personal data: {sorted(held)}"

    ticket = seen["intake"]
    assert ticket["caller_name"] is None and ticket["caller_phone"] is None and ticket["address"] is None
    assert "[phone]" in ticket["description"] and "[email]" in ticket["description"]
    assert seen["contact"]["phone"] is None and seen["contact"]["email"] is None
    assert "[phone]" in seen["followup"]["reply"]["text"]
    assert ticket["status"] == "closed" and ticket["department"]["code"] == "WATER"  # the record stays
