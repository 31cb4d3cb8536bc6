"""insight fed back by the phone floor: the calls callcentre announces as ended are counted
per hour for the forecast (channel ``call``), and Erlang C answers for hours already seen."""
import datetime as dt
from types import SimpleNamespace

from services.insight.adapters.repository import InsightRepository
from services.insight.bootstrap import settings
from services.insight.handlers.learning import call_ended
from services.insight.handlers.reports import agents_for, staffing_plan
from shared.platform import memory_store

MONDAY = dt.date(2026, 11, 2)


def deps(channels):
    repo = InsightRepository(memory_store.client()[f"insight_calls_{id(object())}"], {})
    repo.ensure_indexes()
    return SimpleNamespace(requests=repo, settings=settings({"INSIGHT": {"staffed_channels": channels}}))


def ended(call_id, at, events=3, direction="in", outcome="answered"):
    return {"call_id": call_id, "direction": direction, "outcome": outcome, "ringing_at": at,
            "talk_seconds": 200.0, "events": events}


def test_ended_inbound_calls_feed_the_staffing_forecast_of_channel_call():
    d = deps("call")
    for week in range(3):
        for n in range(20):  # twenty calls every Monday at 10:00, Qingdao time
            at = dt.datetime(2026, 11, 2, 2, n, tzinfo=dt.UTC) + dt.timedelta(weeks=week)
            call_ended(d, ended(f"w{week}-{n}", at))
    call_ended(d, ended("w0-0", dt.datetime(2026, 11, 2, tzinfo=dt.UTC), events=2))   # an older fold: not taken
    call_ended(d, ended("out", dt.datetime(2026, 11, 2, 2, 30, tzinfo=dt.UTC), direction="out"))
    assert d.requests.calls.count_documents({}) == 60
    assert d.requests.calls.find_one({"_id": "w0-0"})["events"] == 3
    plan = staffing_plan(d.requests, d.settings, MONDAY + dt.timedelta(weeks=3))
    ten = next(h for h in plan["hours"] if h["weekday"] == "Mon" and h["hour"] == 10)
    assert ten["calls"] > 10 and ten["agents"] >= 2
    assert plan["aht_seconds"] == 240  # fewer than 50 calls measured per the model's rule: configured


def test_calls_stay_out_of_a_plan_of_tickets_only():
    d = deps("phone")
    call_ended(d, ended("c1", dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)))
    assert d.requests.requests.count_documents({}) == 0


def test_erlang_c_for_hours_already_seen():
    d = deps("call")
    rows = agents_for(d, [{"calls": 0}, {"calls": 60, "aht_seconds": 240}, {"calls": 120, "aht_seconds": 240}])
    assert rows[0]["agents"] == 0 and 4 < rows[1]["agents"] < rows[2]["agents"]
    assert rows[1]["service_level"] >= 0.8
