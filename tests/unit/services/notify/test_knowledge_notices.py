"""A unit hears of its knowledge entries: a version published or sent back, an entry due for review."""
import datetime as dt
from zoneinfo import ZoneInfo

from services.notify.domain.notices import Notices
from services.notify.domain.templates import render

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC)
CONFIG = {"contacts": {"HOUSING": {"email": "housing@x", "sms": "13900000000"},
                       "WATER": {"email": "water@x", "language": "en"}}, "ladder": {}}
NAMES = {"HOUSING": {"name": "市住建局"}, "WATER": {"name": "市水务局", "name_en": "Water Bureau"}}


def notices():
    return Notices(CONFIG, NAMES, ZONE, render, lambda *args: "")


def test_a_version_sent_back_is_told_to_its_unit_with_the_reason_on_each_channel():
    event = {"entry_id": "KB-7", "department_code": "HOUSING", "version": 2, "outcome": "rejected",
             "reason": "电话号码不对", "question": "公租房怎么申请？"}
    notes = notices().for_knowledge(event, NOW)
    assert sorted(n["channel"] for n in notes) == ["email", "sms"]
    assert "被退回" in notes[0]["subject"] and "电话号码不对" in notes[0]["body"] and "市住建局" in notes[0]["body"]
    assert len({n["key"] for n in notes}) == 2 and all(n["key"].startswith("knowledge:KB-7:2:rejected") for n in notes)


def test_an_entry_due_for_review_is_told_in_the_units_language_and_the_centres_own_to_nobody():
    event = {"entry_id": "KB-8", "department_code": "WATER", "version": 1, "reasons": ["expired", "feedback"],
             "question": "停水怎么查询？", "wrong": 2, "outdated": 3}
    (note,) = notices().for_knowledge(event, NOW)
    assert note["recipient"] == "water@x" and "KB-8 停水怎么查询？: due for review" == note["subject"].split("] ")[1]
    assert "no longer offered" in note["body"] and "wrong 2 times and outdated 3 times" in note["body"]
    assert notices().for_knowledge(dict(event, department_code=None), NOW) == []
