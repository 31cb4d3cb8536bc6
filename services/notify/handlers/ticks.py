"""The periodic jobs of notify, as plain functions over the repository.

``supervise`` (the ladder's tick) and ``deliver`` (the delivery queue's tick)
are what notify's timers run (``supervision_tick``, ``delivery_tick``), and
what the benchmark times. Neither waits on
the other: a failing channel only delays its own notifications.

Exactly once: a tick claims due watches under a lease, and records each
watch's steps -- with the ``ticket_escalated`` events (outbox) and the
notifications they call for -- in one update conditional on the watch being
as claimed, so only one instance can take a step; the notifications then move
to the queue, whose unique ``key`` keeps a second copy out. An
email or webhook may go out twice only if a process dies between sending it
and logging it (at-least-once delivery, as with any SMTP or HTTP sender).
"""
import datetime as dt
import logging
from dataclasses import dataclass, field

import eventlet

from services.notify.domain.delivery import attempt
from services.notify.domain.watch import HoldRecheckDue, Watch
from shared.contract import events
from shared.platform.outbox import outboxed, republish_stale
from shared.platform.privacy import digest, mask_phone, mask_recipient, mask_text

log = logging.getLogger(__name__)

DELIVERY_CONCURRENCY = 10
PENDING_GRACE = dt.timedelta(seconds=30)


@dataclass
class TickReport:
    due: int = 0
    claimed: int = 0
    steps: int = 0
    queued: int = 0
    touched: list = field(default_factory=list)  # watch ids with events to publish
    levels: dict = field(default_factory=dict)   # steps taken by name (yellow_card, ...)


def escalated_event(escalated):
    """The contract's ``ticket_escalated`` event for the domain's."""
    return events.new_event(
        events.TicketEscalated, number=escalated.number, department_code=escalated.department_code,
        level=escalated.level, reason=escalated.reason, deadline=escalated.deadline,
        escalated_at=escalated.escalated_at)


def step_event(step):
    """``(event_type, payload)`` of a step taken: ``ticket_escalated``, or ``hold_recheck_due``."""
    if isinstance(step, HoldRecheckDue):
        return "hold_recheck_due", events.new_event(
            events.HoldRecheckDue, number=step.number, department_code=step.department_code,
            recheck_at=step.recheck_at, due_at=step.due_at)
    return "ticket_escalated", escalated_event(step)


def supervise(repo, ladder, notices, now, owner, lease_seconds=60, batch=1000):
    """Take every ladder step that has come due; returns a ``TickReport``."""
    report = TickReport()
    report.due, claimed = repo.claim_due(now, events.utcnow(), lease_seconds, owner, batch)
    report.claimed = len(claimed)
    queue = []  # the notifications of every step taken, queued together at the end
    for doc in claimed:
        watch = Watch.from_doc(doc)
        due = ladder.due(doc, now)
        outgoing = []
        for step in due:
            outgoing += notices.for_step(doc, step, ladder.level(step.level) if step.level else None, now)
        taken = watch.take_steps(due, now)
        recorded = [(e.step_key, outboxed(*step_event(e))) for e in taken]
        if not repo.record_steps(doc, recorded, outgoing, ladder.next_check(watch.after_steps(taken)), now):
            repo.release(doc)  # an event changed it meanwhile: the next tick looks again
            continue
        queue += outgoing
        for escalated in taken:
            if isinstance(escalated, HoldRecheckDue):
                log.info("%s: recheck day of its hold", watch.number)
                continue
            log.info("%s: %s (%s)", watch.number, escalated.level, escalated.reason)
            report.levels[escalated.level] = report.levels.get(escalated.level, 0) + 1
        report.steps += len(taken)
        if taken:
            report.touched.append(watch.id)
    report.queued = repo.queue_recorded(report.touched, queue)
    return report


def deliver(repo, channels, policy, now, zone, citizen_contact, lease_seconds=60, batch=200,
            concurrency=DELIVERY_CONCURRENCY, observe=None, receipt_allowed=None):
    """Try every notification whose time has come; returns ``{status: count}``.

    Each destination's notifications go in order, one after another; up to
    ``concurrency`` destinations at once, so a slow channel or a slow contact
    lookup (intake not answering) holds only its own. ``observe(channel,
    status)``, if given, hears of every attempt; ``receipt_allowed`` is the
    receipt SMS quota (``delivery.attempt``). Recipients and errors are logged
    masked (``shared.platform.privacy``).
    """
    counts = {}
    queues = {}  # destination -> its notifications, oldest first
    for notification_id in repo.due_notification_ids(now, batch):
        notification = repo.claim_notification(notification_id, now, events.utcnow(), lease_seconds)
        if notification is not None:
            queues.setdefault(destination(notification), []).append((notification_id, notification))

    def one(notification_id, notification):
        (status, when, note), sent = attempt(notification, channels, policy, now, zone,
                                             citizen_contact, receipt_allowed)
        repo.record_attempt(notification_id, status, when, mask_text(note), sent, now)
        counts[status] = counts.get(status, 0) + 1
        if observe is not None and status != "waiting":
            observe(sent["channel"], status)
        if status in ("retrying", "failed"):
            log.warning("%s to %s via %s %s: %s", notification["key"], mask_recipient(sent.get("recipient")),
                        sent["channel"], status, mask_text(note))

    def in_order(entries):
        for entry in entries:
            one(*entry)

    pool = eventlet.GreenPool(max(1, int(concurrency)))
    for _ in pool.imap(in_order, queues.values()):
        pass
    return counts


def destination(notification):
    """Where a notification goes: its channel and recipient (a citizen's, by ticket)."""
    if notification["channel"] == "citizen":
        return ("citizen", notification["number"])
    return (notification["channel"], notification.get("recipient"))


# -- the timers' handlers ---------------------------------------------------------------

def supervision_tick(deps):
    """The ladder's tick: take the steps due, publish their events, count them."""
    rules = deps.rules
    report = supervise(deps.watches, rules.ladder, rules.notices, deps.clock.now(),
                       rules.instance, rules.lease_seconds, rules.tick_batch)
    deps.watches.publish_steps(report.touched, deps.dispatch)
    for level, count in report.levels.items():
        deps.metrics.escalations.labels(level).inc(count)
    return {"due": report.due, "claimed": report.claimed, "steps": report.steps, "queued": report.queued}


def delivery_tick(deps):
    """The delivery queue's tick: send what is due; counts by outcome."""
    rules = deps.rules
    attempts = deps.metrics.notification_attempts
    allowed = (lambda phone, notification: receipt_allowed(deps, phone, notification)) \
        if rules.receipts_per_phone is not None else None
    return deliver(deps.watches, rules.channels, rules.policy, deps.clock.now(), rules.zone,
                   deps.citizen_contact, rules.lease_seconds, rules.batch,
                   observe=lambda channel, status: attempts.labels(channel, status).inc(),
                   receipt_allowed=allowed)


def receipt_allowed(deps, phone, notification):
    """At most ``receipt_sms_per_phone_per_day`` receipt SMS per phone and local day."""
    rules = deps.rules
    local = deps.clock.now().astimezone(rules.zone)
    digits = "".join(ch for ch in str(phone) if ch.isdigit())[-11:]
    expire_at = (local + dt.timedelta(days=2)).astimezone(dt.UTC)
    allowed = deps.watches.allow_receipt_sms(digest(rules.secret, digits), local.date().isoformat(),
                                             notification["key"], rules.receipts_per_phone, expire_at)
    if not allowed:
        log.warning("%s: receipt SMS to %s not sent, its %d for today are used", notification["number"],
                    mask_phone(phone), rules.receipts_per_phone)
    return allowed


def outbox_tick(deps):
    """Publish what a broker fault left in the outboxes; queue what a crash left in watches."""
    republish_stale(deps.watches.outbox, deps.dispatch)
    republish_stale(deps.watches.clock_outbox, deps.dispatch)
    moved = deps.watches.queue_left_behind(deps.clock.now() - PENDING_GRACE)
    if moved:
        log.warning("queued %d notification(s) a crash left with their step", moved)
    return moved
