"""intake in a container: an operator hands a caller to another line over RPC, and a source
system is told each step of its ticket once, redeliveries included, on its receipts key."""
import json
import time
from datetime import timedelta

import pika
import pytest
from nameko.exceptions import RemoteError

from services.intake.service import IntakeService
from shared.contract import events
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person
from tests.service.receivers import wait_until

FIRE = {"title": "饭店后厨着火了", "description": "烟很大，有人被困，电话13853212345",
        "caller_name": "王芳", "caller_phone": "13853212345", "district": "崂山区",
        "call_id": "1764921600.42", "recording_url": "https://pbx.example.cn/rec/1764921600.42.mp3"}
WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水",
         "caller_name": "刘洋", "caller_phone": "13906391234", "district": "崂山区"}


@pytest.fixture
def intake(start_service, service_config):
    service_config["TRANSFERS"] = dict(service_config.get("TRANSFERS") or {}, lines=[
        {"code": "119", "name": "消防救援", "name_en": "Fire and rescue", "source_system": "fire-119"},
        {"code": "12315", "name": "市场监管", "name_en": "Market regulation"}])
    _, tickets = start_service(IntakeService)
    with ServiceRpcProxy("intake", service_config, context_data=context(person("operator 7"), service_config)) as proxy:
        yield tickets, proxy


class Receipts:
    """A queue bound to ``ticket.receipt.<source>``, read as a plain AMQP client reads it."""

    def __init__(self, url, source):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("hotline.inbound", exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(self.queue, "hotline.inbound", routing_key=f"ticket.receipt.{source}")
        self.seen = []

    def drain(self):
        while True:
            method, _, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.seen
            self.seen.append(json.loads(body))

    def kinds(self):
        return [r.get("kind") for r in self.drain() if "kind" in r]

    def close(self):
        self.connection.close()


@pytest.fixture
def receipts(rabbit_config):
    opened = []

    def open_for(source):
        opened.append(Receipts(rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1), source))
        return opened[-1]
    yield open_for
    for each in opened:
        each.close()


def test_an_operator_hands_a_caller_to_119_over_rpc(intake, recorder, receipts, web_session):
    tickets, proxy = intake
    to_119 = receipts("fire-119")
    seen = recorder(("intake", "ticket_created"), ("intake", "ticket_transferred"))
    assert proxy.emergency_words(FIRE["title"])["line"]["code"] == "119"
    assert [line["code"] for line in proxy.transfer_lines()] == ["119", "12315"]

    shown = proxy.transfer_ticket(FIRE, "119", "着火，有人被困", "F-118-7", "k-fire")
    again = proxy.transfer_ticket(FIRE, "119", "着火，有人被困", "F-118-7", "k-fire")  # the form sent twice

    assert shown["outcome"] == "transferred" and again["outcome"] == "existing"
    event = seen.wait_for("intake", "ticket_transferred")[0]
    assert event["line"] == "119" and event["reference"] == "F-118-7" and event["transferred_by"] == "operator 7"
    assert event["call_id"] == FIRE["call_id"] and "13853212345" not in json.dumps(event, ensure_ascii=False)
    told = wait_until(lambda: to_119.kinds(), what="the transfer's receipt")
    assert told == ["transferred"]
    receipt = to_119.seen[0]
    assert receipt["number"] == shown["received_as"] and receipt["external_id"] == "F-118-7"
    assert "13853212345" not in json.dumps(receipt, ensure_ascii=False) and "王芳" not in str(receipt)

    view = proxy.get_ticket(shown["received_as"])
    assert view["status"] == "transferred" and view["transfer"]["line"] == "119"
    assert view["recording_url"] == FIRE["recording_url"]
    served = web_session.get(f"/open311/v2/requests/{shown['received_as']}.json").json()[0]
    assert served["status"] == "closed" and FIRE["recording_url"] not in json.dumps(served)

    with pytest.raises(RemoteError) as refused:
        proxy.transfer_ticket(FIRE, "999", "着火")
    assert refused.value.exc_type == "ValidationFailed" and "line" in str(refused.value)
    time.sleep(0.3)  # anything more would have been published by now
    assert seen.of("intake", "ticket_created") == [] and len(seen.of("intake", "ticket_transferred")) == 1
    assert to_119.kinds() == ["transferred"]  # still one


def test_a_source_is_told_each_step_once_redeliveries_included(intake, publish, receipts):
    tickets, proxy = intake
    to_app = receipts("city-app")
    submitted = proxy.submit_ticket(dict(WATER, source_system="city-app", external_id="APP-9", channel="system"))
    number = submitted["received_as"]
    now = events.utcnow()
    assigned = events.new_event(events.TicketAssigned, number=number, department_code="WATER",
                                department_name="市水务管理局", time_limit_class="general",
                                deadline=now + timedelta(days=7), sign_for_deadline=now + timedelta(days=1),
                                assigned_at=now, decided_by="routing")
    approved = events.new_event(events.ReplyApproved, number=number, department_code="WATER",
                                text="已恢复供水", approved_at=now + timedelta(hours=5))
    closed = events.new_event(events.CaseClosed, number=number, department_code="WATER", reply="已恢复供水",
                              closed_at=now + timedelta(hours=8), outcome="resolved")
    publish("routing", "ticket_assigned", assigned)
    publish("routing", "ticket_assigned", assigned)  # redelivered: the same event_id
    wait_until(lambda: "dispatched" in to_app.kinds(), what="dispatched")
    for source, kind, payload in (("followup", "reply_approved", approved), ("followup", "case_closed", closed)):
        publish(source, kind, payload)
        publish(source, kind, payload)
    wait_until(lambda: "closed" in to_app.kinds(), what="closed")
    wait_until(lambda: "replied" in to_app.kinds(), what="replied")
    time.sleep(0.5)  # the second copies are handled by now
    assert sorted(to_app.kinds()) == ["closed", "dispatched", "replied"]
    by_kind = {r["kind"]: r for r in to_app.seen if "kind" in r}
    assert by_kind["dispatched"]["department"] == {"code": "WATER", "name": "市水务管理局"}
    assert by_kind["replied"]["reply"] == "已恢复供水" and by_kind["closed"]["outcome"] == "resolved"
    assert {r["external_id"] for r in by_kind.values()} == {"APP-9"}
    assert "13906391234" not in json.dumps(to_app.seen) and "刘洋" not in json.dumps(to_app.seen, ensure_ascii=False)
