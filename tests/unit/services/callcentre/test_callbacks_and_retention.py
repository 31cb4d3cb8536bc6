"""Missed callers: one entry per number per local day, its standing, who may work it; and the
numbers of old calls erased."""
import datetime as dt
from zoneinfo import ZoneInfo

import mongomock
import pytest

from services.callcentre.adapters.calls import CallRepository
from services.callcentre.domain.callbacks import Attempt, CannotWork, check_attempt, entry_key, standing
from services.callcentre.domain.calls import CallEvent, fold

ZONE = ZoneInfo("Asia/Shanghai")
T = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 in Qingdao


def test_one_entry_per_number_per_local_day_whatever_its_notation():
    assert entry_key("138 5321 2345", T, ZONE) == entry_key("13853212345", T + dt.timedelta(hours=10), ZONE)
    assert entry_key("13853212345", T, ZONE) != entry_key("13853212345", T + dt.timedelta(hours=16), ZONE)
    key = entry_key("13853212345", T, ZONE)
    assert key.startswith("2026-12-01-") and "13853212345" not in key and "53212345" not in key


def test_standing_is_in_time_late_overdue_or_open():
    due = T + dt.timedelta(hours=2)
    reached = (Attempt("not_reached", "cb1", T), Attempt("reached", "cb1", due))
    assert standing(reached, due, due + dt.timedelta(days=1)) == "in_time"
    assert standing((Attempt("wrong_number", "cb1", due + dt.timedelta(seconds=1)),), due, due) == "late"
    assert standing(reached[:1], due, due + dt.timedelta(seconds=1)) == "overdue"
    assert standing((), due, T) == "open"


def test_a_closed_or_someone_elses_entry_cannot_be_worked():
    with pytest.raises(CannotWork):
        check_attempt("reached", (Attempt("reached", "cb1", T),), None, "cb1")
    with pytest.raises(CannotWork):
        check_attempt("reached", (), "cb2", "cb1")
    with pytest.raises(CannotWork):
        check_attempt("hung up", (), None, "cb1")
    assert check_attempt("not_reached", (), "cb1", "cb1") == "not_reached"


def test_numbers_of_calls_ended_past_retention_are_erased():
    calls = CallRepository(mongomock.MongoClient()["hotline_callcentre"], {})
    for call_id, ended in (("old", T - dt.timedelta(days=200)), ("new", T)):
        events = [CallEvent(call_id, "newCall", ended - dt.timedelta(seconds=30), from_number="13853212345",
                            recording_url="https://pbx.example/r.wav"),
                  CallEvent(call_id, "hangup", ended, from_number="13853212345", cause="cancel")]
        for event in events:
            calls.add_event(event)
        calls.save(fold(events))
    assert calls.erase_numbers_before(T - dt.timedelta(days=180)) == 1
    assert calls.get("old").from_number == "" and calls.get("old").recording_url == ""
    assert all(e.from_number == "" for e in calls.events_of("old"))
    assert calls.get("new").from_number == "13853212345"
    assert calls.erase_numbers_before(T - dt.timedelta(days=180)) == 0   # once
