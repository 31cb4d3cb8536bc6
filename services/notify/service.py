"""notify: watch every case's deadlines, escalate late ones, deliver notifications.

Consumes ``routing.ticket_assigned`` and followup's case events (opened,
signed for, refused, extension decided, reply submitted/approved/rejected,
callback recorded, reopened, closed) into its own watch per case; publishes
``deadline_watched`` and ``ticket_escalated`` (through the watch's outbox).

Two timers: the ladder's tick (``NOTIFY_TICK_INTERVAL``) takes the steps that
have come due, and queues their notifications; the delivery tick
(``NOTIFY_DELIVERY_INTERVAL``) sends what is due over email, webhooks and SMS.
Any number of notify instances can run side by side (see ``store.py``).
"""
import datetime as dt
import logging

import eventlet

from services.notify import domain, work
from services.notify.delivery import ContactUnavailable
from services.notify.dependencies import Rules
from services.notify.ladder import WATCHING
from services.notify.store import NotifyRepository
from shared.contract import events
from shared.platform import mirror as shared_mirror
from shared.platform import ops
from shared.platform.checks import whole_number
from shared.platform.clock import Clock, ClockRefused, check_offset
from shared.platform.doors import Doors, People, Public, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES
from shared.platform.jsonable import jsonable
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.outbox import outboxed, publish_saved, republish_stale
from shared.platform.privacy import digest, mask_phone, scrub
from shared.platform.production import ProductionChecks
from shared.platform.timer import every
from shared.timelimits.calendar import readiness
from shared.timelimits.deadlines import UNCOVERED

log = logging.getLogger(__name__)

OPTIMISTIC_RETRIES = 10
PENDING_GRACE = dt.timedelta(seconds=30)
# deadline_watched follows these (not routing's ticket_assigned, which followup's
# case_opened confirms: the watch is announced after the case is open).
RESCHEDULING = ("opened", "reopened", "extension_decided")


def parse_time(value, name):
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ClockRefused(f"{name}: an ISO date-time with its offset") from None
    if moment.tzinfo is None:
        raise ClockRefused(f"{name}: give the offset (+08:00)")
    return moment.astimezone(dt.UTC)


class NotifyService(ops.Operable):
    name = "notify"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline notify", "version": "2",
                    "description": "notify's operations port: health, readiness, metrics (its work is events)."}
    operations = ops.Operations(calendar=True)  # it computes the ladder's working days

    production = ProductionChecks()
    watches = Store(NotifyRepository)
    directory = shared_mirror.Mirror()   # departments and calendar, from routing
    rules = Rules()
    clock = Clock()                      # real time, or the demo clock notify moves
    intake = RpcProxy("intake")
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    routing = RpcProxy("routing")  # the directory

    # -- routing's directory and calendar (shared.platform.mirror) ----------------

    @event_handler("routing", "department_changed", requeue_on_error=True)
    @consumes(events.DepartmentChanged)
    def on_department_changed(self, event):
        shared_mirror.learn_department(self.directory, event)

    @event_handler("routing", "calendar_year_loaded", requeue_on_error=True)
    @consumes(events.CalendarYearLoaded)
    def on_calendar_year_loaded(self, event):
        shared_mirror.learn_year(self.directory, event)

    @every("DIRECTORY_SYNC_INTERVAL", default=60, eager=True)
    def sync_directory(self):
        return shared_mirror.sync(self.directory, self.routing)

    # -- learning from events ------------------------------------------------------

    def _learn(self, kind, event):
        now = self.clock.now()
        for code in {event.get("department_code"), event.get("new_department_code")} - {None, ""}:
            if self.directory.department(code) is None and self.directory.may_ask(code):
                # added a moment ago, or notify started before routing told it: its notices
                # name the department, so ask routing now (briefly) rather than write the code
                shared_mirror.department_from_routing(self.directory, self.routing, code, timeout=1)
        for _ in range(OPTIMISTIC_RETRIES):
            watch = self.watches.watch_for(event["number"], now)
            if event["event_id"] in (watch.get("applied") or ()):
                log.info("%s: event %s applied already", event["number"], event["event_id"])
                return
            changes = domain.apply(watch, kind, event, now)
            merged = dict(watch, **(changes or {}))
            notes = [note for message in domain.messages(kind, event)
                     for note in self.rules.notices.for_message(merged, message, now)]
            self.watches.enqueue(notes)
            if changes is None:
                return
            next_check = self.rules.ladder.next_check(merged)
            outbox = []
            if kind in RESCHEDULING and merged.get("deadline") and merged.get("state") == WATCHING:
                self._check_calendar(merged)
                watched = events.new_event(
                    events.DeadlineWatched, number=merged["number"], deadline=merged["deadline"],
                    next_check_at=next_check or merged["deadline"],
                    department_code=merged.get("department_code"), attempt=merged.get("attempt"))
                outbox.append(outboxed("deadline_watched", watched))
                changes = dict(changes, watched_event=watched)  # for republish_watch
            if self.watches.apply(watch, event["event_id"], changes, next_check, outbox):
                publish_saved(self.watches.outbox, self.dispatch, watch["_id"])
                log.info("%s: %s; next check %s", event["number"], kind,
                         next_check.isoformat() if next_check else "none")
                return
        raise RuntimeError(f"{event['number']}: the watch kept changing under {kind}")

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        self._learn("assigned", event)

    @event_handler("followup", "case_opened", requeue_on_error=True)
    @consumes(events.CaseOpened)
    def on_case_opened(self, event):
        self._learn("opened", event)

    @event_handler("followup", "case_signed_for", requeue_on_error=True)
    @consumes(events.CaseSignedFor)
    def on_case_signed_for(self, event):
        self._learn("signed_for", event)

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, event):
        self._learn("refused", event)

    @event_handler("followup", "extension_decided", requeue_on_error=True)
    @consumes(events.ExtensionDecided)
    def on_extension_decided(self, event):
        self._learn("extension_decided", event)

    @event_handler("followup", "reply_submitted", requeue_on_error=True)
    @consumes(events.ReplySubmitted)
    def on_reply_submitted(self, event):
        self._learn("replied", event)

    @event_handler("followup", "reply_approved", requeue_on_error=True)
    @consumes(events.ReplyApproved)
    def on_reply_approved(self, event):
        self._learn("reply_approved", event)

    @event_handler("followup", "reply_rejected", requeue_on_error=True)
    @consumes(events.ReplyRejected)
    def on_reply_rejected(self, event):
        self._learn("reply_rejected", event)

    @event_handler("followup", "callback_recorded", requeue_on_error=True)
    @consumes(events.CallbackRecorded)
    def on_callback_recorded(self, event):
        self._learn("callback_recorded", event)

    @event_handler("followup", "case_reopened", requeue_on_error=True)
    @consumes(events.CaseReopened)
    def on_case_reopened(self, event):
        self._learn("reopened", event)

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, event):
        self._learn("closed", event)

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        self.watches.erase_personal_data(event["number"], scrub)

    def _check_calendar(self, watch):
        """Warn (and count) when the ladder's working days run over uncovered days."""
        steps = self.rules.ladder.steps(watch)
        start = watch.get("dispatched_at") or watch.get("round_started_at")
        if not steps or start is None:
            return
        zone = self.rules.zone
        days = self.rules.calendar.uncovered(start.astimezone(zone).date(),
                                             steps[-1].at.astimezone(zone).date())
        if days:
            UNCOVERED.report(self.rules.calendar, f"the supervision ladder of {watch['number']}", days)

    @event_handler("intake", "ticket_stalled", requeue_on_error=True)
    @consumes(events.TicketStalled)
    def on_ticket_stalled(self, stalled):
        """intake's reconciler could not get a ticket moving: tell the supervisors (once)."""
        queued = self.watches.enqueue(self.rules.notices.for_stall(
            stalled, self.rules.ladder.level(self.rules.stalled_level), self.clock.now()))
        log.warning("%s stalled at %s: supervisors told (%d notification(s))",
                    stalled["number"], stalled["stage"], queued)

    # -- the ladder and the delivery queue -------------------------------------------

    @every("NOTIFY_TICK_INTERVAL", default=10)
    def supervise(self):
        rules = self.rules
        report = work.supervise(self.watches, rules.ladder, rules.notices, self.clock.now(),
                                rules.instance, rules.lease_seconds, rules.tick_batch)
        self.watches.publish_steps(report.touched, self.dispatch)
        for level, count in report.levels.items():
            self.operations.metrics.escalations.labels(level).inc(count)
        return {"due": report.due, "claimed": report.claimed, "steps": report.steps,
                "queued": report.queued}

    @every("NOTIFY_DELIVERY_INTERVAL", default=2)
    def deliver(self):
        rules = self.rules
        attempts = self.operations.metrics.notification_attempts
        return work.deliver(self.watches, rules.channels, rules.policy, self.clock.now(),
                            rules.zone, self._citizen_contact, rules.lease_seconds, rules.batch,
                            observe=lambda channel, status: attempts.labels(channel, status).inc(),
                            receipt_allowed=self._receipt_allowed if rules.receipts_per_phone is not None
                            else None)

    def _receipt_allowed(self, phone, notification):
        """At most ``receipt_sms_per_phone_per_day`` receipt SMS per phone and local day."""
        rules = self.rules
        local = self.clock.now().astimezone(rules.zone)
        digits = "".join(ch for ch in str(phone) if ch.isdigit())[-11:]
        expire_at = (local + dt.timedelta(days=2)).astimezone(dt.UTC)
        allowed = self.watches.allow_receipt_sms(digest(rules.secret, digits), local.date().isoformat(),
                                                 notification["key"], rules.receipts_per_phone, expire_at)
        if not allowed:
            log.warning("%s: receipt SMS to %s not sent, its %d for today are used", notification["number"],
                        mask_phone(phone), rules.receipts_per_phone)
        return allowed

    def _citizen_contact(self, number):
        """Ask intake for the citizen's contact; intake down is a retry, not a crash."""
        try:
            with eventlet.Timeout(self.rules.contact_timeout):
                return self.intake.get_citizen_contact.call_async(number).result()
        except eventlet.Timeout:
            raise ContactUnavailable(
                f"intake did not answer get_citizen_contact in {self.rules.contact_timeout}s") from None
        except Exception as exc:
            raise ContactUnavailable(f"intake get_citizen_contact failed: {exc!r}") from exc

    # -- asking notify -----------------------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc
    def get_watch(self, number):
        return jsonable(self.watches.get(number))

    @door(Services("intake"))
    @rpc
    def republish_watch(self, number):
        """Publish the case's latest ``deadline_watched`` again (the very event) and say
        what the watch is; None if notify has no watch ``number``. (intake's reconciler asks.)"""
        watch = self.watches.standing(number) if isinstance(number, str) else None
        if watch is None:
            return None
        payload = watch.pop("watched_event", None)
        if payload:
            self.dispatch("deadline_watched", payload)
        return jsonable(dict(watch, republished=bool(payload)))

    @door(People("admin", "supervisor"))
    @rpc
    def list_notifications(self, number=None, failed=False, limit=200):
        """The notification log, recipients masked; ``limit`` a whole number from 1 to 1000."""
        limit = whole_number("limit", limit, 1, 1000)
        if number is not None and not isinstance(number, str):
            raise ValueError("number must be a ticket number")
        return jsonable(self.watches.list_notifications(number, bool(failed), limit))

    @door(Services("intake"), People(*ROLES))  # a department's inbox shows its cards
    @rpc
    def escalations(self, numbers):
        """The cards and supervision orders each open case has earned this round:
        ``{number: [level, ...]}`` (levels in the order they came)."""
        if not isinstance(numbers, list) or len(numbers) > 500:
            return {}
        return {w["number"]: w["levels"] for w in self.watches.escalated([str(n) for n in numbers])}

    @door(People(*STAFF_ROLES))
    @rpc
    def supervision_summary(self):
        """Open cases by the highest step they reached: counts, and the numbers behind each."""
        summary = {}
        for watch in self.watches.escalated():
            top = watch["levels"][-1]
            row = summary.setdefault(top, {"level": top, "count": 0, "numbers": [], "departments": {}})
            row["count"] += 1
            if len(row["numbers"]) < 500:
                row["numbers"].append(watch["number"])
            dept = watch.get("department_code") or "?"
            row["departments"][dept] = row["departments"].get(dept, 0) + 1
        return sorted(summary.values(), key=lambda r: r["level"])

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*STAFF_ROLES))
    @rpc
    def get_clock(self):
        """The shared clock: real time, or real time plus the demo offset."""
        return {"now": self.clock.now().isoformat(), "offset_seconds": self.clock.offset.total_seconds(),
                "version": self.clock.version, "demo": self.clock.demo}

    def _move_clock(self, new_offset, by):
        if not self.clock.demo:
            raise ClockRefused("the clock moves only in demo mode (HOTLINE_DEMO=1)")
        offset, version = self.watches.move_clock(new_offset, by, events.utcnow())
        publish_saved(self.watches.clock_outbox, self.dispatch, "clock")
        self.clock.accept(offset, version)
        log.warning("demo clock set to real time %+.0f s by %s (version %d)", offset, by or "?", version)
        return offset

    @door(People("admin"))
    @rpc(expected_exceptions=ClockRefused)
    def set_clock_offset(self, seconds, by=""):
        """Demo mode: the clock is real time plus ``seconds`` (every service follows)."""
        offset = check_offset(seconds)
        return self._move_clock(lambda current: offset, by)

    @door(People("admin"))
    @rpc(expected_exceptions=ClockRefused)
    def advance_clock(self, seconds, by=""):
        """Demo mode: move the clock ``seconds`` further (negative: back)."""
        step = check_offset(seconds, "the step")
        return self._move_clock(lambda current: current + step, by)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=ClockRefused)
    def preview_ladder(self, dispatched_at, deadline, sign_for_deadline=None, time_limit_class=None):
        """The ladder a case would climb (ISO times in, ISO times out); nothing stored."""
        watch = {"state": "watching", "number": "preview", "round": 1,
                 "dispatched_at": parse_time(dispatched_at, "dispatched_at"),
                 "deadline": parse_time(deadline, "deadline"),
                 "time_limit_class": time_limit_class}
        if sign_for_deadline:
            watch["sign_for_deadline"] = parse_time(sign_for_deadline, "sign_for_deadline")
        if watch["deadline"] <= watch["dispatched_at"]:
            raise ClockRefused("deadline must come after dispatched_at")
        return [{"step": step.name, "at": step.at.isoformat(), "reason": step.reason}
                for step in self.rules.ladder.steps(watch)]

    @door(People(*STAFF_ROLES))
    @rpc
    def calendar_status(self):
        """notify's calendar: city files known, readiness, deadlines over uncovered days."""
        calendar = self.rules.calendar
        today = self.clock.now().astimezone(self.rules.zone).date()
        return jsonable({"service": "notify", "calendar": calendar.name,
                         "years": calendar.coverage(today.year, today.year + 1),
                         "readiness": readiness(calendar, today)})

    @door(Public())
    @rpc
    def ping(self):
        return "notify"

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.watches.outbox, self.dispatch)
        republish_stale(self.watches.clock_outbox, self.dispatch)
        moved = self.watches.queue_left_behind(self.clock.now() - PENDING_GRACE)
        if moved:
            log.warning("queued %d notification(s) a crash left with their step", moved)
