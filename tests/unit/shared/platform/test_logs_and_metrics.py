"""Log lines (masking, JSON), scrape-time gauges, calendar coverage: pure logic."""
import datetime as dt
import json
import logging

import eventlet
import pytest

from shared.platform import logs, metrics, readiness


@pytest.mark.parametrize("text, masked", [
    ("来电13812345678反映", "来电138****5678反映"),
    ("tel +86 139 1234 5678?", "tel [phone]?"),  # in any notation (shared.platform.identifiers)
    ("来电138.0532.9876，身份证号三七零二零二一九九零零一零一一二三四", "来电[phone]，身份证号[id-number]"),
    ("回拨１３８０５３２９８７６ 微信号：abc_123", "回拨[phone] 微信号：[wechat]"),
    ("tel +8613912345678", "tel +86139****5678"),
    ("座机0532-88881234", "座机0532-****1234"),
    ("身份证370202199001011234", "身份证[id-card]"),
    ("ID 37020219900101123X.", "ID [id-card]."),
    ("请拨13812345678。", "请拨138****5678。"),
    ("call 13812345678.", "call 138****5678."),
    ("卡号6222 0212 3456 7890 123", "卡号[bank-card]"),
    ("mail li.lei+x@example.com.cn now", "mail l***@*** now"),
])
def test_personal_data_is_masked(text, masked):
    assert logs.scrub(text) == masked


@pytest.mark.parametrize("text", [
    "ticket QD-20261201-00042 assigned",
    "event 5d0c3a1b9e2f4a7c8d6e0f1a2b3c4d5e",
    "call intake.http_submit.0b6e1c2d-3e4f-5a6b-7c8d-913812345678",
    "2026-12-01T08:00:00+00:00 after 1234567 ms",
])
def test_what_is_not_personal_data_is_left_alone(text):
    assert logs.scrub(text) == text


def record(message, *args, exc_info=None):
    return logging.LogRecord("services.intake.service", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_json_line_has_the_context_and_no_personal_data():
    class Ctx:
        service_name = "intake"
        call_id = "intake.submit_ticket.abc"
        call_id_stack = ["console.create.x", "intake.submit_ticket.abc"]
        args = ({"number": "QD-20261201-00001", "event_id": "e1"},)
        kwargs = {}

        class entrypoint:
            method_name = "submit_ticket"

    logs.enter(Ctx)
    try:
        rec = record("caller %s said %s", "13812345678", "停水")
        logs.ContextFilter().filter(rec)
    finally:
        logs.leave()
    try:
        raise ValueError("phone 13912345678 is bad")
    except ValueError:
        import sys
        rec.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(rec)
    assert "\n" not in line
    body = json.loads(line)
    assert body["message"] == "caller 138****5678 said 停水"
    assert (body["service"], body["entrypoint"], body["ticket"], body["event_id"]) == \
        ("intake", "submit_ticket", "QD-20261201-00001", "e1")
    assert body["call_chain"] == ["console.create.x", "intake.submit_ticket.abc"]
    assert body["level"] == "WARNING" and body["time"].endswith("+00:00")
    assert "139****5678" in body["exc_info"] and "13912345678" not in line


def test_outside_a_worker_the_ticket_comes_from_the_message():
    rec = record("ticket %s re-published", "QD-20261201-00007")
    logs.ContextFilter().filter(rec)
    body = json.loads(logs.JsonFormatter().format(rec))
    assert body["ticket"] == "QD-20261201-00007" and "call_id" not in body


def test_a_slow_gauge_source_is_cut_off_and_counted():
    service = metrics.ServiceMetrics("test", cache_seconds=0, bound_seconds=0.05)
    service.add_source("slow", lambda: eventlet.sleep(1) or [])
    service.add_source("fine", lambda: [metrics.Sample("hotline_tickets", {"status": "received"}, 3)])
    first = service.render().decode()
    assert 'hotline_tickets{status="received"} 3.0' in first
    second = service.render().decode()
    assert 'hotline_metrics_source_errors_total{source="slow"} 1.0' in second


def test_a_gauge_is_kept_for_the_cache_time():
    calls = []
    service = metrics.ServiceMetrics("test", cache_seconds=60)
    service.add_source("counted", lambda: calls.append(1) or [metrics.Sample("hotline_dispatch_queue", {}, 1)])
    service.render()
    service.render()
    assert len(calls) == 1


def test_calendar_coverage_ends_with_the_official_tables():
    years = readiness.official_years()
    end = readiness.calendar_coverage_end({"CALENDAR": "chinese"}, dt.date(years[-1], 3, 1))
    assert end == dt.date(years[-1], 12, 31)
    assert readiness.calendar_coverage_end({"CALENDAR": "chinese"}, dt.date(years[-1] + 1, 3, 1)) == \
        dt.date(years[-1], 12, 31)


def test_a_city_that_copied_next_years_holidays_is_covered_for_that_year():
    last = readiness.official_years()[-1]
    config = {"CALENDAR": "chinese", "EXTRA_HOLIDAYS": [f"{last + 1}-02-06"], "EXTRA_WORKDAYS": []}
    assert readiness.calendar_coverage_end(config, dt.date(last, 12, 1)) == dt.date(last + 1, 12, 31)


def test_the_monday_to_friday_calendar_has_no_end():
    assert readiness.calendar_coverage_end({"CALENDAR": "weekends"}, dt.date(2030, 1, 1)) is None


def test_the_calendar_check_compares_coverage_with_the_coming_weeks():
    last = readiness.official_years()[-1]
    config = {"CALENDAR": "chinese"}
    ok, detail = readiness.calendar_check(config, 14, today=dt.date(last, 12, 1))()
    assert ok and detail["covered_until"] == f"{last}-12-31"
    ok, detail = readiness.calendar_check(config, 14, today=dt.date(last, 12, 20))()
    assert not ok and detail["needed_until"] == f"{last + 1}-01-03"


def test_a_check_that_hangs_fails_within_the_bound():
    checks = readiness.Readiness(timeout_seconds=0.05)
    checks.add("hangs", lambda: eventlet.sleep(5))
    checks.add("fine", lambda: (True, {}))
    checks.add("raises", lambda: 1 / 0)
    ok, results = checks.run()
    assert not ok
    assert results["hangs"]["error"] == "no answer within 0.05s"
    assert results["raises"] == {"ok": False, "error": "ZeroDivisionError", "ms": results["raises"]["ms"]}
    assert results["fine"]["ok"]
