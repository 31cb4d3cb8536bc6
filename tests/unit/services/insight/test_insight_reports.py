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
