"""intake's public doors tried as a stranger and a careless integrator would."""
import json
import socket
import time
import xml.etree.ElementTree as ET

import pytest
import requests

from services.intake.service import IntakeService
from shared.platform.principals import ServiceRpcProxy
from tests.conftest import find_free_port
from tests.people import context

O311 = "/open311/v2"
WATER = {"title": "小区停水两天了", "description": "海尔路小区停水，没有通知。我的电话13853212345，邮箱li@example.com",
         "caller_phone": "13853212345", "district": "崂山区", "category": "water-outage",
         "lat": 36.1, "lng": 120.4, "channel": "web"}


@pytest.fixture
def limited_config(service_config):
    def make(**limits):
        service_config["RATE_LIMITS"] = dict({"client": "", "submit": "", "phone": "", "lookup": ""}, **limits)
        return service_config
    return make


def start_intake(container_factory, config, port=None):
    config = dict(config)
    if port:
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{port}"
    container = container_factory(IntakeService, config)
    container.start()
    return container


def test_two_intake_instances_count_one_rate_limit(container_factory, limited_config):
    """The count lives in the store: a per-process count would let twice as many through."""
    config = limited_config(submit="4/minute")
    ports = [find_free_port(), find_free_port()]
    for port in ports:
        start_intake(container_factory, config, port)

    answers = [requests.post(f"http://127.0.0.1:{ports[i % 2]}/tickets",
                             json=dict(WATER, caller_phone=f"1390000000{i}", title=f"停水 {i}"), timeout=10)
               for i in range(8)]

    assert [a.status_code for a in answers].count(201) == 4
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) == 4 and {a.status_code for a in answers} == {201, 429}
    assert all(0 < int(a.headers["Retry-After"]) <= 60 for a in refused)
    assert all("_client" in a.json()["errors"] for a in refused)


def test_one_phone_is_limited_whoever_sends_it(container_factory, limited_config, web_session):
    start_intake(container_factory, limited_config(phone="2/hour"))
    notations = ["13853212345", "+86 138-5321-2345", "138 5321 2345"]
    answers = [web_session.post("/tickets", json=dict(WATER, caller_phone=p, title=f"停水 {i}"))
               for i, p in enumerate(notations)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "caller_phone" in answers[2].json()["errors"] and int(answers[2].headers["Retry-After"]) > 0
    assert web_session.post("/tickets", json=dict(WATER, caller_phone="13912345678")).status_code == 201


def test_a_repeat_learns_its_own_number_never_the_other_citizen_s(start_service, web_session, service_config):
    start_service(IntakeService)
    first = web_session.post("/tickets", json=WATER).json()
    repeat = web_session.post("/tickets", json=dict(WATER, caller_name="王芳", description="海尔路停水，还没来水"))

    assert repeat.status_code == 201
    assert set(repeat.json()) == set(first) and repeat.json()["number"] != first["number"]
    assert first["number"] not in repeat.text
    with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:  # the operator does see the link
        assert intake.get_ticket(repeat.json()["number"])["linked_to"] == first["number"]
    status = web_session.get(f"/tickets/{repeat.json()['number']}",
                             headers={"X-Lookup-Code": repeat.json()["lookup_code"]})
    assert status.status_code == 200 and status.json()["number"] == repeat.json()["number"]
    assert first["number"] not in status.text


def test_a_huge_body_is_refused_before_it_is_read(container_factory, limited_config, web_config_port):
    start_intake(container_factory, limited_config())
    with socket.create_connection(("127.0.0.1", web_config_port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 209715200\r\n\r\n{\"title\": \"")  # 200 MB announced, 11 bytes sent
        answer = sock.recv(4096).decode()
        elapsed = time.monotonic() - started
        assert sock.recv(4096) == b""  # and the connection is closed, not drained
    assert answer.startswith("HTTP/1.1 413")
    assert "Connection: close" in answer and '"_body"' in answer
    print(f"413 for a 200 MB body after {elapsed * 1000:.0f} ms, having read 11 bytes of it")


@pytest.mark.parametrize("path,as_json", [("/tickets", True), (f"{O311}/requests.json", True)])
def test_deep_json_and_bad_encoding_get_400_not_500(start_service, web_session, path, as_json):
    start_service(IntakeService)
    deep = "[" * 1000 + "]" * 1000
    for body in (deep.encode(), b'{"title": "\xff\xfe"}', b'{"title": "' + b'[' * 5000 + b'"}'):
        answer = web_session.post(path, data=body, headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 403), answer.text
        assert "Traceback" not in answer.text and "Error:" not in answer.text


def test_unknown_routes_and_methods_answer_json(start_service, web_session):
    start_service(IntakeService)
    missing = web_session.get(f"{O311}/requests.html")
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("application/json")
    wrong = web_session.delete("/tickets")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"] and wrong.json()["errors"]


# -- Open311 as the spec says -----------------------------------------------------

@pytest.fixture
def open311_key(start_service, service_config):
    start_service(IntakeService)
    with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:
        return intake.create_api_key("city-app")["key"]


def test_every_open311_endpoint_speaks_xml(open311_key, web_session):
    posted = web_session.post(f"{O311}/requests.xml", data={
        "api_key": open311_key, "service_code": "water-outage", "lat": "36.1", "long": "120.4",
        "description": "停水了，联系13853212345"})
    assert posted.status_code == 201 and posted.headers["Content-Type"].startswith("application/xml")
    number = ET.fromstring(posted.content).find("request/service_request_id").text
    for path, root, item in ((f"{O311}/services.xml", "services", "service"),
                             (f"{O311}/services/water-outage.xml", "service_definition", "service_code"),
                             (f"{O311}/requests.xml", "service_requests", "request"),
                             (f"{O311}/requests/{number}.xml", "service_requests", "request"),
                             ("/open311/discovery.xml", "discovery", "endpoints")):
        answer = web_session.get(path)
        assert answer.status_code == 200, path
        doc = ET.fromstring(answer.content)
        assert doc.tag == root and doc.find(item) is not None, path
    shown = ET.fromstring(web_session.get(f"{O311}/requests/{number}.xml").content).find("request/description")
    assert shown.text == "停水了，联系[phone]"
    refused = web_session.post(f"{O311}/requests.xml", data={"service_code": "water-outage", "lat": "1", "long": "1"})
    assert refused.status_code == 403
    assert ET.fromstring(refused.content).find("error/code").text == "403"


def test_open311_ids_override_filters_and_windows_stop_at_90_days(open311_key, web_session):
    number = web_session.post(f"{O311}/requests.json", data={
        "api_key": open311_key, "service_code": "water-outage", "lat": "36.1", "long": "120.4"}).json()[0][
        "service_request_id"]
    by_id = web_session.get(f"{O311}/requests.json", params={
        "service_request_id": number, "status": "closed", "service_code": "heating",
        "start_date": "2001-01-01T00:00:00Z", "end_date": "2001-01-02T00:00:00Z"})
    assert [r["service_request_id"] for r in by_id.json()] == [number]
    too_long = web_session.get(f"{O311}/requests.json", params={
        "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"})
    assert too_long.status_code == 400 and "90 days" in too_long.json()[0]["description"]
    for edge in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00"):
        answer = web_session.get(f"{O311}/requests.json", params={"start_date": edge})
        assert answer.status_code == 400 and answer.json()[0]["code"] == 400, edge


def test_the_public_listing_is_scrubbed_and_descriptions_can_be_switched_off(
        container_factory, service_config, web_session):
    service_config["OPEN311"] = {"descriptions": False}
    start_intake(container_factory, service_config)
    with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:
        number = intake.submit_ticket(dict(WATER, address="海尔路1号 电话0532-88886666"))["number"]
        flat = intake.submit_ticket(dict(WATER, address="海尔路17号3单元502", caller_phone="13953212345",
                                         lat=36.3, lng=120.1, title="楼上漏水"))["number"]
    listed = web_session.get(f"{O311}/requests/{number}.json").json()[0]
    assert listed["description"] is None and listed["address"] == "海尔路1号"
    assert web_session.get(f"{O311}/requests/{flat}.json").json()[0]["address"] == "海尔路17号"
    assert "13853212345" not in json.dumps(listed) and "li@example.com" not in json.dumps(listed)


def test_keys_expire_rotate_and_a_revoked_name_can_come_back(start_service, service_config, web_session):
    start_service(IntakeService)
    post = lambda key: web_session.post(f"{O311}/requests.json", data={  # noqa: E731
        "api_key": key, "service_code": "water-outage", "lat": "36.1", "long": "120.4"}).status_code
    with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:
        first = intake.create_api_key("city-app", 30)
        assert first["expires_at"] > first["expires_at"][:4]  # an ISO date 30 days on
        assert post(first["key"]) == 201
        rotated = intake.rotate_api_key("city-app", 0)
        assert (post(first["key"]), post(rotated["key"])) == (403, 201)
        assert intake.revoke_api_key("city-app") and post(rotated["key"]) == 403
        again = intake.create_api_key("city-app")
        assert post(again["key"]) == 201
        for bad in (float("nan"), float("inf"), -1, 10 ** 9, True, "30"):
            with pytest.raises(Exception, match="expires_in_days"):
                intake.create_api_key("other-app", bad)
        listed = {c["name"]: c for c in intake.list_api_keys()}
        assert len(listed["city-app"]["keys"]) == 3 and "key" not in json.dumps(listed["city-app"]["keys"][0])


def test_in_production_mode_the_container_refuses_to_start(container_factory, service_config):
    container = container_factory(IntakeService, dict(service_config, HOTLINE_ENV="production"))
    with pytest.raises(RuntimeError, match="in-memory store"):  # shared.platform.production or shared.platform.mongo
        container.start()


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_the_georeport_client_reads_every_endpoint(open311_key, web_config_port, output_format):
    """georeport (PyPI), an Open311 client, in both of its modes."""
    from georeport import GeoReport

    root = f"http://127.0.0.1:{web_config_port}{O311}"
    number = requests.post(f"{root}/requests.json", data={
        "api_key": open311_key, "service_code": "heating", "lat": "36.16", "long": "120.42",
        "description": "暖气不热，室温只有十四度，电话13705326789"}, timeout=10).json()[0]["service_request_id"]
    client = GeoReport(root, output_format=output_format)

    services = client.get_service_list()
    assert "heating" in [s["service_code"] for s in services]
    assert client.get_service_definition("heating")["service_code"] == "heating"
    found = client.get_service_requests(service_request_id=number)
    found = found if isinstance(found, list) else [found]  # xmltodict: one element is not a list
    assert [r["service_request_id"] for r in found] == [number]
    one = client.get_service_request(number)
    assert one["status"] == "open" and one["description"] == "暖气不热，室温只有十四度，电话[phone]"
    assert client.get_service_requests(status="open", service_code="heating")


def test_refused_posts_do_not_spend_the_address_s_quota(container_factory, limited_config, web_session):
    """A burst of invalid, unproven or oversized posts from behind a city's NAT must not use up
    the day's submissions of everyone else behind it: only accepted requests count."""
    start_intake(container_factory, limited_config(submit="3/day", client="50/minute"))
    refused = [web_session.post("/tickets", json={"title": ""}) for _ in range(10)]             # 400
    refused += [web_session.post("/tickets", json=dict(WATER, source_system="police-110"))]     # 403
    refused += [web_session.post("/tickets", data=b"{" * 10, headers={"Content-Type": "application/json"})]
    refused += [web_session.get("/tickets/QD-20261202-00001", headers={"X-Lookup-Code": "1"}) for _ in range(3)]
    assert {a.status_code for a in refused} <= {400, 403, 404} and len(refused) == 15

    accepted = [web_session.post("/tickets", json=dict(WATER, caller_phone=f"1390000010{i}", title=f"停水 {i}"))
                for i in range(4)]
    assert [a.status_code for a in accepted] == [201, 201, 201, 429]


def test_a_stranger_s_wrong_codes_slow_the_stranger_not_the_owner(container_factory, limited_config,
                                                                 web_session):
    """Wrong lookup codes from one address make that address wait longer and longer; the citizen
    asking from their own phone with the right code is answered at once."""
    config = limited_config()
    config["HTTP"] = dict(config.get("HTTP") or {}, trusted_proxies=1)
    config["SLOWDOWNS"] = {"lookup": {"free": 5, "base_seconds": 60, "cap_seconds": 3600, "weak_proof_after": 1000}}
    start_intake(container_factory, config)
    receipt = web_session.post("/tickets", json=WATER).json()
    stranger, owner = {"X-Forwarded-For": "198.51.100.66"}, {"X-Forwarded-For": "203.0.113.5"}

    def look(code, client):
        return web_session.get(f"/tickets/{receipt['number']}", headers=dict(client, **{"X-Lookup-Code": code}))

    guesses = [look(f"{i:08d}", stranger) for i in range(12)]
    assert [a.status_code for a in guesses[:6]] == [404] * 6        # the 6th failure starts the wait
    assert {a.status_code for a in guesses[6:]} == {429}
    assert 50 <= int(guesses[6].headers["Retry-After"]) <= 60
    # While waiting, not even the right code is checked from the stranger's address: no oracle.
    assert look(receipt["lookup_code"], stranger).status_code == 429
    # The owner, elsewhere, is not slowed by any of it.
    for _ in range(3):
        answer = look(receipt["lookup_code"], owner)
        assert answer.status_code == 200 and answer.json()["number"] == receipt["number"]
