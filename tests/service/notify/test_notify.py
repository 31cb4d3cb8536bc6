"""notify in containers against the real broker, a real SMTP server and a webhook server.

Time is moved with notify's RPC ``set_clock_offset``; events are published as
routing and followup would publish them.
"""
import copy
import datetime as dt

import pytest
from click.testing import CliRunner

from hotline.cli import main as hotline
from services.notify.adapters.channels import SIGNATURE_HEADER, verify
from services.notify.bootstrap import ladder_from_config
from services.notify.service import NotifyService
from shared.contract import events
from shared.platform.config import city_zone
from shared.platform.doors import Doors, Services, door
from shared.platform.messaging import rpc
from shared.platform.principals import ServiceRpcProxy
from shared.timelimits.calendar import calendar_from_config
from tests.people import context
from tests.service.conftest import settle
from tests.service.receivers import SmtpServer, WebhookServer, wait_until

SECRET = "webhook-test-secret"
LEVELS = ("department_head", "supervising_office", "city_leadership")
LADDER = ["sign_for_reminder", "yellow_card", "red_card",
          "supervision_1", "supervision_2", "supervision_3"]


class CitizenDirectory:
    """Stands in for intake's ``get_citizen_contact``."""

    name = "intake"
    doors = Doors()
    contacts = {}

    @door(Services("notify"))
    @rpc
    def get_citizen_contact(self, number):
        return self.contacts.get(number)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhooks():
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def notify_config(service_config, smtp, webhooks, routing_directory):
    config = copy.deepcopy(service_config)
    config.update(NOTIFY_TICK_INTERVAL=0.1, NOTIFY_DELIVERY_INTERVAL=0.1, HOTLINE_DEMO="1")
    levels = [{"code": code, "name": code, "name_en": code, "email": f"level{i}@city.test",
               "webhook": webhooks.url(f"/level{i}")} for i, code in enumerate(LEVELS, 1)]
    config["NOTIFY"] = {
        "language": "zh", "hotline": "12345",
        "ladder": {"supervision_every_working_days": 2, "rejection_limit": 3,
                   "rejection_level": 2, "levels": levels},
        "contacts": {"default": {"email": "dept@city.test", "webhook": webhooks.url("/dept")},
                     "HRSS": {"email": "hrss@city.test", "webhook": webhooks.url("/flaky")},
                     "WATER": {"email": "water@city.test", "webhook": webhooks.url("/down")}},
        "smtp": {"host": "127.0.0.1", "port": smtp.port, "sender": "12345@city.test"},
        "webhook": {"secret": SECRET, "timeout": 5},
        "sms": {"gateway_url": webhooks.url("/sms"), "secret": SECRET},
        "delivery": {"max_attempts": 3, "backoff_seconds": 0.2, "backoff_max_seconds": 1,
                     "lease_seconds": 30, "contact_timeout_seconds": 2},
    }
    return config


@pytest.fixture
def notify_rpc(notify_config):
    with ServiceRpcProxy("notify", notify_config, context_data=context()) as proxy:
        yield proxy


def open_case(publish, number, department="ENVIRONMENT", hours_to_sign=1, days_to_reply=7):
    now = events.utcnow()
    event = events.new_event(
        events.CaseOpened, number=number, department_code=department, opened_at=now,
        sign_for_deadline=now + dt.timedelta(hours=hours_to_sign),
        deadline=now + dt.timedelta(days=days_to_reply))
    publish("followup", "case_opened", event)
    return event


def ladder_of(config, case):
    """When each step falls due for ``case`` (the unit tests check these times)."""
    ladder = ladder_from_config(config, calendar_from_config(config), city_zone(config))
    watch = {"state": "watching", "deadline": dt.datetime.fromisoformat(case["deadline"]),
             "sign_for_deadline": dt.datetime.fromisoformat(case["sign_for_deadline"]),
             "dispatched_at": dt.datetime.fromisoformat(case["opened_at"])}
    return {step.name: step.at for step in ladder.steps(watch)}


def move_clock_to(notify_rpc, moment):
    notify_rpc.set_clock_offset((moment - events.utcnow()).total_seconds() + 60)


def step_of(message):
    """``QD-..:1:red_card:department:email`` -> ``red_card``; ``QD-..:new_case:1:...`` -> ``new_case``."""
    parts = message["X-Hotline-Notification"].split(":")
    return parts[2] if parts[1].isdigit() else parts[1]


def signed_documents(webhooks, path):
    documents = []
    for headers, body in webhooks.received(path):
        assert verify(SECRET, body, headers[SIGNATURE_HEADER]), "bad webhook signature"
        documents.append(body)
    return webhooks.documents(path)


def test_the_whole_ladder_arrives_once_in_order(container_factory, notify_config, notify_rpc,
                                                 recorder, publish, smtp, webhooks):
    escalated = recorder(("notify", "ticket_escalated"))
    CitizenDirectory.contacts = {"QD-L": {"name": "李女士", "phone": None, "email": "li@mail.test"}}
    container_factory(CitizenDirectory, notify_config).start()
    container_factory(NotifyService, notify_config).start()
    case = open_case(publish, "QD-L")
    due = ladder_of(notify_config, case)
    assert list(due) == LADDER

    receipt = wait_until(lambda: smtp.to("li@mail.test"), what="the citizen's receipt")
    assert "QD-L" in receipt[0]["Subject"] and "市生态环境局" in receipt[0].get_content()

    # the department hears of its new case at once, by email and webhook
    wait_until(lambda: len(smtp.to("dept@city.test")) == 1, what="the new case by email")
    [new_case] = smtp.to("dept@city.test")
    assert step_of(new_case) == "new_case" and "QD-L" in new_case["Subject"]
    assert new_case["Date"] and new_case["Message-ID"].endswith("@city.test>")
    for count, step in enumerate(LADDER, 2):
        move_clock_to(notify_rpc, due[step])
        wait_until(lambda count=count: len(smtp.to("dept@city.test")) == count, what=f"{step} by email")
        wait_until(lambda count=count: len(webhooks.received("/dept")) == count, what=f"{step} by webhook")
        if step.startswith("supervision_"):
            level = step.split("_")[1]
            wait_until(lambda level=level: smtp.to(f"level{level}@city.test"), what=f"{step} to its level")
            wait_until(lambda level=level: webhooks.received(f"/level{level}"), what=f"{step} webhook to level")
    escalated.wait_for("notify", "ticket_escalated", count=len(LADDER))
    settle(1.0)  # ten more ticks: nothing is sent twice

    assert [step_of(m) for m in smtp.to("dept@city.test")] == ["new_case", *LADDER]
    assert [d["template"] for d in signed_documents(webhooks, "/dept")] == [
        "new_case", "sign_for_reminder", "yellow_card", "red_card", "supervision", "supervision",
        "supervision"]
    for level in (1, 2, 3):
        assert [step_of(m) for m in smtp.to(f"level{level}@city.test")] == [f"supervision_{level}"]
        [order] = signed_documents(webhooks, f"/level{level}")
        assert order["level"] == level and "督办" in order["subject"]
    assert [e["level"] for e in escalated.of("notify", "ticket_escalated")] == LADDER
    assert len(smtp.messages) == 1 + 7 + 3  # receipt, new case and six steps, one per level
    log = notify_rpc.list_notifications("QD-L")
    assert {n["status"] for n in log} == {"sent"} and {n["attempts"] for n in log} == {1}


def test_two_notify_instances_send_everything_once(container_factory, notify_config, notify_rpc,
                                                  recorder, publish, smtp, webhooks):
    """Two containers share one broker and one store (``memory://<name>``: one per process)."""
    escalated = recorder(("notify", "ticket_escalated"))
    CitizenDirectory.contacts = {f"QD-T{i}": {"name": "王先生", "phone": None,
                                             "email": f"citizen{i}@mail.test"} for i in range(3)}
    container_factory(CitizenDirectory, notify_config).start()
    for _ in range(2):
        container_factory(NotifyService, notify_config).start()
    cases = [open_case(publish, f"QD-T{i}") for i in range(3)]
    wait_until(lambda: len(notify_rpc.list_notifications()) == 3 * 3,
               what="three receipts and three new-case notices (email, webhook) queued")
    move_clock_to(notify_rpc, ladder_of(notify_config, cases[-1])["supervision_3"])

    expected = 3 * (1 + 7 + 3)  # per case: receipt, new case and six steps, three levels
    wait_until(lambda: len(smtp.messages) >= expected, timeout=20, what="every email")
    escalated.wait_for("notify", "ticket_escalated", count=3 * 6)
    settle(1.0)

    keys = smtp.header("X-Hotline-Notification")
    assert len(keys) == len(set(keys)) == expected
    deliveries = [headers["X-Hotline-Delivery"] for _, headers, _, _ in webhooks.requests]
    assert len(deliveries) == len(set(deliveries)) == 3 * (7 + 3)
    steps = [(e["number"], e["level"]) for e in escalated.of("notify", "ticket_escalated")]
    assert len(steps) == len(set(steps)) == 18


def test_a_flaky_webhook_gets_it_on_the_third_try_and_a_dead_one_fails(
        container_factory, notify_config, notify_rpc, recorder, publish, smtp, webhooks):
    escalated = recorder(("notify", "ticket_escalated"))
    webhooks.fail_first("/flaky", 2)
    webhooks.always_fail("/down")
    container_factory(NotifyService, notify_config).start()  # and no intake at all
    flaky = open_case(publish, "QD-F", department="HRSS")
    down = open_case(publish, "QD-D", department="WATER")
    # the new-case notice is the first to meet them
    wait_until(lambda: webhooks.received("/flaky"), what="the flaky webhook's third try")
    [(headers, body)] = webhooks.received("/flaky")
    assert verify(SECRET, body, headers[SIGNATURE_HEADER])
    assert len(webhooks.received("/flaky", accepted_only=False)) == 3
    [new_case] = [n for n in notify_rpc.list_notifications("QD-F") if n["channel"] == "webhook"]
    assert (new_case["template"], new_case["status"], new_case["attempts"]) == ("new_case", "sent", 3)

    def failed_webhooks():
        return [n for n in notify_rpc.list_notifications("QD-D", True) if n["channel"] == "webhook"]
    [dead] = wait_until(failed_webhooks, what="the dead webhook given up")
    assert dead["attempts"] == 3 and "HTTP 500" in dead["last_error"]
    assert len(webhooks.received("/down", accepted_only=False)) == 3

    move_clock_to(notify_rpc, ladder_of(notify_config, flaky)["sign_for_reminder"])
    wait_until(lambda: len(webhooks.received("/flaky")) == 2, what="the reminder at once")

    # The ladder goes on regardless: the red card reaches both by email.
    move_clock_to(notify_rpc, ladder_of(notify_config, down)["red_card"])
    wait_until(lambda: "red_card" in [step_of(m) for m in smtp.to("water@city.test")],
               what="the red card by email")
    assert {"sign_for_reminder", "yellow_card", "red_card"} <= {
        e["level"] for e in escalated.of("notify", "ticket_escalated") if e["number"] == "QD-D"}

    # Without intake the citizen's receipt cannot be addressed: retried, then failed.
    wait_until(lambda: [n for n in notify_rpc.list_notifications("QD-F", True)
                        if n["template"] == "receipt"], what="the receipt given up")

    runner = CliRunner()
    env = {"AMQP_URI": notify_config["AMQP_URI"]}
    shown = runner.invoke(hotline, ["notifications", "--ticket", "QD-D", "--failed"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "failed" in shown.output and "HTTP 500" in shown.output
    assert "sent" not in shown.output and "QD-F" not in shown.output
    everything = runner.invoke(hotline, ["notifications", "--ticket", "QD-F"], env=env)
    assert "yellow_card" in everything.output and "sent" in everything.output


def test_citizens_get_no_sms_at_night(container_factory, notify_config, notify_rpc, publish,
                                     webhooks):
    CitizenDirectory.contacts = {"QD-N": {"name": "赵先生", "phone": "13853212345", "email": None}}
    container_factory(CitizenDirectory, notify_config).start()
    zone = city_zone(notify_config)
    today = events.utcnow().astimezone(zone).date()
    night = dt.datetime.combine(today, dt.time(23, 0), tzinfo=zone)
    container_factory(NotifyService, notify_config).start()
    move_clock_to(notify_rpc, night)  # 23:00 + one minute
    open_case(publish, "QD-N")

    def waiting():
        return [n for n in notify_rpc.list_notifications("QD-N")
                if n["template"] == "receipt" and "quiet hours" in (n["last_error"] or "")]
    wait_until(waiting, what="the receipt waiting for morning")
    settle(0.5)
    assert webhooks.received("/sms") == []

    move_clock_to(notify_rpc, night + dt.timedelta(hours=9))  # 08:00 next morning
    [sms] = wait_until(lambda: webhooks.documents("/sms"), what="the morning SMS")
    assert sms["to"] == "13853212345" and "QD-N" in sms["text"]
    [receipt] = [n for n in notify_rpc.list_notifications("QD-N") if n["template"] == "receipt"]
    assert (receipt["status"], receipt["channel"], receipt["attempts"]) == ("sent", "sms", 1)


def followup_event(schema, **body):
    return events.new_event(schema, department_code="ENVIRONMENT", **body)


def test_the_watch_follows_the_case_and_survives_a_restart(container_factory, notify_config,
                                                          notify_rpc, recorder, publish, smtp):
    escalated = recorder(("notify", "ticket_escalated"))
    CitizenDirectory.contacts = {"QD-C": {"name": "陈女士", "phone": None, "email": "chen@mail.test"}}
    container_factory(CitizenDirectory, notify_config).start()
    notify = container_factory(NotifyService, notify_config)
    notify.start()
    case = open_case(publish, "QD-C")
    due = ladder_of(notify_config, case)
    now = events.utcnow()
    publish("followup", "case_signed_for", followup_event(events.CaseSignedFor, number="QD-C",
                                                          signed_at=now))
    wait_until(lambda: (notify_rpc.get_watch("QD-C") or {}).get("signed_for"), what="signed for")  # no watch yet: None
    move_clock_to(notify_rpc, due["yellow_card"])  # past the sign-for deadline too
    wait_until(lambda: len(smtp.to("dept@city.test")) == 2, what="the yellow card")
    assert [step_of(m) for m in smtp.to("dept@city.test")] == ["new_case", "yellow_card"]  # no reminder

    # A reply, sent back three times: a supervision order to the supervising office.
    publish("followup", "reply_submitted", followup_event(events.ReplySubmitted, number="QD-C",
                                                          text="已处理", replied_at=now))
    for count in (1, 2, 3):
        publish("followup", "reply_rejected", followup_event(
            events.ReplyRejected, number="QD-C", reason="答非所问", rejection_count=count,
            rejected_at=now))
    [order] = wait_until(lambda: smtp.to("level2@city.test"), what="the rejections order")
    assert step_of(order) == "rejections" and "3" in order.get_content()
    # the department is told each time its reply is sent back, and why
    sent_back = wait_until(lambda: [m for m in smtp.to("dept@city.test") if step_of(m) == "rejected"]
                           if len([m for m in smtp.to("dept@city.test") if step_of(m) == "rejected"]) == 3
                           else None, what="three sent-back notices")
    assert all("答非所问" in m.get_content() for m in sent_back)

    # Restart notify: what was sent stays sent.
    notify.stop()
    container_factory(NotifyService, notify_config).start()
    publish("followup", "reply_approved", followup_event(events.ReplyApproved, number="QD-C",
                                                         text="管道已修复", approved_at=now))
    reply = wait_until(lambda: [m for m in smtp.to("chen@mail.test") if "管道已修复" in m.get_content()],
                       what="the reply to the citizen")
    assert "QD-C" in reply[0]["Subject"]
    publish("followup", "callback_recorded", followup_event(
        events.CallbackRecorded, number="QD-C", reached=True, resolved=True,
        satisfaction="satisfied", recorded_at=now))
    wait_until(lambda: [m for m in smtp.to("dept@city.test") if "满意" in m.get_content()],
               what="the callback's outcome to the department")
    publish("followup", "case_closed", followup_event(events.CaseClosed, number="QD-C",
                                                      closed_at=now))
    wait_until(lambda: notify_rpc.get_watch("QD-C")["state"] == "closed", what="closed")
    move_clock_to(notify_rpc, due["supervision_3"])
    settle(1.0)

    to_department = smtp.to("dept@city.test")
    assert [step_of(m) for m in to_department if ":callback:" not in m["X-Hotline-Notification"]
            and step_of(m) != "rejected"] == ["new_case", "yellow_card", "rejections"]
    assert len([m for m in to_department if ":callback:" in m["X-Hotline-Notification"]]) == 1
    assert [e["level"] for e in escalated.of("notify", "ticket_escalated")] == [
        "yellow_card", "rejections"]
    assert len(smtp.to("chen@mail.test")) == 2  # the receipt and the reply, once each
    keys = smtp.header("X-Hotline-Notification")
    assert len(keys) == len(set(keys))


def test_a_unit_hears_its_knowledge_entry_was_sent_back_once(container_factory, notify_config, notify_rpc,
                                                             publish, smtp):
    container_factory(NotifyService, notify_config).start()
    decided = events.new_event(events.KnowledgeEntryDecided, entry_id="KB-ABC", department_code="HRSS",
                               version=2, outcome="rejected", reason="电话号码不对", question="社保卡怎么补办？",
                               decided_by="审核员老李", decided_at=events.utcnow())
    publish("intake", "knowledge_entry_decided", decided)
    publish("intake", "knowledge_entry_decided", decided)  # redelivered: nothing new
    [mail] = wait_until(lambda: [m for m in smtp.messages if "KB-ABC" in m["Subject"]], what="the unit's mail")
    assert mail["To"] == "hrss@city.test" and "电话号码不对" in mail.get_content()
    settle(0.5)
    assert [n["template"] for n in notify_rpc.list_notifications("KB-ABC")] == ["knowledge_decided"] * 2  # mail, webhook
