"""The case repository: conditional updates that cannot corrupt a case."""
import datetime as dt
from zoneinfo import ZoneInfo

import mongomock
import pytest

from services.followup import domain
from services.followup.adapters.cases import CaseRepository
from shared.platform.unit_of_work import LostRace

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH).astimezone(dt.UTC)  # a Monday


def hours(n):
    return T0 + dt.timedelta(hours=n)


def assignment(event_id="e1", department="WATER", at=T0):
    return {"event_id": event_id, "number": "QD-20261123-00001", "department_code": department,
            "department_name": "市水务管理局", "urgency": "normal", "time_limit_class": "general",
            "deadline": at + dt.timedelta(days=7), "sign_for_deadline": at + dt.timedelta(days=1),
            "assigned_at": at, "decided_by": "routing", "reasons": ["停水"]}


def test_a_stale_write_changes_nothing():
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.ensure_indexes()
    cases.open(domain.open_case(assignment(), T0), [])
    first, second = cases.load("QD-20261123-00001"), cases.load("QD-20261123-00001")
    event = lambda kind, body: {"event_id": kind, "body": body}  # noqa: E731
    cases.apply(first, domain.sign_for(first, "a", hours(1)), event)
    with pytest.raises(LostRace):
        cases.apply(second, domain.sign_for(second, "b", hours(1)), event)
    stored = cases.get("QD-20261123-00001")
    assert stored["version"] == 1
    assert [e["actor"] for e in stored["ledger"] if e["action"] == "signed_for"] == ["a"]
