"""notify's pure rules: the ladder, the watch built from events, delivery policy, texts."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.notify.adapters.channels import DeliveryFailed, sign, verify
from services.notify.domain import watch as domain
from services.notify.domain.delivery import Policy, attempt, quiet_until
from services.notify.domain.ladder import Ladder
from services.notify.domain.notices import Notices
from services.notify.domain.templates import TEMPLATES, outcome, render
from shared.timelimits.calendar import WeekendCalendar

ZONE = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def local(*args):
    return dt.datetime(*args, tzinfo=ZONE).astimezone(UTC)


def ladder(**kwargs):
    return Ladder(WeekendCalendar(), ZONE, **kwargs)


def assigned_watch(number="QD-1", department="HRSS"):
    # Monday 23 Nov 2026, 09:00: sign for by Tuesday 09:00, reply by next Monday 09:00.
    event = {"event_id": "e1", "number": number, "department_code": department,
             "deadline": local(2026, 11, 30, 9), "sign_for_deadline": local(2026, 11, 24, 9)}
    watch = domain.new_watch(number, local(2026, 11, 23, 9))
    watch.update(domain.apply(watch, "assigned", event, local(2026, 11, 23, 9)))
    return watch


def test_the_ladder_runs_in_order_on_working_days():
    steps = ladder().steps(assigned_watch())
    assert [(s.name, s.at) for s in steps] == [
        ("sign_for_reminder", local(2026, 11, 24, 9)),
        ("yellow_card", local(2026, 11, 27, 9)),      # 1 working day before Monday
        ("red_card", local(2026, 11, 30, 9)),
        ("supervision_1", local(2026, 12, 2, 9)),     # every 2 working days overdue
        ("supervision_2", local(2026, 12, 4, 9)),
        ("supervision_3", local(2026, 12, 8, 9)),     # over the weekend
    ]
    assert [s.level for s in steps[3:]] == [1, 2, 3]


def test_each_step_is_due_once_and_next_check_moves_on():
    rules, watch = ladder(), assigned_watch()
    assert rules.due(watch, local(2026, 11, 24, 8, 59)) == []
    assert rules.next_check(watch) == local(2026, 11, 24, 9)
    due = rules.due(watch, local(2026, 11, 30, 9))
    assert [s.name for s in due] == ["sign_for_reminder", "yellow_card", "red_card"]
    watch["steps_done"] = [s.key(watch["round"]) for s in due]
    assert rules.due(watch, local(2026, 11, 30, 10)) == []
    assert rules.next_check(watch) == local(2026, 12, 2, 9)


def test_signing_for_and_replying_stop_the_reminders_and_cards():
    rules, watch = ladder(), assigned_watch()
    watch.update(domain.apply(watch, "signed_for", {"signed_at": local(2026, 11, 23, 10)}, None))
    assert [s.name for s in rules.steps(watch)][0] == "yellow_card"
    watch.update(domain.apply(watch, "replied", {"replied_at": local(2026, 11, 25, 10)}, None))
    assert rules.steps(watch) == [] and rules.next_check(watch) is None


def test_three_rejections_bring_a_supervision_order_and_the_cards_back():
    rules, watch = ladder(rejection_limit=3, rejection_level=2), assigned_watch()
    watch.update(domain.apply(watch, "replied", {"replied_at": local(2026, 11, 25, 10)}, None))
    for count in (1, 2, 3):
        watch.update(domain.apply(watch, "reply_rejected", {
            "rejection_count": count, "rejected_at": local(2026, 11, 26, 10 + count)}, None))
    names = [s.name for s in rules.due(watch, local(2026, 11, 26, 14))]
    assert names == ["rejections"]  # a reply means it was signed for
    assert rules.next_check(watch) == local(2026, 11, 26, 13)
    assert "yellow_card" in [s.name for s in rules.pending(watch)]  # the cards are back
    assert [s.level for s in rules.steps(watch) if s.name == "rejections"] == [2]


def test_a_refusal_pauses_and_the_new_department_starts_a_new_round():
    rules, watch = ladder(), assigned_watch()
    watch["steps_done"] = ["1:sign_for_reminder"]
    watch.update(domain.apply(watch, "refused", {"refused_at": local(2026, 11, 24, 10)}, None))
    assert rules.steps(watch) == []
    rerouted = {"event_id": "e2", "number": "QD-1", "department_code": "D-SHINAN",
                "deadline": local(2026, 12, 7, 9), "sign_for_deadline": local(2026, 12, 1, 9)}
    watch.update(domain.apply(watch, "assigned", rerouted, local(2026, 11, 30, 9)))
    assert watch["round"] == 2 and watch["department_code"] == "D-SHINAN"
    assert rules.pending(watch)[0].name == "sign_for_reminder"  # again, for the new one
    # routing's assignment heard again changes nothing; followup's case_opened for it
    # only notes that the case is open (no third round)
    assert domain.apply(watch, "assigned", rerouted, local(2026, 11, 30, 9)) is None
    opened = dict(rerouted, opened_at=local(2026, 11, 30, 9, 1))
    assert domain.apply(watch, "opened", opened, local(2026, 11, 30, 9)) == {
        "case_opened_at": local(2026, 11, 30, 9, 1)}


def test_an_extension_moves_the_cards_and_closing_ends_the_watch():
    rules, watch = ladder(), assigned_watch()
    watch.update(domain.apply(watch, "extension_decided", {"deadline": local(2026, 12, 14, 9)}, None))
    assert [s.at for s in rules.steps(watch) if s.name == "red_card"] == [local(2026, 12, 14, 9)]
    watch.update(domain.apply(watch, "closed", {"closed_at": local(2026, 12, 1, 9)}, None))
    assert rules.steps(watch) == []
    reopened = {"department_code": "HRSS", "deadline": local(2026, 12, 21, 9),
                "sign_for_deadline": local(2026, 12, 15, 9)}
    watch.update(domain.apply(watch, "reopened", reopened, local(2026, 12, 14, 9)))
    assert watch["state"] == "watching" and watch["round"] == 2


def test_quiet_hours_hold_citizen_sms_until_morning():
    policy = Policy()
    assert quiet_until(policy, local(2026, 11, 26, 21, 59), ZONE) is None
    assert quiet_until(policy, local(2026, 11, 26, 23, 30), ZONE) == local(2026, 11, 27, 8)
    assert quiet_until(policy, local(2026, 11, 27, 7, 0), ZONE) == local(2026, 11, 27, 8)
    assert quiet_until(policy, local(2026, 11, 27, 8, 0), ZONE) is None


def test_a_failing_channel_backs_off_then_gives_up():
    policy = Policy(max_attempts=3, backoff_seconds=10, backoff_max_seconds=15)

    def broken(notification):
        raise DeliveryFailed("HTTP 500")

    note = {"key": "k", "number": "QD-1", "channel": "webhook", "recipient": "http://x",
            "audience": "department", "attempts": 0, "max_attempts": 3}
    now = local(2026, 11, 26, 12)
    (status, when, error), _ = attempt(note, {"webhook": broken}, policy, now, ZONE, None)
    assert (status, when, error) == ("retrying", now + dt.timedelta(seconds=10), "HTTP 500")
    (status, when, _), _ = attempt(dict(note, attempts=1), {"webhook": broken}, policy, now, ZONE, None)
    assert when == now + dt.timedelta(seconds=15)  # capped
    assert attempt(dict(note, attempts=2), {"webhook": broken}, policy, now, ZONE, None)[0][0] == "failed"


def test_a_citizen_gets_an_sms_by_day_and_waits_at_night():
    sent = []
    note = {"key": "k", "number": "QD-1", "channel": "citizen", "recipient": None,
            "audience": "citizen", "attempts": 0, "max_attempts": 3, "body": "x"}
    contact = {"name": "张三", "phone": "13853212345", "email": None}
    channels = {"sms": sent.append}
    night = local(2026, 11, 26, 23)
    (status, when, _), _ = attempt(note, channels, Policy(), night, ZONE, lambda n: contact)
    assert (status, when, sent) == ("waiting", local(2026, 11, 27, 8), [])
    (status, _, _), out = attempt(note, channels, Policy(), local(2026, 11, 27, 8), ZONE,
                                  lambda n: contact)
    assert status == "sent" and out["recipient"] == "13853212345" and len(sent) == 1
    (status, _, error), _ = attempt(note, channels, Policy(), night, ZONE, lambda n: {})
    assert status == "failed" and "no phone" in error


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_renders_in_both_languages(language):
    context = {"number": "QD-1", "department": "D", "hotline": "12345", "deadline": "2026-11-30 09:00",
               "sign_for_deadline": "2026-11-24 09:00", "level": "L", "reason": "R", "reply": "done",
               "outcome": outcome(language, True, False, "dissatisfied"), "title": "路灯坏了",
               "decision": "granted", "new_department": "N", "count": 2, "lookup_code": "12345678",
               "recheck_on": "2027-03-01", "link": "https://12345.example/r/abcdefghijkl",
               "expires": "2026-12-03", "version": 2}
    for template in TEMPLATES:
        subject, body = render(template, language, context)
        assert "QD-1" in subject + body and "{" not in subject + body
        if template not in ("receipt", "reply", "rating_link"):  # to departments: the number and title up front
            assert "QD-1" in subject and "路灯坏了" in subject, template


def test_notices_address_the_department_and_the_level_in_their_languages():
    config = {"contacts": {"HRSS": {"email": "hrss@x", "webhook": "http://h", "language": "en"}},
              "ladder": {}}
    notices = Notices(config, {"HRSS": {"name": "市人社局", "name_en": "HR Bureau"}}, ZONE, render, outcome)
    watch, rules = assigned_watch(), ladder()
    step = rules.steps(watch)[4]  # supervision_2
    level = {"code": "supervising_office", "name": "市热线督办处", "name_en": "the office",
             "email": "duban@x"}
    notes = notices.for_step(watch, step, level, local(2026, 12, 4, 9))
    assert sorted((n["audience"], n["channel"], n["recipient"]) for n in notes) == [
        ("department", "email", "hrss@x"), ("department", "webhook", "http://h"),
        ("level2", "email", "duban@x")]
    by = {n["recipient"]: n for n in notes}
    assert "督办" in by["duban@x"]["subject"] and "市热线督办处" in by["duban@x"]["body"]
    assert "HR Bureau" in by["hrss@x"]["body"] and "the office" in by["hrss@x"]["body"]
    assert len({n["key"] for n in notes}) == 3


def test_webhook_signatures_verify():
    body = b'{"number": "QD-1"}'
    assert verify("s3cret", body, sign("s3cret", body))
    assert not verify("other", body, sign("s3cret", body))


def citizen_receipt(notices_config=None):
    notices = Notices(notices_config or {"contacts": {}}, {}, ZONE, render, outcome)
    watch = assigned_watch()
    return notices.for_message(watch, (f"{watch['number']}:receipt", "receipt", "citizen", {}),
                               local(2026, 11, 27, 10))[0]


def test_the_receipt_sms_carries_the_lookup_code_and_stores_none():
    note = citizen_receipt()
    assert "{" not in note["body"]
    sent = {}
    channels = {"sms": lambda n: sent.update(n)}
    contact = {"phone": "13853212345", "lookup_code": "20481632"}
    (status, _, _), out = attempt(note, channels, Policy(), local(2026, 11, 27, 10), ZONE, lambda n: contact)
    assert status == "sent" and "20481632" in sent["body"]
    assert "20481632" not in note["body"]  # the stored text has only a mark


def test_a_phone_gets_its_day_s_receipts_and_no_more():
    counted = {}

    def receipt_allowed(phone, notification):
        keys = counted.setdefault(phone, set())
        keys.add(notification["key"])
        return len(keys) <= 2

    channels = {"sms": lambda n: None}
    results = []
    for i in range(4):
        note = dict(citizen_receipt(), key=f"QD-{i}:receipt:citizen", number=f"QD-{i}")
        (status, _, error), _ = attempt(note, channels, Policy(), local(2026, 11, 27, 10), ZONE,
                                        lambda n: {"phone": "13853212345"}, receipt_allowed)
        results.append((status, error))
    assert [s for s, _ in results] == ["sent", "sent", "failed", "failed"]
    assert "receipt SMS for today" in results[2][1]


def test_an_appeal_decided_tells_the_unit_that_appealed_and_leaves_the_watch_alone():
    watch = assigned_watch(department="HRSS")  # the case has moved on to HRSS
    event = {"event_id": "e9", "number": "QD-1", "appeal_id": "a1", "department_code": "WATER",
             "outcome": "accepted", "reason": "系统故障属实", "decided_at": local(2026, 11, 24, 10)}
    learned = domain.Watch.from_doc(watch).learn("appeal_decided", event, local(2026, 11, 24, 10))
    assert learned.changes is None  # no deadline moves
    (message,) = learned.messages
    assert (message.template, message.audience) == ("appeal_decided", "department:WATER")
    config = {"contacts": {"WATER": {"email": "water@x"}}, "ladder": {}}
    notices = Notices(config, {"WATER": {"name": "市水务局"}, "HRSS": {"name": "市人社局"}}, ZONE, render, outcome)
    (note,) = notices.for_message(watch, message, local(2026, 11, 24, 10))
    assert note["recipient"] == "water@x" and "市水务局" in note["body"]
    assert "已采纳" in note["subject"] and "系统故障属实" in note["body"]
    rejected = dict(event, event_id="e10", outcome="rejected")
    (message,) = domain.Watch.from_doc(watch).learn("appeal_decided", rejected, None).messages
    assert "未采纳" in notices.for_message(watch, message, local(2026, 11, 24, 10))[0]["subject"]
