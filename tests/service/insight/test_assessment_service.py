"""The monthly assessment in containers against the real broker: what it learns from
followup's events, its RPCs (the table, the cases behind a figure, the files), and the
report generated once on the first working day of a month and mailed to the supervisors."""
import base64
import copy
import datetime as dt
import io
import zipfile

import pytest

from services.insight.entrypoints.schemas import BadQuery
from services.insight.service import InsightService
from services.notify.service import NotifyService
from shared.contract import events
from shared.platform.mongo import database_for
from tests.people import person, signed_hook
from tests.service.conftest import settle
from tests.service.receivers import SmtpServer, wait_until

SUPERVISOR = person("督办员", roles=("supervisor",))
ZONE = dt.timezone(dt.timedelta(hours=8))


def records(month_start, prefix="QD"):
    """Two units, one with a hard category, in the month from ``month_start`` (local)."""
    rows = []
    for unit, category, n, solved in (("HOUSING", "property-mgmt", 30, 15), ("WATER", "water-outage", 30, 28),
                                      ("WATER", "property-mgmt", 6, 3)):
        for i in range(n):
            at = dt.datetime.combine(month_start + dt.timedelta(days=i % 20), dt.time(10), tzinfo=ZONE)
            rows.append({"number": f"{prefix}-{unit}-{category}-{i:03d}", "title": "物业不作为",
                         "received_at": at.isoformat(), "category": category, "district": "市南区",
                         "department_code": unit,
                         "outcome": {"reached": True, "resolved": i < solved, "signed_for": True}})
    return rows


def test_the_assessment_learns_from_followups_events_and_answers_its_rpcs(start_service, publish):
    container, repository = start_service(InsightService)
    with signed_hook(container, "import_history") as import_history:
        assert import_history(records(dt.date(2026, 11, 1)))["stored"] == 66

    number, now = "QD-HOUSING-property-mgmt-000", events.utcnow()
    publish("followup", "reply_submitted", events.new_event(
        events.ReplySubmitted, number=number, department_code="HOUSING", replied_at=now, on_time=False))
    publish("followup", "appeal_decided", events.new_event(
        events.AppealDecided, appeal_id="ap1", number=number, entry_id=f"{number}:1:3", scored="late_reply",
        department_code="HOUSING", outcome="accepted", reason="系统故障", decided_at=now))
    ruled = "QD-HOUSING-property-mgmt-029"
    publish("followup", "case_closed", events.new_event(
        events.CaseClosed, number=ruled, department_code="HOUSING", closed_at=now, outcome="unreasonable"))
    refused, back = "QD-WATER-property-mgmt-000", "QD-HOUSING-property-mgmt-001"
    publish("followup", "case_refused", events.new_event(
        events.CaseRefused, number=refused, department_code="HOUSING", reason="不属本单位", refused_at=now))
    publish("intake", "ticket_rebounded", events.new_event(
        events.TicketRebounded, number="QD-20261201-00001", rebound_of=back, basis="caller", channel="phone",
        received_at=now, closed_at=now))
    wait_until(lambda: (repository.get(ruled)["outcome"].get("closed_as") == "unreasonable"
                        and repository.get(number)["outcome"].get("appeals_accepted")
                        and repository.get(refused).get("refused_by") == ["HOUSING"]
                        and repository.get(back)["outcome"].get("rebounds")), what="the events learnt")
    assert repository.get(number)["outcome"]["replied_late"] is True
    assert repository.get(ruled)["outcome"]["closed_by"] == "HOUSING"  # the held rate's cohort
    assert repository.get(ruled)["outcome"]["closed_at"] is not None

    with signed_hook(container, "assessment", who=SUPERVISOR) as assessment:
        report = assessment({"month": "2026-11"})
        with pytest.raises(BadQuery, match="YYYY-MM"):
            assessment({"month": "2026-13"})
    units = {u["unit"]: u for g in report["groups"] for u in g["units"]}
    assert [g["group"] for g in report["groups"]] == ["city_bureaus"]  # config.yaml's groups
    assert units["HOUSING"]["n_cases"] == 30 and units["HOUSING"]["unreasonable"] == 1
    assert units["HOUSING"]["rates"]["refused"] == dict(units["HOUSING"]["rates"]["refused"], n=1, events=1)
    assert units["HOUSING"]["appeals_accepted"] == 1 and "on_time" not in units["HOUSING"]["rates"]
    assert units["HOUSING"]["raw_score"] < units["WATER"]["raw_score"]
    assert report["excluded"]["unreasonable"] == [{"number": ruled, "unit": "HOUSING"}]

    with signed_hook(container, "assessment_cases", who=SUPERVISOR) as cases:
        behind = cases({"month": "2026-11", "unit": "WATER", "rate": "solved"})
        with pytest.raises(BadQuery, match="rate"):
            cases({"month": "2026-11", "unit": "WATER", "rate": "speed"})
    assert len(behind["rates"]["solved"]["counted"]) == 36 and len(behind["rates"]["solved"]["events"]) == 31

    with signed_hook(container, "assessment_files", who=SUPERVISOR) as files:
        got = files({"month": "2026-11"})["files"]
    assert base64.b64decode(got["pdf"]["base64"])[:5] == b"%PDF-"
    book = zipfile.ZipFile(io.BytesIO(base64.b64decode(got["xlsx"]["base64"])))
    assert "xl/workbook.xml" in book.namelist()


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def demo_config(service_config, smtp):
    config = copy.deepcopy(service_config)
    config.update(HOTLINE_DEMO="1", NOTIFY_TICK_INTERVAL=0.2, NOTIFY_DELIVERY_INTERVAL=0.1,
                  CLOCK_SYNC_INTERVAL=0.5, INSIGHT_ASSESSMENT_INTERVAL=0.2)
    config["NOTIFY"] = dict(config.get("NOTIFY") or {}, assessment={"email": "chief@city.test"},
                            smtp={"host": "127.0.0.1", "port": smtp.port, "sender": "12345@city.test"})
    return config


def offset_to(local):
    return (local - events.utcnow()).total_seconds()


def test_the_report_is_made_once_on_the_first_working_day_after_a_holiday_and_mailed(
        container_factory, service_config, smtp, routing_directory):
    """国庆: 1-7 October 2026 are holidays, the 8th the first working day. Two instances of
    insight tick every 0.2 s; September's report is made once, and mailed once."""
    config = demo_config(service_config, smtp)
    holiday = dt.datetime(2026, 10, 7, 10, 0, tzinfo=ZONE)
    for service in ("notify", "insight"):  # both start on the demo clock's holiday
        database_for(config, service)["settings"].insert_one(
            {"_id": "clock", "offset_seconds": offset_to(holiday), "version": 1})
    container_factory(NotifyService, config).start()
    first = container_factory(InsightService, config)
    first.start()
    container_factory(InsightService, config).start()
    with signed_hook(first, "import_history") as import_history:
        import_history(records(dt.date(2026, 9, 1)))

    with signed_hook(first, "assessment", who=SUPERVISOR) as assessment:
        assert assessment({})["month"] == "2026-09"  # insight is on the holiday
    settle(1.0)  # five ticks of each instance, on a holiday
    with signed_hook(first, "assessment_reports", who=SUPERVISOR) as reports:
        assert reports() == []

    from tests.service.test_clock_and_directory import rpc
    rpc(config, "notify", "set_clock_offset", offset_to(dt.datetime(2026, 10, 8, 10, 0, tzinfo=ZONE)))
    [mail] = wait_until(lambda: smtp.to("chief@city.test"), timeout=20, what="the report's e-mail")
    assert "2026-09" in mail["Subject"] and "/assessment?month=2026-09" in mail.get_body().get_content()
    # the files, asked of insight as notify (its door lets notify in), attached
    attached = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert sorted(attached) == ["assessment-2026-09.pdf", "assessment-2026-09.xlsx"]
    assert attached["assessment-2026-09.pdf"][:5] == b"%PDF-"
    settle(1.0)
    with signed_hook(first, "assessment_reports", who=SUPERVISOR) as reports:
        made = reports()
    assert [(r["month"], r["state"]) for r in made] == [("2026-09", "published")]
    assert len(smtp.to("chief@city.test")) == 1
