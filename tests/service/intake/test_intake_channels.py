"""intake in a container: Open311, AMQP inbound, idempotency, repeats, answers, keys."""
import time
from datetime import timedelta

import pytest
from nameko.exceptions import RemoteError

from examples.submit_over_amqp import MALFORMED, SAMPLE, submit
from services.intake.service import IntakeService
from shared.contract import events
from shared.platform.doors import Doors, Services, door
from shared.platform.messaging import rpc
from shared.platform.principals import ServiceRpcProxy
from tests.conftest import INTAKE_WAITS
from tests.people import context, person
from tests.service.receivers import wait_until

O311 = "/open311/v2"
HEATING = {"service_code": "heating", "description": "李沧区书院路小区暖气不热，室温只有十四度",
           "address_string": "李沧区书院路 88 号", "lat": "36.1600", "long": "120.4200",
           "phone": "13705326789", "first_name": "丽", "last_name": "孙"}
WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。",
         "caller_name": "王芳", "caller_phone": "13853212345", "district": "崂山区"}
WATER_AGAIN = {"title": "海尔路小区还是停水", "description": "从前天停水到现在还没来水，也没有通知",
               "caller_phone": "+86 138 5321 2345", "district": "崂山区", "channel": "wechat"}


@pytest.fixture
def intake(start_service, service_config):
    """The running service's repository and an RPC proxy to it."""
    _, tickets = start_service(IntakeService)
    # as an operator signed in (tests/people.py): answers and unlinks need one
    with ServiceRpcProxy("intake", service_config, context_data=context(person("operator 7"), service_config)) as proxy:
        yield tickets, proxy


@pytest.fixture
def api_key(intake):
    return intake[1].create_api_key("fixmystreet")["key"]


def wait_for(check, timeout=5.0):
    return wait_until(check, timeout)


def assign(publish, number, department="ENERGY", name="市能源局（供热供气）"):
    now = events.utcnow()
    publish("routing", "ticket_assigned", events.new_event(
        events.TicketAssigned, number=number, department_code=department, department_name=name,
        time_limit_class="utilities", deadline=now + timedelta(hours=24),
        sign_for_deadline=now, assigned_at=now, decided_by="routing"))


# -- Open311 ----------------------------------------------------------------

def test_an_open311_client_lists_posts_and_follows_a_request(intake, api_key, web_session, publish):
    services = web_session.get(f"{O311}/services.json").json()
    assert {"service_code": "heating", "type": "realtime", "metadata": False}.items() <= \
        next(s for s in services if s["service_code"] == "heating").items()
    assert web_session.get(f"{O311}/services/heating.json").json() == {"service_code": "heating", "attributes": []}

    posted = web_session.post(f"{O311}/requests.json", data=dict(HEATING, api_key=api_key))  # form-encoded

    assert posted.status_code == 201
    number = posted.json()[0]["service_request_id"]
    request = web_session.get(f"{O311}/requests/{number}.json").json()[0]
    assert request["status"] == "open" and request["agency_responsible"] is None
    assert request["service_code"] == "heating" and request["lat"] == 36.16 and request["long"] == 120.42

    assign(publish, number)
    seen = wait_for(lambda: web_session.get(f"{O311}/requests/{number}.json").json()[0]["agency_responsible"])
    assert seen == "市能源局（供热供气）"
    request = web_session.get(f"{O311}/requests/{number}.json").json()[0]
    assert request["expected_datetime"] > request["requested_datetime"]
    assert request["expected_datetime"].endswith("+08:00")
    listed = web_session.get(f"{O311}/requests.json", params={"service_code": "heating", "status": "open"}).json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert web_session.get(f"{O311}/requests.json", params={"status": "closed"}).json() == []


def test_open311_posts_without_a_valid_key_are_refused(intake, api_key, web_session):
    missing = web_session.post(f"{O311}/requests.json", data=HEATING)
    assert missing.status_code == 403  # the spec: 403 for a missing or bad key
    assert missing.json() == [{"code": 403, "description": "api_key is missing or not valid "
                                                           "(unknown, expired or revoked)"}]
    wrong = web_session.post(f"{O311}/requests.json", data=dict(HEATING, api_key="hk_guess"))
    assert wrong.status_code == 403 and wrong.json() == missing.json()
    intake[1].revoke_api_key("fixmystreet")
    revoked = web_session.post(f"{O311}/requests.json", data=dict(HEATING, api_key=api_key))
    assert revoked.status_code == 403
    assert intake[0].tickets.count_documents({}) == 0


def test_open311_errors_name_the_open311_fields(intake, api_key, web_session):
    unknown = web_session.post(f"{O311}/requests.json", data=dict(HEATING, api_key=api_key, service_code="x"))
    assert unknown.status_code == 404
    bad = web_session.post(f"{O311}/requests.json", json=dict(HEATING, api_key=api_key, phone="12", lat=99))
    assert bad.status_code == 400
    assert {e["description"].split(":")[0] for e in bad.json()} == {"phone", "lat"}
    assert web_session.get(f"{O311}/requests/QD-19990101-00001.json").status_code == 404
    assert web_session.get(f"{O311}/requests.json", params={"start_date": "last week"}).status_code == 400


def test_an_open311_retry_with_the_same_idempotency_key_is_one_request(intake, api_key, web_session):
    headers = {"Idempotency-Key": "7f1c-42"}
    first = web_session.post(f"{O311}/requests.json", json=dict(HEATING, api_key=api_key), headers=headers)
    again = web_session.post(f"{O311}/requests.json", json=dict(HEATING, api_key=api_key), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert intake[0].tickets.count_documents({}) == 1


# -- idempotency and repeats ---------------------------------------------------

def test_the_same_external_id_twice_is_one_ticket(intake, recorder, web_session):
    seen = recorder(("intake", "ticket_created"))
    key = {"X-Api-Key": intake[1].create_api_key("police-110")["key"]}
    body = dict(WATER, source_system="police-110", external_id="110-20261126-0042")
    first = web_session.post("/tickets", json=body, headers=key)
    again = web_session.post("/tickets", json=dict(body, title="changed on retry"), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    time.sleep(0.3)
    assert len(seen.wait_for("intake", "ticket_created")) == 1
    assert intake[0].tickets.count_documents({}) == 1
    # Nobody else may use police-110's ids (and so read its tickets).
    intake[1].create_api_key("city-app")
    assert web_session.post("/tickets", json=body).status_code == 403
    other = web_session.post("/tickets", json=body, headers={"X-Api-Key": intake[1].create_api_key("web")["key"]})
    assert other.status_code == 403 and "police-110" in other.json()["errors"]["source_system"][0]


def test_a_web_form_retry_with_the_same_idempotency_key_is_one_ticket(intake, web_session):
    headers = {"Idempotency-Key": "b7e3a1d2-form-1"}
    first = web_session.post("/tickets", json=WATER, headers=headers)
    again = web_session.post("/tickets", json=WATER, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    # The same key with another request is a mistake, or someone guessing keys to read receipts.
    other = web_session.post("/tickets", json=dict(WATER, caller_phone="15900000000"), headers=headers)
    assert other.status_code == 409 and "lookup_code" not in other.text
    assert intake[0].tickets.count_documents({}) == 1
    assert web_session.post("/tickets", json=WATER, headers={"Idempotency-Key": "x" * 201}).status_code == 400


def test_a_repeat_is_linked_not_dispatched_and_can_be_unlinked(intake, recorder):
    tickets, proxy = intake
    seen = recorder(("intake", "ticket_created"), ("intake", "ticket_linked"))
    master = proxy.submit_ticket(WATER)
    repeat = proxy.submit_ticket(WATER_AGAIN)

    assert repeat["outcome"] == "linked"
    assert repeat["number"] == master["number"] != repeat["received_as"]
    linked = seen.wait_for("intake", "ticket_linked")[0]
    assert linked["linked_to"] == master["number"]
    time.sleep(0.3)
    assert [e["number"] for e in seen.of("intake", "ticket_created")] == [master["number"]]
    assert proxy.get_ticket(master["number"])["linked"] == [repeat["received_as"]]

    unlinked = proxy.unlink_ticket(repeat["received_as"], "operator 7")
    assert unlinked["status"] == "received" and unlinked["linked_to"] is None
    created = seen.wait_for("intake", "ticket_created", count=2)
    assert created[1]["number"] == repeat["received_as"] and created[1]["caller_phone"] == "138****2345"
    with pytest.raises(RemoteError) as info:
        proxy.unlink_ticket(repeat["received_as"])
    assert info.value.exc_type == "ValidationFailed"


def test_repeats_close_with_their_master_and_the_view_follows_the_case(intake, publish, web_session):
    tickets, proxy = intake
    master = proxy.submit_ticket(WATER)["number"]
    repeat = proxy.submit_ticket(WATER_AGAIN)["received_as"]
    now = events.utcnow()
    for event_type, schema, body in [
            ("case_signed_for", events.CaseSignedFor, {"signed_at": now}),
            ("reply_submitted", events.ReplySubmitted, {"text": "已抢修", "replied_at": now}),
            ("reply_approved", events.ReplyApproved, {"text": "已抢修", "approved_at": now}),
            ("case_closed", events.CaseClosed, {"reply": "管道已抢修，当晚恢复供水。", "closed_at": now})]:
        publish("followup", event_type, events.new_event(schema, number=master, department_code="WATER", **body))

    closed = wait_for(lambda: (proxy.get_ticket(repeat)["status"] == "closed") and proxy.get_ticket(repeat))
    assert closed["reply"] == "管道已抢修，当晚恢复供水。"
    view = wait_for(lambda: (proxy.get_ticket(master)["status"] == "closed") and proxy.get_ticket(master))
    assert [h["status"] for h in view["history"]] == ["received", "signed_for", "replied", "reply_approved", "closed"]
    open311 = web_session.get(f"{O311}/requests/{master}.json").json()[0]
    assert open311["status"] == "closed" and open311["status_notes"] == "管道已抢修，当晚恢复供水。"


# -- direct answers, contacts, keys, catalogue -----------------------------------

def test_an_operator_answers_from_the_knowledge_base_without_dispatch(intake, recorder, web_session):
    tickets, proxy = intake
    seen = recorder(("intake", "ticket_created"), ("intake", "ticket_answered"))
    found = proxy.search_knowledge("公积金怎么提取", 3)
    assert found[0]["id"] == "KB-FUND-001"  # from the seed file, loaded at start

    answered = proxy.answer_ticket({"title": "咨询公积金提取", "caller_phone": "13853212345"}, found[0]["id"], "operator 7")

    assert answered["status"] == "answered" and "身份证" in answered["reply"]
    assert seen.wait_for("intake", "ticket_answered")[0]["entry_id"] == "KB-FUND-001"
    time.sleep(0.3)
    assert seen.of("intake", "ticket_created") == []
    assert web_session.get(f"{O311}/requests/{answered['number']}.json").json()[0]["status"] == "closed"
    with pytest.raises(RemoteError):
        proxy.answer_ticket({"title": "咨询"}, "KB-NONE")


def test_knowledge_imports_and_searches_english(intake):
    _, proxy = intake
    assert proxy.import_knowledge([{"id": "KB-T1", "question": "Where do I pay a parking fine?",
                                    "answer": "At any bank or online.", "keywords": "parking; fine"}]) == 1
    assert proxy.search_knowledge("parking fine")[0]["id"] == "KB-T1"
    with pytest.raises(RemoteError):
        proxy.import_knowledge([{"id": "KB-T2", "question": "no answer"}])


def test_notify_can_get_the_citizens_contact_that_events_mask(intake, service_config):
    _, proxy = intake
    number = proxy.submit_ticket(dict(WATER, caller_email="wang@example.cn"))["number"]
    with pytest.raises(RemoteError, match="NotAllowed"):  # staff ask followup, which records the read
        proxy.get_citizen_contact(number)
    with ServiceRpcProxy("intake", service_config, principal="notify") as notify:
        contact = notify.get_citizen_contact(number)
        missing = notify.get_citizen_contact("QD-19990101-00001")
    assert {k: contact[k] for k in ("name", "phone", "email")} == {
        "name": "王芳", "phone": "13853212345", "email": "wang@example.cn"}
    assert contact["lookup_code"].isdigit() and len(contact["lookup_code"]) == 8  # for the receipt SMS
    assert proxy.get_ticket(number)["caller_phone"] == "138****2345"
    assert missing is None


def test_api_keys_are_stored_hashed_and_names_are_unique(intake):
    tickets, proxy = intake
    key = proxy.create_api_key("city-app")["key"]
    stored = tickets.api_keys.find_one({"name": "city-app"})
    assert key not in str(stored) and len(stored["digest"]) == 64
    with pytest.raises(RemoteError):
        proxy.create_api_key("city-app")
    assert proxy.revoke_api_key("city-app") is True
    assert proxy.revoke_api_key("city-app") is False
    assert [k["name"] for k in proxy.list_api_keys()] == ["city-app"]


class FakeRouting:
    name = "routing"
    doors = Doors()

    @door(Services("intake"))
    @rpc
    def get_catalogue(self):
        return [{"code": "pothole", "name": "Pothole", "description": "A hole in the road", "group": "streets",
                 "keywords": ["pothole", "road"], "department": "TRANSPORT", "class": "general"}]


def test_the_catalogue_comes_from_routing_or_else_the_directory_file(container_factory, service_config):
    container = container_factory(IntakeService, service_config)
    container.start()
    with ServiceRpcProxy("intake", service_config, context_data=context()) as proxy:
        fallback = proxy.list_services()
        assert fallback["source"] == "directory file" and "heating" in {s["code"] for s in fallback["services"]}

    routing = container_factory(FakeRouting, service_config)
    routing.start()
    fresh = container_factory(IntakeService, dict(service_config, MONGO_URI=service_config["MONGO_URI"] + "-2",
                                                  INTAKE=dict(service_config["INTAKE"], **INTAKE_WAITS)))
    container.stop()
    fresh.start()
    with ServiceRpcProxy("intake", service_config, context_data=context()) as proxy:
        listed = proxy.list_services()
        assert listed["source"] == "routing" and [s["code"] for s in listed["services"]] == ["pothole"]
        with pytest.raises(RemoteError):  # categories are the catalogue's
            proxy.submit_ticket(dict(WATER, category="heating"))


# -- AMQP inbound ------------------------------------------------------------------

def test_another_system_submits_over_plain_amqp_and_gets_receipts(intake, rabbit_config, dead_letters):
    tickets, proxy = intake
    key = proxy.create_api_key("city-app")["key"]
    url = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)  # kombu's name for it; pika's

    good = submit(url, dict(SAMPLE, source_system="city-app", external_id="APP-1", api_key=key), "city-app")
    assert good["accepted"] is True and good["outcome"] == "created" and good["number"].startswith("QD-")
    again = submit(url, dict(SAMPLE, source_system="city-app", external_id="APP-1", api_key=key), "city-app")
    assert again["outcome"] == "existing" and again["number"] == good["number"]

    bad = submit(url, dict(MALFORMED, source_system="city-app", external_id="APP-2", api_key=key), "city-app")
    assert bad["accepted"] is False
    assert {"title", "caller_phone", "urgency", "lat"} <= set(bad["errors"])
    letter = dead_letters(1)[0]
    assert letter["origin"] == "inbound.ticket_submit" and "title" in letter["reason"]
    assert letter["payload"]["external_id"] == "APP-2" and letter["payload"]["api_key"] == "***"

    assert submit(url, b"\xff not json", "city-app", timeout=1) is None  # no one to answer...
    assert "not UTF-8" in dead_letters(1)[0]["reason"]                     # ...but not lost
    no_key = submit(url, dict(SAMPLE, source_system="city-app", external_id="APP-3"), "city-app")
    assert no_key["errors"] == {"api_key": ["missing, unknown, expired or revoked: ask the hotline for a key"]}
    in_header = submit(url, dict(SAMPLE, source_system="city-app", external_id="APP-4", title="路灯又坏了",
                                 caller_phone="13906390000"), "city-app", headers={"api_key": key})
    assert in_header["accepted"] and in_header["outcome"] == "created"
    proxy.create_api_key("police-110")
    spoofed = submit(url, dict(SAMPLE, source_system="police-110", external_id="APP-1", api_key=key), "police-110")
    assert "source_system" in spoofed["errors"]

    # Without the user_id property intake cannot tell who published: a dead letter, no receipt,
    # and an unparseable body's key is redacted in it by pattern.
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    confirmed = connection.channel()
    confirmed.confirm_delivery()  # else a quorum queue may drop it as the connection closes
    confirmed.basic_publish("hotline.inbound", "ticket.submit",
                                       ('{"source_system": "city-app", "api_key": "%s", ' % key).encode())
    connection.close()
    letter = dead_letters(3)[-1]  # after the missing key's and the spoofed name's
    assert "no known source" in letter["reason"] and key[3:] not in str(letter)
    assert proxy.ping() == "intake"
    assert tickets.tickets.count_documents({}) == 2


# -- the door's checks, over HTTP ---------------------------------------------

def test_the_http_door_records_a_web_request_and_refuses_what_is_not_one(intake, web_session, api_key):
    tickets, _ = intake
    body = {"title": "路灯不亮", "district": "市南区"}
    made = web_session.post("/tickets", json=body)
    assert made.status_code == 201
    assert tickets.get(made.json()["number"])["channel"] == "web"  # not a phone call

    refused = web_session.post("/tickets", json=dict(body, channel="phone"))
    assert refused.status_code == 400 and "operators" in refused.json()["errors"]["channel"][0]
    blank = web_session.post("/tickets", json=dict(body, title="   "))
    assert blank.status_code == 400 and "blank" in blank.json()["errors"]["title"][0]
    fake = web_session.post("/tickets", json=dict(body, caller_phone="00000000000"))
    assert fake.status_code == 400 and "caller_phone" in fake.json()["errors"]

    gbk = '{"title": "小区停水两天了", "district": "崂山区"}'.encode("gbk")
    undecoded = web_session.post("/tickets", data=gbk, headers={"Content-Type": "application/json"})
    assert undecoded.status_code == 400 and "UTF-8" in undecoded.json()["errors"]["_body"][0]
    assert "Traceback" not in undecoded.text

    # Open311's form body: each value is decoded strictly (werkzeug would half-decode GBK).
    from urllib.parse import quote_from_bytes

    form = (f"service_code=heating&api_key={api_key}&address_string=x&description="
            + quote_from_bytes("暖气不热".encode("gbk")))
    posted = web_session.post(f"{O311}/requests.json", data=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 400 and "not UTF-8" in str(posted.json())
    assert tickets.tickets.count_documents({}) == 1  # only the web request was stored


# -- the request type, at every door -------------------------------------------

def test_every_door_takes_the_request_type_and_ticket_created_carries_it(
        intake, api_key, web_session, recorder, rabbit_config):
    tickets, proxy = intake
    seen = recorder(("intake", "ticket_created"))
    posted = web_session.post(f"{O311}/requests.json", data=dict(HEATING, api_key=api_key,
                                                                  **{"attribute[request_type]": "投诉"}))
    assert posted.status_code == 201
    bad = web_session.post(f"{O311}/requests.json", data=dict(HEATING, api_key=api_key, phone="13705326700",
                                                               **{"attribute[request_type]": "抱怨"}))
    assert bad.status_code == 400
    assert bad.json()[0]["description"].startswith("attribute[request_type]: Must be one of: consultation")

    web = web_session.post("/tickets", json=dict(WATER, request_type="consultation"))
    assert web.status_code == 201
    refused = web_session.post("/tickets", json=dict(WATER, caller_phone="13853200000", request_type="grumble"))
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"request_type"}

    by_phone = proxy.submit_ticket(dict(WATER_AGAIN, title="表扬供水抢修队", caller_phone="13953200001",
                                        request_type="表扬", channel="phone"))
    key = proxy.create_api_key("city-app")["key"]
    url = rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    amqp = submit(url, dict(SAMPLE, source_system="city-app", external_id="APP-T", api_key=key,
                            request_type="suggestion"), "city-app")
    assert amqp["accepted"] is True

    created = {e["number"]: e for e in seen.wait_for("intake", "ticket_created", count=4)}
    assert sorted(e["request_type"] for e in created.values()) == ["complaint", "consultation", "praise",
                                                                   "suggestion"]
    assert created[by_phone["number"]]["request_type"] == "praise"
    stored = tickets.tickets.find_one({"number": posted.json()[0]["service_request_id"]})
    assert stored["request_type"] == "complaint"
    assert tickets.tickets.count_documents({}) == 4
