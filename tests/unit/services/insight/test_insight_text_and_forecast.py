"""Emerging terms from Chinese text, the hour-of-week forecast, and the
reports over a generated history with a planted spike and topic."""
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hotline.insight_history import generate
from services.insight.domain import forecast, hotspots, problems, staffing
from services.insight.domain.requests import request_terms
from services.insight.domain.terms import emerging_terms, terms_of

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC)  # Thursday 22:00 in Qingdao


def test_chinese_text_is_segmented_into_words_and_phrases_without_stop_words():
    terms = terms_of("市民反映：楼道里有人给电动自行车飞线充电，希望尽快处理。")
    assert {"楼道", "充电", "飞线", "电动自行车", "飞线充电"} <= set(terms)
    assert not {"反映", "希望", "尽快", "处理", "市民"} & set(terms)


def docs(texts, start=0):
    return [{"number": f"N{start + i}", "title": t, "terms": terms_of(t), "received_at": start + i}
            for i, t in enumerate(texts)]


def test_a_rising_term_is_found_with_examples_and_a_steady_one_is_not():
    routine = ["小区停水没有通知", "暖气不热室温低", "物业不打扫楼道卫生", "工地夜间施工噪音扰民"]
    previous = docs(routine * 50)
    recent = docs(routine * 12 + ["电动自行车楼道飞线充电"] * 15, start=1000)
    found = emerging_terms(recent, previous)
    assert len(found) == 1
    assert found[0]["recent"] == 15 and found[0]["previous"] == 0
    assert "飞线充电" in [found[0]["term"], *found[0]["related"]]
    assert found[0]["examples"][0]["title"] == "电动自行车楼道飞线充电"
    assert emerging_terms(docs(routine * 12, start=1000), previous) == []


def seasonal_weeks(weeks, weekly_total, growth, seed=3):
    shape = np.array([1 + np.sin(np.pi * (h % 24) / 24) * 3 + (h // 24 < 5) for h in range(168)])
    shape /= shape.sum()
    rng = np.random.default_rng(seed)
    means = np.array([shape * weekly_total * (1 + growth) ** w for w in range(weeks)])
    return rng.poisson(means), means


def test_forecast_follows_the_trend_and_the_hour_of_week_profile():
    observed, means = seasonal_weeks(7, 5000, 0.05)
    truth = means[-1]
    predicted = forecast.forecast_week(observed[:-1])
    assert predicted.sum() == pytest.approx(truth.sum(), rel=0.04)
    assert np.corrcoef(predicted, truth)[0, 1] > 0.9
    results = forecast.backtest(observed, test_weeks=3)
    assert len(results) == 3
    assert all(r["wape"] < r["naive_wape"] for r in results)  # trend beats last week's copy


def test_forecast_needs_a_full_week():
    with pytest.raises(ValueError):
        forecast.forecast_week(np.zeros((0, 168)))


@pytest.fixture(scope="module")
def history():
    records, planted = generate(weeks=5, now=NOW, seed=8, daily_volume=250)
    for record in records:
        record["received_at"] = dt.datetime.fromisoformat(record["received_at"])
        record["terms"] = request_terms(record["title"], record["description"])
    return records, planted


def test_the_report_finds_the_planted_spike_and_topic_and_nothing_else(history):
    records, planted = history
    end = NOW.astimezone(ZONE).date()
    report = hotspots.build(records, end - dt.timedelta(days=13), end, ZONE)
    assert [(s["category"], s["district"], s["since"]) for s in report["spikes"]] == \
        [(planted["spike"]["category"], planted["spike"]["district"], planted["spike"]["since"])]
    top = report["emerging"]["terms"][0]
    assert set(planted["topic"]["terms"]) & {top["term"], *top["related"]}
    assert sum(c["count"] for c in report["by_category"]) == report["total"]


def test_each_finding_carries_its_key_and_its_tickets_for_a_proactive_case(history):
    records, planted = history
    end = NOW.astimezone(ZONE).date()
    report = hotspots.build(records, end - dt.timedelta(days=13), end, ZONE)
    [spike] = report["spikes"]
    assert spike["key"] == f"spike:{spike['category']}:{spike['district']}:{spike['since']}"
    cell = [r for r in records if (r["category"], r["district"]) == (spike["category"], spike["district"])
            and spike["since"] <= r["received_at"].astimezone(ZONE).date().isoformat() <= spike["until"]]
    assert len(spike["numbers"]) == min(len(cell), hotspots.EVIDENCE)
    assert set(spike["numbers"]) <= {r["number"] for r in cell}
    top = report["emerging"]["terms"][0]
    assert top["key"] == f"emerging:{top['term']}:{hotspots.iso_week(end)}"
    using = [r for r in records if top["term"] in r["terms"]
             and r["received_at"].astimezone(ZONE).date() >= dt.date.fromisoformat(report["emerging"]["recent_from"])]
    assert set(top["numbers"]) <= {r["number"] for r in using} and len(top["numbers"]) == min(len(using), 50)
    assert top["category"] == "safety-hazard"  # the planted topic's (hotline/insight_history.py)

    # a proactive case made from the spike is the hotline's own: a type counted, no citizen's request
    case = {"number": "QD-20261126-99999", "received_at": NOW, "category": spike["category"],
            "district": spike["district"], "channel": "proactive", "request_type": "proactive",
            "title": "主动治理", "terms": [top["term"]]}
    again = hotspots.build([*records, case], end - dt.timedelta(days=13), end, ZONE)
    assert again["total"] == report["total"] and again["spikes"][0]["numbers"] == spike["numbers"]
    assert {t["name"]: t["count"] for t in again["by_request_type"]}["proactive"] == 1
    assert again["emerging"]["terms"][0]["recent"] == top["recent"]


def test_staffing_plan_for_next_week(history):
    records, _ = history
    monday = dt.date(2026, 11, 30)
    plan = staffing.plan(records, monday, ZONE, records[0]["received_at"], records[-1]["received_at"])
    assert plan["history_weeks"] == 5 and plan["weeks_ahead"] == 2  # this week is not over yet
    assert len(plan["hours"]) == 168
    busy = max(plan["hours"], key=lambda h: h["calls"])
    night = plan["hours"][3]  # Monday 03:00
    assert busy["agents"] > night["agents"] >= 1
    assert all(h["service_level"] >= 0.8 for h in plan["hours"] if h["calls"] > 0.5)
    assert all(h["operators"] >= h["agents"] for h in plan["hours"])
    assert "measured" in plan["aht_source"]
    assert len(plan["backtest"]) == 3 and all(b["wape"] < 0.5 for b in plan["backtest"])


def test_top_problems_ranks_categories_with_scorecards(history):
    records, _ = history
    november = [r for r in records if r["received_at"].astimezone(ZONE).month == 11]
    october = [r for r in records if r["received_at"].astimezone(ZONE).month == 10]
    cards = problems.local_scorecards(november)
    report = problems.top_problems(november, october, cards)
    assert report["largest"][0]["category"] == "heating"
    assert report["largest"][0]["department"] == "ENERGY"
    card = report["largest"][0]["scorecard"]
    assert 0.5 < card["resolution_rate"] < 1 and 0.5 < card["satisfaction_rate"] <= 1
    assert problems.normalise_scorecards([{"department_code": "ENERGY", "resolution_rate": 0.9}]) == \
        {"ENERGY": {"department_code": "ENERGY", "resolution_rate": 0.9, "source": "followup"}}
