"""Appeals (考核申诉): which events may be appealed, by whom, until when, once; decided once."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.followup.domain import InvalidRequest, NotYourCase, TransitionRefused
from services.followup.domain.appeal import ACCEPTED, OPEN, REJECTED, Appeal, excused_rows, scored
from services.followup.domain.timing import FollowupClock
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH).astimezone(dt.UTC)
NUMBER = "QD-20261123-00001"
LATE_SIGN_FOR = {"at": MONDAY, "action": "signed_for", "on_time": False, "actor": "张工",
                 "department_code": "SHINAN", "actor_id": "u1"}
ENTRY_ID = f"{NUMBER}:2:0"


@pytest.fixture
def clock():
    return FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))


def file(clock, entry=LATE_SIGN_FOR, department="SHINAN", now=MONDAY + dt.timedelta(hours=2), earlier=(),
         reason="签收系统故障，有运维记录", links=None, files=()):
    return Appeal.file("a1", NUMBER, ENTRY_ID, entry, department, "李科长", "u7", reason, links, files, now,
                       clock, earlier)


def test_scored_events_are_the_four_the_scorecard_counts_against_a_unit():
    assert scored(LATE_SIGN_FOR) == "late_sign_for"
    assert scored(dict(LATE_SIGN_FOR, on_time=True)) is None
    assert scored({"action": "replied", "on_time": False}) == "late_reply"
    assert scored({"action": "replied", "on_time": True}) is None
    assert scored({"action": "rejected"}) == "reply_rejected"
    assert scored({"action": "callback", "reached": True, "resolved": False,
                   "satisfaction": "satisfied"}) == "callback_unsatisfied"
    assert scored({"action": "callback", "reached": True, "resolved": True,
                   "satisfaction": "dissatisfied"}) == "callback_unsatisfied"
    assert scored({"action": "callback", "reached": True, "resolved": True, "satisfaction": "satisfied"}) is None
    assert scored({"action": "callback", "reached": False}) is None
    assert scored({"action": "assigned"}) is None


def test_filing_keeps_the_entry_and_tells_who_and_which_unit(clock):
    appeal, change = file(clock, links=["https://evidence.example/log.pdf"],
                          files=[{"id": "f1", "filename": "log.png", "size": 3, "content_type": "image/png",
                                  "uploaded_by": "u7"}])
    assert (appeal.state, appeal.scored, appeal.department_code) == (OPEN, "late_sign_for", "SHINAN")
    assert appeal.entry["on_time"] is False and appeal.entry["at"] == MONDAY
    assert appeal.files == [{"id": "f1", "filename": "log.png", "size": 3, "content_type": "image/png"}]
    (line,) = change.ledger
    assert (line["action"], line["actor"], line["actor_id"], line["department_code"]) == (
        "appeal_filed", "李科长", "u7", "SHINAN")
    assert line["entry_id"] == ENTRY_ID and line["files"] == ["f1"]
    ((event_type, body),) = change.events
    assert event_type == "appeal_filed" and body["scored"] == "late_sign_for" and body["filed_by"] == "李科长"


def test_the_window_is_working_days_after_the_event(clock):
    # Monday 10:00 + 5 working days = the next Monday 10:00; the weekend does not count.
    closes = clock.appeal_deadline(MONDAY)
    assert closes == dt.datetime(2026, 11, 30, 10, 0, tzinfo=SH).astimezone(dt.UTC)
    appeal, _ = file(clock, now=closes)
    assert appeal.window_closes == closes
    with pytest.raises(TransitionRefused, match="window closed"):
        file(clock, now=closes + dt.timedelta(minutes=1))
    shorter = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()), appeal_working_days=1)
    with pytest.raises(TransitionRefused, match="1 working days"):
        file(shorter, now=MONDAY + dt.timedelta(days=2))


def test_only_the_unit_scored_may_appeal(clock):
    with pytest.raises(NotYourCase, match="scored against SHINAN"):
        file(clock, department="BADAGUAN")


def test_only_a_scored_event_with_a_reason(clock):
    with pytest.raises(InvalidRequest) as refused:
        file(clock, entry=dict(LATE_SIGN_FOR, on_time=True))
    assert "entry" in refused.value.errors
    with pytest.raises(InvalidRequest) as refused:
        file(clock, reason="  ")
    assert refused.value.errors == {"reason": ["is required"]}
    with pytest.raises(InvalidRequest) as refused:
        file(clock, links=["javascript:alert(1)"])
    assert "links" in refused.value.errors


def test_one_open_appeal_per_event_and_none_after_one_accepted(clock):
    first, _ = file(clock)
    with pytest.raises(TransitionRefused, match="open already"):
        file(clock, earlier=[first])
    first.decide("王主任", "u9", True, "系统故障属实", MONDAY + dt.timedelta(days=1))
    first.state = ACCEPTED
    with pytest.raises(TransitionRefused, match="excused already"):
        file(clock, earlier=[first])
    first.state = REJECTED  # a rejected appeal may be followed by another, inside the window
    again, _ = file(clock, earlier=[first])
    assert again.state == OPEN


def test_a_supervisor_decides_once_with_a_reason(clock):
    appeal, _ = file(clock)
    with pytest.raises(InvalidRequest) as refused:
        appeal.decide("王主任", "u9", False, "", MONDAY + dt.timedelta(days=1))
    assert refused.value.errors == {"reason": ["is required"]}
    with pytest.raises(InvalidRequest):
        appeal.decide("王主任", "u9", "yes", "理由", MONDAY + dt.timedelta(days=1))
    change = appeal.decide("王主任", "u9", False, "无故障记录", MONDAY + dt.timedelta(days=1))
    assert change.set["state"] == REJECTED and change.set["decided_by_id"] == "u9"
    (line,) = change.ledger
    assert (line["action"], line["actor"], line["actor_id"], line["department_code"], line["reason"]) == (
        "appeal_rejected", "王主任", "u9", "SHINAN", "无故障记录")
    assert change.events[0][1]["outcome"] == "rejected"
    appeal.state = change.set["state"]
    with pytest.raises(TransitionRefused, match="rejected already"):
        appeal.decide("王主任", "u9", True, "再议", MONDAY + dt.timedelta(days=2))


def test_the_document_round_trips_and_only_accepted_appeals_excuse(clock):
    appeal, _ = file(clock)
    assert Appeal.from_doc(appeal.to_doc()) == appeal
    doc = appeal.to_doc()
    assert excused_rows([doc]) == []
    (row,) = excused_rows([dict(doc, state=ACCEPTED)])
    assert (row["department"], row["action"], row["on_time"], row["count"]) == ("SHINAN", "signed_for", False, 1)


def test_the_store_keeps_one_open_appeal_per_entry_even_when_two_are_filed_at_once(clock):
    import mongomock

    from services.followup.adapters.appeals import AppealRepository
    from shared.platform.unit_of_work import UnitOfWork

    appeals = AppealRepository(mongomock.MongoClient(tz_aware=True)["t"])
    appeals.ensure_indexes()
    uow = UnitOfWork(lambda *_: None)
    first, change = file(clock)
    appeals.add(uow, first, change, 3)
    racing, change = Appeal.file("a2", NUMBER, ENTRY_ID, LATE_SIGN_FOR, "SHINAN", "赵", "u8", "同上", None, [],
                                 MONDAY + dt.timedelta(hours=2), clock)  # read before the first was stored
    with pytest.raises(TransitionRefused, match="open already"):
        appeals.add(uow, racing, change, 3)
    loaded = appeals.load("a1")
    appeals.save(uow, loaded, loaded.decide("王主任", "u9", False, "无依据", MONDAY + dt.timedelta(days=1)), 4)
    with pytest.raises(Exception, match="changed meanwhile"):  # decided twice from the same read
        appeals.save(uow, loaded, loaded.decide("王主任", "u9", True, "再议", MONDAY + dt.timedelta(days=1)), 4)
    again, change = Appeal.file("a3", NUMBER, ENTRY_ID, LATE_SIGN_FOR, "SHINAN", "赵", "u8", "补充证据", None, [],
                                MONDAY + dt.timedelta(days=2), clock, appeals.of_entry(ENTRY_ID))
    appeals.add(uow, again, change, 4)  # the rejected one no longer holds the entry
    lines = list(appeals.ledger.find({"number": NUMBER}).sort([("version", 1), ("n", 1)]))
    assert [(e["_id"], e["action"]) for e in lines] == [
        (f"{NUMBER}:appeal:a1:0", "appeal_filed"), (f"{NUMBER}:appeal:a1:1", "appeal_rejected"),
        (f"{NUMBER}:appeal:a3:0", "appeal_filed")]


def test_erasure_reaches_the_appeals_reasons(clock):
    import mongomock

    from services.followup.adapters.appeals import AppealRepository
    from shared.platform.privacy import scrub
    from shared.platform.unit_of_work import UnitOfWork

    appeals = AppealRepository(mongomock.MongoClient(tz_aware=True)["t"])
    appeals.ensure_indexes()
    uow = UnitOfWork(lambda *_: None)
    appeal, change = file(clock, reason="市民13853212345已于当日撤诉")
    appeals.add(uow, appeal, change, 1)
    loaded = appeals.load("a1")
    appeals.save(uow, loaded, loaded.decide("王主任", "u9", True, "已电话13853212345核实", MONDAY), 2)
    appeals.erase_personal_data(NUMBER, scrub)
    doc = appeals.get("a1")
    assert "13853212345" not in doc["reason"] + doc["decision_reason"]
    assert "撤诉" in doc["reason"] and "核实" in doc["decision_reason"]
