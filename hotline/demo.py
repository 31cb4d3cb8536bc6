"""``hotline demo``: a handful of realistic requests through the running stack."""
import time

import requests

from shared.platform.config import city_zone, load_config, local_time

DEMO_TICKETS = [
    {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天早上开始停水，没有任何通知，老人孩子生活困难。",
     "caller_name": "王芳", "caller_phone": "13853212345", "district": "崂山区",
     "address": "海尔路 61 号", "urgency": "urgent", "channel": "app"},
    {"title": "工地夜间施工噪音扰民", "description": "市南区香港中路附近工地每天晚上十一点以后还在施工，噪音很大，影响休息。",
     "caller_name": "李强", "caller_phone": "0532-88886666", "district": "市南区",
     "channel": "wechat"},
    {"title": "公司拖欠工资三个月", "description": "我在黄岛区一家装修公司上班，老板拖欠工资三个月不发，希望劳动部门帮忙讨薪。",
     "caller_name": "赵刚", "caller_phone": "15966668888", "district": "黄岛区",
     "category": "unpaid-wages", "channel": "web"},
    {"title": "暖气不热", "description": "李沧区书院路小区今年供暖以来暖气一直不热，室温只有十四度。",
     "caller_name": "孙丽", "caller_phone": "13705326789", "district": "李沧区",
     "category": "heating", "channel": "app"},
    {"title": "Street vendors blocking the sidewalk",
     "description": "Street vendors set up every evening on the sidewalk near the Zhanqiao pier; pedestrians have to walk on the road.",
     "caller_name": "John Miller", "caller_phone": "+14155550123", "district": "市南区",
     "channel": "web"},
    {"title": "楼道灯坏了没人修", "description": "城阳区正阳路一个老旧小区的楼道照明坏了一个月。",
     "caller_name": "周敏", "caller_phone": "18653298765", "district": "城阳区",
     "channel": "web"},
]


def run_demo(base_url, wait_seconds):
    """Submit the demo tickets as citizens would, then look them up with their receipts' codes."""
    base_url = base_url.rstrip("/")
    try:
        receipts = []
        for ticket in DEMO_TICKETS:
            response = requests.post(f"{base_url}/tickets", json=ticket, timeout=10)
            if response.status_code not in (200, 201):  # 200: sent before with the same Idempotency-Key
                print(f"intake refused a demo ticket ({response.status_code}): {response.text}")
                return 1
            receipts.append(response.json())
    except requests.ConnectionError:
        print(f"intake does not answer at {base_url}: start the stack first (make run, or make up)")
        return 1
    print(f"submitted {len(receipts)} tickets to {base_url}; waiting for dispatch...")

    def lookup(receipt):
        return requests.get(f"{base_url}/tickets/{receipt['number']}",
                            headers={"X-Lookup-Code": receipt["lookup_code"]}, timeout=10).json()

    deadline = time.monotonic() + wait_seconds
    views = {}
    while time.monotonic() < deadline:
        views = {r["number"]: lookup(r) for r in receipts}
        if all(v.get("department") and v.get("deadline") for v in views.values()):
            break
        time.sleep(0.3)

    zone = city_zone(load_config())
    print(f"{'ticket':<20} {'code':<9} {'status':<10} {'department':<30} {'reply by (' + zone.key + ')':<28} title")
    missing = 0
    for receipt, ticket in zip(receipts, DEMO_TICKETS):
        view = views[receipt["number"]]
        dept = view.get("department") or "-"
        missing += dept == "-"
        print(f"{receipt['number']:<20} {receipt['lookup_code']:<9} {view['status']:<10} {dept:<30} "
              f"{local_time(view.get('deadline'), zone):<28} {ticket['title']}")
    if missing:
        print(f"{missing} ticket(s) have no department after {wait_seconds:.0f}s: are routing and followup running?")
        return 1
    return 0
