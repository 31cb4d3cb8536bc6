"""/health, /ready and /metrics of every service, in a container on the real broker."""
import json
import logging
import time

import pytest
from kombu import Connection

from bench.chaos import StoreOutage
from services.callcentre.service import CallcentreService
from services.followup.service import FollowupService
from services.insight.service import InsightService
from services.intake.service import IntakeService
from services.notify.service import NotifyService
from services.routing.service import RoutingService
from shared.contract import events
from shared.platform import logs
from tests.service.receivers import wait_until as wait_for
from tests.service.routing.test_routing_service import created

SERVICES = {"intake": IntakeService, "routing": RoutingService, "followup": FollowupService,
            "notify": NotifyService, "insight": InsightService, "callcentre": CallcentreService}
DEADLINE_SERVICES = {"routing", "followup", "notify"}


def metric(text, name, **labels):
    """The value of one sample in Prometheus text, or None."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        series, value = line.rsplit(" ", 1)
        sample_name, _, rest = series.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if sample_name == name and found == wanted:
            return float(value)
    return None


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_answers_health_ready_and_metrics(name, container_factory, service_config, web_session):
    # The calendar's own test is below: here coverage must not depend on today's date.
    container_factory(SERVICES[name], dict(service_config, READY_CALENDAR_DAYS=0)).start()

    health = web_session.get("/health")
    assert health.status_code == 200 and health.json() == {"service": name, "status": "ok"}

    ready = web_session.get("/ready")
    assert ready.status_code == 200, ready.text
    expected = {"broker", "store", "indexes"} | ({"calendar"} if name in DEADLINE_SERVICES else set())
    assert set(ready.json()["checks"]) == expected
    assert all(check["ok"] for check in ready.json()["checks"].values())

    page = web_session.get("/metrics")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/plain")
    assert metric(page.text, "hotline_ready", check="store") == 1.0
    assert 'target_info{service="%s"}' % name in page.text
    if name == "callcentre":
        assert metric(page.text, "hotline_callcentre_callbacks_open") == 0.0
    backlog = [line for line in page.text.splitlines() if line.startswith("hotline_outbox_backlog")]
    assert backlog if name != "insight" else not backlog  # insight publishes nothing


def test_ready_says_not_ready_while_the_store_is_down_and_ready_after(start_service, web_session):
    start_service(IntakeService)
    assert web_session.get("/ready").status_code == 200
    outage = StoreOutage()
    outage.begin()
    try:
        down = web_session.get("/ready")
        web_session.get("/metrics")
        page = web_session.get("/metrics").text  # a failed source is counted once it has run
    finally:
        outage.end()
    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["store"] == {"ok": False, "error": "AutoReconnect", "ms": checks["store"]["ms"]}
    assert checks["broker"]["ok"]
    assert "injected" not in down.text  # the class of the fault, never its text
    assert metric(page, "hotline_ready", check="store") == 0.0
    assert metric(page, "hotline_metrics_source_errors_total", source="outbox") >= 1
    assert web_session.get("/ready").status_code == 200


def test_ready_names_a_missing_index(start_service, web_session):
    _, repo = start_service(IntakeService)
    repo.tickets.drop_index("received_at_1")
    answer = web_session.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"]["indexes"]["missing"] == ["tickets.received_at_1"]


def test_ready_names_a_queue_the_service_consumes_that_is_gone(start_service, web_session, service_config):
    start_service(InsightService)
    queue = "evt-intake-ticket_created--insight.on_ticket_created"
    with Connection(service_config["AMQP_URI"]) as connection:
        connection.channel().queue_delete(queue)
    answer = web_session.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"]["broker"]["missing"] == [queue]


def test_ready_fails_when_the_calendar_does_not_cover_the_coming_weeks(
        container_factory, service_config, web_session):
    config = dict(service_config, READY_CALENDAR_DAYS=3650)
    container_factory(NotifyService, config).start()
    answer = web_session.get("/ready")
    assert answer.status_code == 503
    calendar = answer.json()["checks"]["calendar"]
    assert not calendar["ok"] and calendar["covered_until"] < calendar["needed_until"]
    page = web_session.get("/metrics").text
    assert metric(page, "hotline_ready", check="calendar") == 0.0
    assert metric(page, "hotline_calendar_coverage_end_timestamp_seconds") > time.time()


def test_metrics_need_the_token_when_one_is_set(container_factory, service_config, web_session):
    container_factory(InsightService, dict(service_config, METRICS_TOKEN="s3cret-token")).start()
    assert web_session.get("/metrics").status_code == 401
    assert web_session.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert web_session.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert web_session.get("/ready").status_code == 200  # probes need no token


def test_metrics_count_what_routing_consumes_publishes_and_dead_letters(
        start_service, web_session, publish, recorder, service_config):
    seen = recorder(("routing", "ticket_assigned"))
    start_service(RoutingService)
    publish("intake", "ticket_created", created(number="QD-20261201-00001", title="暖气不热", category="heating"))
    seen.wait_for("routing", "ticket_assigned")
    publish("intake", "ticket_created", {"event_id": "x", "number": 42})  # breaks the contract
    queue = "evt-intake-ticket_created--routing.on_ticket_created"

    page = wait_for(lambda: (lambda text: text if metric(
        text, "hotline_handler_duration_seconds_count", entrypoint="on_ticket_created", kind="event") == 2
        else None)(web_session.get("/metrics").text))
    assert metric(page, "hotline_messages_consumed_total", queue=queue) == 2
    assert metric(page, "hotline_messages_published_total", exchange="routing.events",
                  routing_key="ticket_assigned") == 1
    assert metric(page, "hotline_messages_dead_lettered_total", queue=queue) == 1
    assert metric(page, "hotline_handler_duration_seconds_count", entrypoint="on_ticket_created",
                  kind="event") == 2
    assert metric(page, "hotline_outbox_backlog", collection="decisions") == 0


def test_a_redelivered_message_is_counted(start_service, web_session, publish, service_config):
    """A transient store fault makes routing requeue the event; its second delivery is counted."""
    start_service(RoutingService)
    outage = StoreOutage()
    outage.begin()
    try:
        publish("intake", "ticket_created", created(number="QD-20261201-00002", category="heating"))
        queue = "evt-intake-ticket_created--routing.on_ticket_created"
        page = wait_for(lambda: (lambda text: text if metric(
            text, "hotline_messages_redelivered_total", queue=queue) else None)(web_session.get("/metrics").text))
    finally:
        outage.end()
    assert metric(page, "hotline_messages_redelivered_total", queue=queue) >= 1
    assert metric(page, "hotline_handler_calls_total", entrypoint="on_ticket_created", kind="event",
                  outcome="error") >= 1


def test_http_requests_are_counted_by_route_and_status(start_service, web_session):
    start_service(IntakeService)
    assert web_session.post("/tickets", data="{not json").status_code == 400
    assert web_session.get("/tickets/QD-20261201-99999", headers={"X-Lookup-Code": "12345678"}).status_code == 404
    page = web_session.get("/metrics").text
    assert metric(page, "hotline_http_requests_total", method="POST", route="/tickets", status="400") == 1
    assert metric(page, "hotline_http_requests_total", method="GET", route="/tickets/<string:number>",
                  status="404") == 1


def test_log_lines_carry_the_ticket_the_event_and_the_call_chain(start_service, publish, recorder):
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("services.routing.service")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        seen = recorder(("routing", "ticket_assigned"))
        start_service(RoutingService)
        event = created(number="QD-20261201-00003", category="heating",
                        description="电话13812345678")
        publish("intake", "ticket_created", event)
        seen.wait_for("routing", "ticket_assigned")
        record = wait_for(lambda: next((r for r in records if "QD-20261201-00003" in r.msg), None))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert (record.service, record.entrypoint, record.ticket, record.event_id) == \
        ("routing", "on_ticket_created", "QD-20261201-00003", event["event_id"])
    assert record.call_id.startswith("routing.on_ticket_created.")
    assert record.call_chain[-1] == record.call_id
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["ticket"] == "QD-20261201-00003" and line["service"] == "routing"
    assert "13812345678" not in json.dumps(line, ensure_ascii=False)


def test_production_refuses_the_in_memory_store(container_factory, service_config):
    container = container_factory(InsightService, dict(service_config, HOTLINE_ENV="production"))
    with pytest.raises(RuntimeError, match="in-memory store"):
        container.start()


def test_an_escalation_is_counted_once_per_step(container_factory, service_config, web_session, publish):
    """notify counts each ladder step it takes (cards, 督办) by level."""
    config = dict(service_config, NOTIFY_TICK_INTERVAL=0.2)
    container_factory(NotifyService, config).start()
    now = events.utcnow()
    publish("routing", "ticket_assigned", events.new_event(
        events.TicketAssigned, number="QD-20261201-00004", department_code="WATER",
        department_name="水务", rule="catalogue", confidence=1.0, time_limit_class="urgent",
        deadline=now - events_delta(hours=1), sign_for_deadline=now - events_delta(hours=2),
        attempt=1, directory_version=1, decided_by="routing", assigned_at=now - events_delta(hours=30)))
    page = wait_for(lambda: (lambda text: text if metric(
        text, "hotline_escalations_total", level="red_card") else None)(web_session.get("/metrics").text))
    assert metric(page, "hotline_escalations_total", level="red_card") == 1
    assert metric(page, "hotline_escalations_total", level="sign_for_reminder") == 1


def events_delta(**kwargs):
    import datetime as dt

    return dt.timedelta(**kwargs)
