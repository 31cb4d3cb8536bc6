"""insight in a container against the real broker: it learns from events
once each, dead-letters what breaks the contract, and imports history."""
import datetime as dt

from hotline.insight_history import generate
from services.insight.service import InsightService
from shared.contract import events
from tests.people import signed_hook
from tests.service.conftest import settle

NUMBER = "QD-20261126-00042"


def created():
    return events.new_event(
        events.TicketCreated, number=NUMBER, title="楼道里电动自行车飞线充电",
        description="市北区台东一路小区有人从窗户飞线充电，存在火灾隐患。", category="safety-hazard",
        district="市北区", urgency="normal", channel="wechat", received_at=events.utcnow(),
        request_type="help")


def assigned():
    now = events.utcnow()
    return events.new_event(
        events.TicketAssigned, number=NUMBER, department_code="EMERGENCY_MGMT",
        department_name="市应急管理局", time_limit_class="emergency", deadline=now,
        sign_for_deadline=now, assigned_at=now, decided_by="routing", request_type="report")


def rejected():
    return events.new_event(events.ReplyRejected, number=NUMBER, department_code="EMERGENCY_MGMT",
                            reason="答非所问", rejection_count=1, rejected_at=events.utcnow())


def callback():
    return events.new_event(events.CallbackRecorded, number=NUMBER, department_code="EMERGENCY_MGMT",
                            reached=True, resolved=False, satisfaction="dissatisfied",
                            recorded_at=events.utcnow())


def wait_for(repository, predicate, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = repository.get(NUMBER)
        if doc and predicate(doc):
            return doc
        time.sleep(0.05)
    raise AssertionError(f"the read model never got there: {repository.get(NUMBER)}")


def test_insight_learns_a_request_from_the_events_once_each(start_service, publish):
    _, repository = start_service(InsightService)
    event = rejected()
    # followup's event may arrive before intake's: the request is stored either way
    publish("followup", "reply_rejected", event)
    publish("intake", "ticket_created", created())
    publish("routing", "ticket_assigned", assigned())
    publish("followup", "callback_recorded", callback())
    publish("followup", "reply_rejected", event)  # redelivered

    doc = wait_for(repository, lambda d: d.get("department_code") and d.get("title")
                   and (d.get("outcome") or {}).get("reached"))
    settle()
    doc = repository.get(NUMBER)
    assert doc["channel"] == "wechat" and doc["district"] == "市北区"
    # intake took it as help; routing's assignment (whatever the order they came in) says report
    assert (doc["request_type_given"], doc["request_type"]) == ("help", "report")
    assert "飞线充电" in doc["terms"]
    assert doc["outcome"] == {"rejections": 1, "reached": True, "resolved": False,
                              "satisfaction": "dissatisfied"}


def test_a_broken_event_is_dead_lettered_and_the_service_carries_on(start_service, publish, dead_letters):
    _, repository = start_service(InsightService)
    publish("intake", "ticket_created", {"number": "QD-X", "title": "缺少渠道和时间"})
    publish("intake", "ticket_created", created())
    letters = dead_letters(1)
    assert letters[0]["consumer"] == "insight"
    assert "received_at" in letters[0]["reason"]
    wait_for(repository, lambda d: d.get("title"))


def test_history_is_imported_once_and_bad_records_are_reported(start_service):
    container, repository = start_service(InsightService)
    now = dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC)
    records, _ = generate(weeks=5, now=now, seed=3, daily_volume=60)
    broken = [{"number": "BAD-1", "title": "没有时间"},
              dict(records[0], number="BAD-2", channel="fax")]
    with signed_hook(container, "import_history") as import_history:
        first = import_history(records + broken)
        again = import_history(records[:100])
    assert first["stored"] == len(records) and first["duplicates"] == 0
    assert [(r["number"], sorted(r["errors"])) for r in first["rejected"]] == \
        [("BAD-1", ["received_at"]), ("BAD-2", ["channel"])]
    assert again == {"stored": 0, "duplicates": 100, "rejected": []}
    assert repository.count() == len(records)

    with signed_hook(container, "staffing") as staffing:
        plan = staffing({"week": "2026-11-30"})
    assert plan["history_weeks"] == 5 and len(plan["hours"]) == 168
    with signed_hook(container, "hotspots") as hotspots:
        report = hotspots({"from": "2026-11-13", "to": "2026-11-26"})
    assert report["total"] == sum(1 for r in records
                                  if "2026-11-12T16:00" <= r["received_at"] < "2026-11-26T16:00")


def test_http_reports_charts_and_field_errors(start_service, web_session):
    container, _ = start_service(InsightService)
    records, _ = generate(weeks=5, seed=4, daily_volume=60)
    with signed_hook(container, "import_history") as import_history:
        import_history(records)

    report = web_session.get("/insight/hotspots")
    assert report.status_code == 200 and report.json()["total"] > 0
    chart = web_session.get("/insight/staffing.png")
    assert chart.status_code == 200 and chart.headers["Content-Type"] == "image/png"
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    bad = web_session.get("/insight/hotspots?from=yesterday&to=2026-13-01")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"from", "to"}
    assert web_session.get("/insight/top-problems?month=2026-1").status_code == 400
