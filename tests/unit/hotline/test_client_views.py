"""What the client shows from a service's answer is what the service would show.

The ``hotline`` CLI formats the scorecard and reads knowledge files itself (it
imports no service code); these hold it to followup's own CSV and table and to
the rows intake's parser reads.
"""
import datetime as dt
import json

from hotline.followup_cli import scorecard_csv, scorecard_table
from hotline.intake_cli import knowledge_rows
from services.followup.domain.scorecard import as_csv, as_table, scorecard
from services.intake.domain.knowledge import entry, parse

ROWS = [
    {"department": "WATER", "action": "assigned", "count": 3},
    {"department": "WATER", "action": "signed_for", "count": 2, "on_time": True},
    {"department": "WATER", "action": "replied", "count": 2, "on_time": False},
    {"department": "WATER", "action": "approved", "count": 1, "working_days": 4.0},
    {"department": "WATER", "action": "callback", "count": 1, "reached": True, "resolved": True,
     "satisfaction": "satisfied"},
    {"department": "HRSS", "action": "refused", "count": 1},
]


def over_rpc(value):
    return json.loads(json.dumps(value))  # what the RPC's JSON serializer hands the client


def test_the_scorecard_reads_as_followup_writes_it():
    card = scorecard(ROWS, {"from": "2026-11-01", "to": "2026-11-30"},
                     [{"department": "HRSS", "awaiting_sign_for": 1, "still_open": 2}],
                     {"WATER": "", "HRSS": "", "WATER-EAST": "WATER"})
    assert card["rolled_up"]  # a rolled-up line reads the same too
    assert scorecard_csv(over_rpc(card)) == as_csv(card)
    assert scorecard_table(over_rpc(card)) == as_table(card)


def test_a_knowledge_file_gives_the_rows_intake_reads():
    yaml_text = "entries:\n  - id: KB-1\n    question: 公积金怎么提取？\n    answer: 带身份证。\n    keywords: [公积金]\n"
    csv_text = "id,question,answer,keywords\nKB-2,How to renew?,Online.,renew; passport\n"
    assert knowledge_rows(yaml_text, "yaml") == parse(yaml_text, "yaml")
    assert knowledge_rows(csv_text, "csv") == parse(csv_text, "csv")
    dated = yaml_text + "    expires_on: 2027-06-30\n"  # YAML reads a day as a date: sent over RPC as text
    [row] = knowledge_rows(dated, "yaml")
    assert row["expires_on"] == "2027-06-30" and json.dumps(row)
    assert entry(row, 1)["expires_on"] == entry(parse(dated, "yaml")[0], 1)["expires_on"] == dt.date(2027, 6, 30)
    for bad in ("just text", "{other: 1}"):
        try:
            knowledge_rows(bad, "yaml")
        except ValueError as exc:
            assert "a knowledge file is a list of entries" in str(exc)
        else:
            raise AssertionError(f"{bad!r} read as knowledge")


def test_a_chart_is_insights_own_png_fetched_over_http(tmp_path, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from click.testing import CliRunner

    from hotline import insight_cli

    asked = []

    class Insight(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            self.send_response(200 if self.path.startswith("/insight/staffing.png") else 400)
            self.end_headers()
            self.wfile.write(b"\x89PNG chart")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Insight)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("INSIGHT_URL", f"http://127.0.0.1:{server.server_port}/")
        monkeypatch.setattr(insight_cli, "call", lambda method, query: {"method": method, **query})
        monkeypatch.setattr(insight_cli, "print_staffing", lambda plan: None)
        out = tmp_path / "s.png"
        done = CliRunner().invoke(insight_cli.insight, ["staffing", "--week", "2026-11-30", "--chart", str(out)])
        assert done.exit_code == 0, done.output
        assert out.read_bytes() == b"\x89PNG chart" and asked == ["/insight/staffing.png?week=2026-11-30"]
        refused = CliRunner().invoke(insight_cli.insight, ["hotspots", "--chart", str(tmp_path / "h.png")])
        assert refused.exit_code == 1 and "answered 400" in refused.output
    finally:
        server.shutdown()


def test_a_ticket_shows_its_request_type_chinese_first(capsys):
    from hotline.tickets_cli import print_ticket

    ticket = {"number": "QD-20261201-00001", "status": "received", "title": "物业不作为", "urgency": "normal",
              "channel": "phone", "received_at": "2026-12-01T01:00:00+00:00", "history": []}
    print_ticket(dict(ticket, request_type="complaint"), as_json=False)
    assert "type        投诉 complaint" in capsys.readouterr().out
    print_ticket(ticket, as_json=False)  # a ticket taken before types: no line
    assert "type " not in capsys.readouterr().out


def test_routing_try_says_the_type_it_would_record_and_why(monkeypatch):
    from click.testing import CliRunner

    from hotline import routing_cli
    from services.routing.domain.request_types import suggest

    typed = suggest("请问社保卡如何补办")
    monkeypatch.setattr(routing_cli, "call", lambda method, ticket: {
        "rule": "manual", "department_code": None, "threshold": 0.5, "model_version": 0, "reasons": [],
        "suggestions": [], "request_type": typed.request_type, "request_type_reason": typed.reason,
        "request_type_confidence": 0.9, "co_handler_proposals": [
            {"department_code": "HRSS", "department_name": "市人社局", "confidence": 0.31, "co_confidence": 0.25}]})
    out = CliRunner().invoke(routing_cli.try_, ["--title", "请问社保卡如何补办"]).output
    assert "request type 咨询 consultation: request type consultation suggested from the words 请问, 如何 " \
        "(right 90% of the time)" in out
    assert "co-handler proposed (协办): HRSS 市人社局 0.31 (kept by dispatchers 25%)" in out
