"""notify's claims, over the in-memory store: one taker per step and per notification."""
import datetime as dt
from zoneinfo import ZoneInfo

import mongomock

from services.notify.adapters.repository import NotifyRepository
from services.notify.domain import watch as domain
from services.notify.domain.ladder import Ladder
from services.notify.domain.notices import Notices
from services.notify.domain.templates import outcome, render
from services.notify.handlers import ticks as work
from shared.contract.events import utcnow
from shared.timelimits.calendar import WeekendCalendar

ZONE = ZoneInfo("Asia/Shanghai")


def repository():
    repo = NotifyRepository(mongomock.MongoClient(tz_aware=True)["notify"], {})
    repo.ensure_indexes()
    return repo


def overdue_watch(repo, number, now):
    watch = repo.watch_for(number, now)
    event = {"number": number, "department_code": "HRSS",
             "deadline": now - dt.timedelta(hours=1), "sign_for_deadline": now - dt.timedelta(days=2)}
    changes = domain.apply(watch, "assigned", event, now)
    assert repo.apply(watch, f"e-{number}", changes, now - dt.timedelta(days=2))
    return repo.watch_for(number, now)


def rules():
    ladder = Ladder(WeekendCalendar(), ZONE)
    notices = Notices({"contacts": {"default": {"email": "d@x", "webhook": "http://h"}}},
                      {}, ZONE, render, outcome)
    return ladder, notices


def test_a_due_watch_is_claimed_by_one_tick_only():
    repo, now = repository(), utcnow()
    overdue_watch(repo, "QD-1", now)
    due, first = repo.claim_due(now, utcnow(), 60, "a", 10)
    again, second = repo.claim_due(now, utcnow(), 60, "b", 10)
    assert (due, len(first), again, second) == (1, 1, 1, [])
    # a crashed holder's lease runs out on the real clock
    _, third = repo.claim_due(now, utcnow() + dt.timedelta(seconds=61), 60, "b", 10)
    assert len(third) == 1


def test_steps_are_recorded_once_even_if_two_ticks_race():
    repo, now = repository(), utcnow()
    overdue_watch(repo, "QD-1", now)
    ladder, notices = rules()
    report = work.supervise(repo, ladder, notices, now, "a")
    assert (report.steps, report.queued) == (3, 6)  # reminder, yellow, red; email + webhook
    assert work.supervise(repo, ladder, notices, now, "b").steps == 0
    watch = repo.get("QD-1")
    assert watch["steps_done"] == ["1:sign_for_reminder", "1:yellow_card", "1:red_card"]
    assert watch["next_check_at"] > now  # the first supervision order
    assert len(repo.watches.find_one({"number": "QD-1"})["outbox"]) == 3
    assert repo.notifications.count_documents({}) == 6


def test_an_event_during_a_tick_wins_and_the_next_tick_sees_it():
    repo, now = repository(), utcnow()
    overdue_watch(repo, "QD-1", now)
    ladder, notices = rules()
    _, [claimed] = repo.claim_due(now, utcnow(), 60, "a", 10)
    watch = repo.watch_for("QD-1", now)  # meanwhile the department replies
    changes = domain.apply(watch, "replied", {"replied_at": now}, now)
    assert repo.apply(watch, "e-reply", changes, ladder.next_check(dict(watch, **changes)))
    assert not repo.record_steps(claimed, [("1:red_card", {})], [], None, now)
    repo.release(claimed)
    assert work.supervise(repo, ladder, notices, now, "b").steps == 0  # nothing left to chase
    assert repo.notifications.count_documents({}) == 0


def test_the_queue_refuses_a_second_copy_and_a_claimed_notification_waits():
    repo, now = repository(), utcnow()
    note = {"key": "QD-1:receipt:citizen", "number": "QD-1", "next_attempt_at": now}
    assert repo.enqueue([note, dict(note)]) == 1
    [note_id] = repo.due_notification_ids(now, 10)
    assert repo.claim_notification(note_id, now, utcnow(), 60) is not None
    assert repo.claim_notification(note_id, now, utcnow(), 60) is None
    repo.record_attempt(note_id, "retrying", now + dt.timedelta(seconds=30), "HTTP 503",
                        {"channel": "webhook", "recipient": "http://h"}, now)
    assert repo.due_notification_ids(now, 10) == []
    assert repo.due_notification_ids(now + dt.timedelta(seconds=30), 10) == [note_id]
    [logged] = repo.list_notifications("QD-1")
    assert (logged["status"], logged["attempts"], logged["last_error"]) == ("retrying", 1, "HTTP 503")


def test_notifications_left_in_a_watch_by_a_crash_are_queued_later():
    repo, now = repository(), utcnow()
    overdue_watch(repo, "QD-1", now)
    _, [claimed] = repo.claim_due(now, utcnow(), 60, "a", 10)
    note = {"key": "QD-1:1:red_card:department:email", "number": "QD-1", "created_at": now,
            "next_attempt_at": now}
    assert repo.record_steps(claimed, [("1:red_card", {"event_id": "x"})], [note], None, now)
    # ... and the process dies before queue_recorded
    assert repo.queue_left_behind(now - dt.timedelta(seconds=30)) == 0  # not old enough
    assert repo.queue_left_behind(now) == 1
    assert repo.queue_left_behind(now) == 0
    assert [n["key"] for n in repo.list_notifications("QD-1")] == [note["key"]]


def test_the_receipt_quota_counts_each_receipt_once_per_phone_and_day():
    repo = repository()
    later = utcnow() + dt.timedelta(days=2)
    allow = lambda key, day="2026-11-27", phone="d1": repo.allow_receipt_sms(phone, day, key, 2, later)  # noqa: E731
    assert [allow("a"), allow("b"), allow("c"), allow("a")] == [True, True, False, True]  # "a" is a retry
    assert allow("c", day="2026-11-28") and allow("c", phone="d2")
    stored = repo.sms_quota.find_one({"_id": "d1:2026-11-27"})
    assert sorted(stored["keys"]) == ["a", "b"] and "1385" not in str(stored)


def test_the_log_keeps_citizens_masked():
    repo = repository()
    now = utcnow()
    note = {"key": "QD-1:receipt:citizen", "number": "QD-1", "template": "receipt", "channel": "citizen",
            "audience": "citizen", "recipient": None, "status": "queued", "attempts": 0,
            "next_attempt_at": now, "created_at": now}
    repo.enqueue([note])
    stored = repo.notifications.find_one({"key": note["key"]})
    repo.record_attempt(stored["_id"], "sent", None, None,
                        dict(note, channel="sms", recipient="13853212345"), now)
    assert repo.notifications.find_one({"key": note["key"]})["recipient"] == "138****2345"
    assert repo.list_notifications()[0]["recipient"] == "138****2345"


def test_the_watches_of_a_tickets_parts_are_told_by_unit_to_the_reconciler():
    from types import SimpleNamespace

    from services.notify.handlers.queries import part_watches

    repo, now = repository(), utcnow()
    for number, ticket, state in (("QD-1@S-BADAGUAN", "QD-1", "watching"), ("QD-1@CO.2", "QD-1", "closed"),
                                  ("QD-2@S-BADAGUAN", "QD-2", "watching")):
        watch = repo.watch_for(number, now)
        assert repo.apply(watch, f"e-{number}", {"ticket_number": ticket, "state": state}, None)
    overdue_watch(repo, "QD-1", now)  # the case's own watch is not a part's
    deps = SimpleNamespace(watches=repo)
    assert sorted(part_watches(deps, "QD-1"), key=str) == sorted(
        [{"unit_code": "S-BADAGUAN", "state": "watching"}, {"unit_code": "CO.2", "state": "closed"}], key=str)
    assert part_watches(deps, ["QD-1"]) == []
