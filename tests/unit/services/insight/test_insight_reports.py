"""insight's use cases over its repository (in-memory store): empty history,
followup's scorecards and the fallback when followup cannot give them."""
import datetime as dt

import mongomock
import pytest

from hotline.insight_history import generate
from services.insight.adapters.repository import InsightRepository
from services.insight.domain.settings import InsightSettings
from services.insight.handlers import reports

NOW = dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def repository():
    repo = InsightRepository(mongomock.MongoClient(tz_aware=True)["hotline_insight"], {})
    repo.ensure_indexes()
    return repo


def test_an_empty_history_gives_an_empty_report_and_a_clear_staffing_error(repository):
    settings = InsightSettings()
    report = reports.hotspot_report(repository, settings)
    assert report["total"] == 0 and report["spikes"] == [] and report["emerging"]["terms"] == []
    with pytest.raises(ValueError, match="no full week of history"):
        reports.staffing_plan(repository, settings)


def test_top_problems_use_followups_scorecards_when_it_answers(repository):
    records, _ = generate(weeks=5, now=NOW, seed=5, daily_volume=60)
    assert reports.import_history(repository, records)["stored"] == len(records)
    settings = InsightSettings()

    def followup(first_day, last_day):
        # followup's scorecard RPC: local dates, both inclusive; its reply's shape
        assert (first_day, last_day) == ("2026-11-01", "2026-11-30")
        return {"period": {"from": first_day, "to": last_day},
                "departments": [{"department": "ENERGY", "resolution_rate": 0.95,
                                 "satisfaction_rate": 0.97}],
                "city": {"department": "city"}}

    report = reports.top_problem_report(repository, settings, "2026-11", followup)
    assert report["scorecard_source"] == "followup"
    heating = next(p for p in report["largest"] if p["category"] == "heating")
    assert heating["scorecard"]["resolution_rate"] == 0.95

    def followup_down(start, end):
        raise TimeoutError("no reply")

    report = reports.top_problem_report(repository, settings, "2026-11", followup_down)
    assert report["scorecard_source"] == "insight" and "TimeoutError" in report["note"]
    card = next(p for p in report["largest"] if p["category"] == "heating")["scorecard"]
    assert card["source"] == "insight" and 0.5 < card["response_rate"] <= 1


def test_requests_are_counted_by_type_as_routing_assigned_it(repository):
    day = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
    records = [{"number": f"QD-{n}", "title": "噪音", "received_at": day, "request_type": kind}
               for n, kind in enumerate(["complaint", "complaint", "consultation", None])]
    assert reports.import_history(repository, records)["stored"] == 4
    # an event-fed request: intake took it as help, routing's assignment says report
    repository.apply("QD-9", {"title": "占道", "received_at": day, "request_type_given": "help"})
    repository.apply("QD-9", {"request_type": "report"}, newer=("assignment_attempt", 1))
    settings = InsightSettings()
    counted = reports.hotspot_report(repository, settings, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    by_type = {row["name"]: row["count"] for row in counted["by_request_type"]}
    assert by_type == {"complaint": 2, "consultation": 1, "report": 1, "untyped": 1,
                       "help": 0, "suggestion": 0, "praise": 0, "proactive": 0}
    assert counted["by_request_type"][0] == {"name": "complaint", "count": 2}
    month = reports.top_problem_report(repository, settings, "2026-11")
    assert {r["name"]: r["count"] for r in month["by_request_type"]}["complaint"] == 2


def test_an_imported_request_of_no_known_type_is_refused(repository):
    bad = {"number": "QD-1", "title": "噪音", "received_at": "2026-11-20T02:00:00Z", "request_type": "grumble"}
    assert reports.import_history(repository, [bad])["rejected"][0]["errors"] == \
        {"request_type": ["Must be one of: consultation, help, complaint, report, suggestion, praise, proactive."]}
