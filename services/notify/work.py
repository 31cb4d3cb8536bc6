"""The two periodic jobs of notify, as plain functions over the repository.

``supervise`` (the ladder's tick) and ``deliver`` (the delivery queue's tick)
are what notify's timers run, and what the benchmark times. Neither waits on
the other: a failing channel only delays its own notifications.

Exactly once: a notification's unique ``key`` keeps a second copy out of the
queue, and a step is recorded with a conditional update that only one
instance can win, so ``ticket_escalated`` is published once per step. An
email or webhook may go out twice only if a process dies between sending it
and logging it (at-least-once delivery, as with any SMTP or HTTP sender).
"""
import logging
from dataclasses import dataclass, field

from services.notify.delivery import attempt
from shared import events
from shared.outbox import outboxed

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    due: int = 0
    claimed: int = 0
    steps: int = 0
    queued: int = 0
    touched: list = field(default_factory=list)  # watch ids with events to publish


def escalated_event(watch, step, now):
    return events.new_event(
        events.TicketEscalated, number=watch["number"],
        department_code=watch.get("department_code") or "", level=step.name,
        reason=step.reason, deadline=watch.get("deadline"), escalated_at=now)


def supervise(repo, ladder, notices, now, owner, lease_seconds=60, batch=1000):
    """Take every ladder step that has come due; returns a ``TickReport``."""
    report = TickReport()
    ids = repo.due_watch_ids(now, batch)
    report.due = len(ids)
    for watch_id in ids:
        watch = repo.claim_watch(watch_id, now, events.utcnow(), lease_seconds, owner)
        if watch is None:
            continue  # another instance has it
        report.claimed += 1
        revision = watch["revision"]
        for step in ladder.due(watch, now):
            key = step.key(watch.get("round", 1))
            level = ladder.level(step.level) if step.level else None
            report.queued += repo.enqueue(notices.for_step(watch, step, level, now))
            entry = outboxed("ticket_escalated", escalated_event(watch, step, now))
            if repo.take_step(watch_id, key, entry, now):
                revision += 1
                report.steps += 1
                if watch_id not in report.touched:
                    report.touched.append(watch_id)
                log.info("%s: %s (%s)", watch["number"], step.name, step.reason)
            watch.setdefault("steps_done", []).append(key)
        repo.release_watch(watch_id, revision, ladder.next_check(watch), owner)
    return report


def deliver(repo, channels, policy, now, zone, citizen_contact, lease_seconds=60, batch=200):
    """Try every notification whose time has come; returns ``{status: count}``."""
    counts = {}
    for notification_id in repo.due_notification_ids(now, batch):
        notification = repo.claim_notification(notification_id, now, events.utcnow(),
                                               lease_seconds)
        if notification is None:
            continue
        (status, when, note), sent = attempt(notification, channels, policy, now, zone,
                                             citizen_contact)
        repo.record_attempt(notification_id, status, when, note, sent, now)
        counts[status] = counts.get(status, 0) + 1
        if status in ("retrying", "failed"):
            log.warning("%s to %s via %s %s: %s", notification["key"], sent.get("recipient"),
                        sent["channel"], status, note)
    return counts
