"""Departments' own systems on followup's token API (:8001) get what the workbench
shows: the citizen's words and place, the contact (every read recorded), and
reply files kept in the platform's MongoDB."""
import time

import requests

from shared.platform.principals import ClusterRpcProxy
from tests.people import context

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2048
TICKET = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。",
          "district": "崂山区", "address": "海尔路小区 3 号楼", "caller_phone": "13853212345",
          "caller_name": "王芳", "channel": "web"}


def as_staff(stack, method, *args):
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=10,
                         context_data=context()) as cluster:
        return getattr(cluster.followup, method)(*args)


def wait_for_case(stack, number, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.rpc("followup", "get_case", number):
            return
        time.sleep(0.2)
    raise AssertionError(f"no case {number}")


def test_a_departments_system_sees_the_case_content_contact_and_files(stack):
    number = stack.post(dict(TICKET, request_type="投诉")).json()["number"]  # the web form's type, in Chinese
    wait_for_case(stack, number)
    api = f"http://{stack.env['FOLLOWUP_HTTP']}"
    water = {"Authorization": f"Bearer {as_staff(stack, 'create_department_token', 'WATER')['token']}"}
    other = {"Authorization": f"Bearer {as_staff(stack, 'create_department_token', 'HOUSING')['token']}"}

    case = requests.get(f"{api}/cases/{number}", headers=water, timeout=10).json()
    assert case["ticket"]["title"] == TICKET["title"] and case["ticket"]["address"] == TICKET["address"]
    assert case["ticket"]["caller_phone"] == "138****2345" and "13853212345" not in str(case)
    assert case["request_type"] == "complaint"  # from the door, through routing, on the case

    assert requests.get(f"{api}/cases/{number}/contact", headers=other, timeout=10).status_code == 404
    contact = requests.get(f"{api}/cases/{number}/contact?purpose=上门核实", headers=water, timeout=10).json()
    assert contact == {"name": "王芳", "phone": "13853212345", "email": None}
    accesses = as_staff(stack, "contact_accesses", number)["items"]
    assert [(a["actor_id"], a["via"], a["purpose"]) for a in accesses] == [("token:WATER", "token", "上门核实")]

    assert requests.post(f"{api}/cases/{number}/sign-for", headers=water, json={"actor": "张工"},
                         timeout=10).status_code == 200
    refused = requests.post(f"{api}/cases/{number}/attachments?filename=x.exe", headers=water,
                            data=b"MZ\x90\x00" + b"\xff" * 100, timeout=10)
    assert refused.status_code == 400 and "file" in refused.json()["errors"]
    assert requests.post(f"{api}/cases/{number}/attachments?filename=a.png", headers=other, data=PNG,
                         timeout=10).status_code == 404
    added = requests.post(f"{api}/cases/{number}/attachments?filename=现场.png", headers=water, data=PNG,
                          timeout=10)
    assert added.status_code == 201 and added.json()["content_type"] == "image/png"
    file_id = added.json()["id"]
    replied = requests.post(f"{api}/cases/{number}/reply", headers=water, timeout=10, json={
        "text": "主管道已于12月1日修复，当晚恢复供水。", "files": [file_id], "actor": "张工"})
    assert replied.status_code == 200 and replied.json()["reply"]["files"][0]["filename"] == "现场.png"

    download = requests.get(f"{api}/cases/{number}/attachments/{file_id}", headers=water, timeout=10)
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["Content-Type"] == "image/png" and "attachment" in download.headers["Content-Disposition"]
    assert requests.get(f"{api}/cases/{number}/attachments/{file_id}", headers=other,
                        timeout=10).status_code == 404


def test_a_stranger_without_a_token_or_with_another_s_gets_nothing(stack):
    """No token, an empty or garbled one: 401 on the case; another department's
    token: the same 404 as a number that does not exist."""
    number = stack.post(dict(TICKET, title="市北区辽宁路自来水发黄", district="市北区", address="辽宁路 8 号",
                             description="市北区辽宁路一带自来水发黄三天了，有异味。")).json()["number"]
    wait_for_case(stack, number)
    api = f"http://{stack.env['FOLLOWUP_HTTP']}"
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Bearer "}, {"Authorization": "Bearer -"},
                    {"Authorization": "Bearer ../../x"}, {"X-Department-Token": "x"}):
        for path in (f"/cases/{number}", f"/cases/{number}/contact", "/cases"):
            answered = requests.get(api + path, headers=headers, timeout=10)
            assert answered.status_code == 401, (headers, path, answered.text)
            assert "王芳" not in answered.text and "发黄" not in answered.text
    other = {"Authorization": f"Bearer {as_staff(stack, 'create_department_token', 'HOUSING')['token']}"}
    theirs = requests.get(f"{api}/cases/{number}", headers=other, timeout=10)
    missing = requests.get(f"{api}/cases/{number[:-5]}99999", headers=other, timeout=10)
    assert theirs.status_code == missing.status_code == 404 and theirs.content == missing.content
