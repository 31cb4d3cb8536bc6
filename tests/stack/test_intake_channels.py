"""Intake's channels as their users try them, against the four services as processes."""
import json
import subprocess
import sys
import time

import requests

O311 = "/open311/v2"


def create_key(stack, name):
    created = stack.hotline("apikeys", "create", name)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]  # the key is the last line


def test_an_open311_client_posts_with_a_key_and_later_sees_the_agency(stack):
    key = create_key(stack, "open311-client")
    services = requests.get(f"{stack.url}{O311}/services.json", timeout=10).json()
    assert "heating" in {s["service_code"] for s in services}

    refused = requests.post(f"{stack.url}{O311}/requests.json", timeout=10,
                            data={"service_code": "heating", "lat": "36.16", "long": "120.42"})
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403  # the spec: 403 without a key

    posted = requests.post(f"{stack.url}{O311}/requests.json", timeout=10, data={
        "api_key": key, "service_code": "heating", "lat": "36.16", "long": "120.42",
        "address_string": "李沧区书院路 88 号", "description": "暖气不热，室温只有十四度", "phone": "13705326789"})
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        request = requests.get(f"{stack.url}{O311}/requests/{number}.json", timeout=10).json()[0]
        if request["agency_responsible"]:
            break
        time.sleep(0.2)
    assert request["agency_responsible"] == "市能源局（供热供气）"
    assert request["status"] == "open" and request["expected_datetime"] > request["requested_datetime"]


def test_another_system_submits_with_the_example_script(stack):
    key = create_key(stack, "city-app")
    amqp = stack.env["AMQP_URI"].replace("pyamqp://", "amqp://", 1)

    def example(*args):
        return subprocess.run([sys.executable, "examples/submit_over_amqp.py", "--amqp", amqp,
                               "--api-key", key, "--source-system", "city-app", *args],
                              capture_output=True, text=True, timeout=60)

    good = example("--external-id", "APP-7")
    assert good.returncode == 0, good.stdout + good.stderr
    receipt = json.loads(good.stdout)
    assert receipt["accepted"] and receipt["outcome"] == "created"
    view = stack.wait_until(receipt["number"], lambda v: v["department"] is not None)
    assert view["channel"] == "system" and view["source"] == {"system": "city-app", "id": "APP-7"}

    again = example("--external-id", "APP-7")
    assert json.loads(again.stdout)["number"] == receipt["number"]
    bad = example("--malformed")
    assert bad.returncode == 2 and "title" in json.loads(bad.stdout)["errors"]
    assert stack.rpc("intake", "ping") == "intake"


def test_a_repeat_complaint_is_linked_not_dispatched_twice_until_unlinked(stack):
    first = stack.hotline("submit", "--title", "书院路工地夜间施工噪音扰民", "--description",
                          "每天晚上十一点以后还在施工，噪音很大", "--phone", "15966661111", "--district", "李沧区", "--json")
    master = json.loads(first.stdout)["number"]
    stack.wait_until(master, lambda v: v["department"] is not None)

    again = stack.hotline("submit", "--title", "工地晚上施工太吵", "--description", "书院路工地晚上十一点后还在施工，噪音大",
                          "--phone", "159 6666 1111", "--district", "李沧区")
    assert again.returncode == 0, again.stderr
    assert master in again.stdout and "linked to this open ticket" in again.stdout
    repeat = again.stdout.split("recorded as ")[1].split(",")[0]
    time.sleep(1.0)
    assert stack.rpc("routing", "get_decision", repeat) is None  # not dispatched

    unlinked = stack.hotline("unlink", repeat)
    assert unlinked.returncode == 0, unlinked.stderr
    stack.wait_until(repeat, lambda v: v["department"] is not None)


def test_an_operator_answers_a_question_from_the_knowledge_base(stack):
    found = stack.hotline("knowledge", "search", "公积金怎么提取")
    assert found.returncode == 0 and found.stdout.startswith("KB-FUND-001")
    answered = stack.hotline("answer", "KB-FUND-001", "--title", "咨询公积金提取", "--phone", "13853210000", "--json")
    assert answered.returncode == 0, answered.stderr
    ticket = json.loads(answered.stdout)
    assert ticket["status"] == "answered" and "身份证" in ticket["reply"]
    time.sleep(1.0)
    assert stack.rpc("routing", "get_decision", ticket["number"]) is None
