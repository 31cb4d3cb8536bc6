"""notify: watch every case's deadlines, escalate late ones, deliver notifications.

Consumes ``routing.ticket_assigned`` and followup's case events (opened,
signed for, refused, extension decided, reply submitted/approved/rejected,
callback recorded, reopened, closed) into its own watch per case; publishes
``deadline_watched`` and ``ticket_escalated`` (through the watch's outbox).

Two timers: the ladder's tick (``NOTIFY_TICK_INTERVAL``) takes the steps that
have come due, and queues their notifications; the delivery tick
(``NOTIFY_DELIVERY_INTERVAL``) sends what is due over email, webhooks and SMS.
Any number of notify instances can run side by side (see
``adapters/repository.py``).

Each entrypoint hands its message to a handler (``handlers/``) with the
dependencies ``bootstrap.deps`` bundles; the rules are in ``domain/``.
"""
from services.notify import bootstrap
from services.notify.adapters.repository import NotifyRepository
from services.notify.handlers import demo_clock, knowledge, learning, queries, ratings, reports, ticks
from shared.contract import events
from shared.platform import mirror as shared_mirror
from shared.platform import ops
from shared.platform.clock import Clock, ClockRefused
from shared.platform.doors import Doors, People, Public, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.production import ProductionChecks
from shared.platform.timer import every


class NotifyService(ops.Operable):
    name = "notify"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline notify", "version": "2",
                    "description": "notify's operations port: health, readiness, metrics (its work is events)."}
    operations = ops.Operations(calendar=True)  # it computes the ladder's working days

    production = ProductionChecks()
    watches = Store(NotifyRepository)
    directory = shared_mirror.Mirror()   # departments and calendar, from routing
    rules = bootstrap.Rules()
    clock = Clock()                      # real time, or the demo clock notify moves
    intake = RpcProxy("intake")
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    routing = RpcProxy("routing")  # the directory
    followup = RpcProxy("followup")  # the citizen's rating links
    insight = RpcProxy("insight")  # the monthly report's files, attached to its e-mail

    # -- routing's directory and calendar (shared.platform.mirror) ----------------

    @event_handler("routing", "department_changed", requeue_on_error=True)
    @consumes(events.DepartmentChanged)
    def on_department_changed(self, event):
        shared_mirror.learn_department(self.directory, event)

    @event_handler("routing", "calendar_year_loaded", requeue_on_error=True)
    @consumes(events.CalendarYearLoaded)
    def on_calendar_year_loaded(self, event):
        shared_mirror.learn_year(self.directory, event)

    @every("DIRECTORY_SYNC_INTERVAL", default=60, eager=True, retry=2)
    def sync_directory(self):
        return shared_mirror.sync(self.directory, self.routing)

    # -- learning from events (handlers.learning) ----------------------------------

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        learning.learn(bootstrap.deps(self), "assigned", event)

    @event_handler("followup", "case_opened", requeue_on_error=True)
    @consumes(events.CaseOpened)
    def on_case_opened(self, event):
        learning.learn(bootstrap.deps(self), "opened", event)

    @event_handler("followup", "case_signed_for", requeue_on_error=True)
    @consumes(events.CaseSignedFor)
    def on_case_signed_for(self, event):
        learning.learn(bootstrap.deps(self), "signed_for", event)

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, event):
        learning.learn(bootstrap.deps(self), "refused", event)

    @event_handler("followup", "extension_decided", requeue_on_error=True)
    @consumes(events.ExtensionDecided)
    def on_extension_decided(self, event):
        learning.learn(bootstrap.deps(self), "extension_decided", event)

    @event_handler("followup", "reply_submitted", requeue_on_error=True)
    @consumes(events.ReplySubmitted)
    def on_reply_submitted(self, event):
        learning.learn(bootstrap.deps(self), "replied", event)

    @event_handler("followup", "reply_approved", requeue_on_error=True)
    @consumes(events.ReplyApproved)
    def on_reply_approved(self, event):
        learning.learn(bootstrap.deps(self), "reply_approved", event)
        ratings.send_rating_link(bootstrap.deps(self), event)  # the citizen's own rating (一事一评)

    @event_handler("followup", "reply_rejected", requeue_on_error=True)
    @consumes(events.ReplyRejected)
    def on_reply_rejected(self, event):
        learning.learn(bootstrap.deps(self), "reply_rejected", event)

    @event_handler("followup", "callback_recorded", requeue_on_error=True)
    @consumes(events.CallbackRecorded)
    def on_callback_recorded(self, event):
        learning.learn(bootstrap.deps(self), "callback_recorded", event)

    @event_handler("followup", "case_reopened", requeue_on_error=True)
    @consumes(events.CaseReopened)
    def on_case_reopened(self, event):
        learning.learn(bootstrap.deps(self), "reopened", event)

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, event):
        learning.learn(bootstrap.deps(self), "closed", event)

    # -- the parts of a case other units hold (followup's tree): a watch each ------------

    @event_handler("followup", "assignment_opened", requeue_on_error=True)
    @consumes(events.AssignmentOpened)
    def on_assignment_opened(self, event):
        learning.learn_part(bootstrap.deps(self), "assignment_opened", event)

    @event_handler("followup", "assignment_signed_for", requeue_on_error=True)
    @consumes(events.AssignmentSignedFor)
    def on_assignment_signed_for(self, event):
        learning.learn_part(bootstrap.deps(self), "assignment_signed_for", event)

    @event_handler("followup", "assignment_refused", requeue_on_error=True)
    @consumes(events.AssignmentRefused)
    def on_assignment_refused(self, event):
        learning.learn_part(bootstrap.deps(self), "assignment_refused", event)

    @event_handler("followup", "refusal_reviewed", requeue_on_error=True)
    @consumes(events.RefusalReviewed)
    def on_refusal_reviewed(self, event):
        learning.learn_part(bootstrap.deps(self), "refusal_reviewed", event)

    @event_handler("followup", "assignment_replied", requeue_on_error=True)
    @consumes(events.AssignmentReplied)
    def on_assignment_replied(self, event):
        learning.learn_part(bootstrap.deps(self), "assignment_replied", event)

    @event_handler("followup", "assignment_reviewed", requeue_on_error=True)
    @consumes(events.AssignmentReviewed)
    def on_assignment_reviewed(self, event):
        learning.learn_part(bootstrap.deps(self), "assignment_reviewed", event)

    @event_handler("followup", "assignment_extension_decided", requeue_on_error=True)
    @consumes(events.AssignmentExtensionDecided)
    def on_assignment_extension_decided(self, event):
        learning.learn_part(bootstrap.deps(self), "assignment_extension_decided", event)

    @event_handler("followup", "assignment_ended", requeue_on_error=True)
    @consumes(events.AssignmentEnded)
    def on_assignment_ended(self, event):
        """A part is over (done, refused or withdrawn): its watch stops."""
        learning.learn_part(bootstrap.deps(self), "assignment_ended", event)

    @event_handler("followup", "appeal_filed", requeue_on_error=True)
    @consumes(events.AppealFiled)
    def on_appeal_filed(self, event):
        """A unit appealed a scored event (考核申诉): tell it the appeal is in."""
        learning.learn(bootstrap.deps(self), "appeal_filed", event)

    @event_handler("followup", "appeal_decided", requeue_on_error=True)
    @consumes(events.AppealDecided)
    def on_appeal_decided(self, event):
        """A supervisor decided an appeal: tell the unit."""
        learning.learn(bootstrap.deps(self), "appeal_decided", event)

    @event_handler("insight", "assessment_published", requeue_on_error=True)
    @consumes(events.AssessmentPublished)
    def on_assessment_published(self, event):
        """insight generated the month's assessment (考核通报): mail the supervisors its link and files."""
        reports.assessment_published(bootstrap.deps(self), event)

    @event_handler("followup", "hold_decided", requeue_on_error=True)
    @consumes(events.HoldDecided)
    def on_hold_decided(self, event):
        learning.learn(bootstrap.deps(self), "hold_decided", event)

    @event_handler("followup", "hold_rechecked", requeue_on_error=True)
    @consumes(events.HoldRechecked)
    def on_hold_rechecked(self, event):
        learning.learn(bootstrap.deps(self), "hold_rechecked", event)

    @event_handler("followup", "unreasonable_decided", requeue_on_error=True)
    @consumes(events.UnreasonableDecided)
    def on_unreasonable_decided(self, event):
        learning.learn(bootstrap.deps(self), "unreasonable_decided", event)

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        learning.personal_data_erased(bootstrap.deps(self), event["number"])

    @event_handler("intake", "knowledge_entry_decided", requeue_on_error=True)
    @consumes(events.KnowledgeEntryDecided)
    def on_knowledge_entry_decided(self, event):
        """A reviewer published or sent back a unit's knowledge entry: tell the unit."""
        knowledge.knowledge_notice(bootstrap.deps(self), event)

    @event_handler("intake", "knowledge_review_due", requeue_on_error=True)
    @consumes(events.KnowledgeReviewDue)
    def on_knowledge_review_due(self, event):
        """A unit's knowledge entry expired, reached its review date or was flagged: tell the unit."""
        knowledge.knowledge_notice(bootstrap.deps(self), event)

    @event_handler("intake", "ticket_stalled", requeue_on_error=True)
    @consumes(events.TicketStalled)
    def on_ticket_stalled(self, stalled):
        """intake's reconciler could not get a ticket moving: tell the supervisors (once)."""
        learning.ticket_stalled(bootstrap.deps(self), stalled)

    # -- the ladder, the delivery queue and the outbox (handlers.ticks) ----------------

    @every("NOTIFY_TICK_INTERVAL", default=10)
    def supervise(self):
        return ticks.supervision_tick(bootstrap.deps(self))

    @every("NOTIFY_DELIVERY_INTERVAL", default=2)
    def deliver(self):
        return ticks.delivery_tick(bootstrap.deps(self))

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        ticks.outbox_tick(bootstrap.deps(self))

    # -- asking notify (handlers.queries) ------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc
    def get_watch(self, number):
        return queries.get_watch(bootstrap.deps(self), number)

    @door(Services("intake"))
    @rpc
    def republish_watch(self, number):
        """Publish the case's latest ``deadline_watched`` again (the very event) and say
        what the watch is; None if notify has no watch ``number``. (intake's reconciler asks.)"""
        return queries.republish_watch(bootstrap.deps(self), number)

    @door(Services("intake"))
    @rpc
    def part_watches(self, number):
        """The watches of the parts other units hold of the ticket's case: ``[{unit_code,
        state}]``. (intake's reconciler compares them with followup's parts.)"""
        return queries.part_watches(bootstrap.deps(self), number)

    @door(People("admin", "supervisor"))
    @rpc
    def list_notifications(self, number=None, failed=False, limit=200):
        """The notification log, recipients masked; ``limit`` a whole number from 1 to 1000."""
        return queries.list_notifications(bootstrap.deps(self), number, failed, limit)

    @door(Services("intake"), People(*ROLES))  # a department's inbox shows its cards
    @rpc
    def escalations(self, numbers):
        """The cards and supervision orders each open case has earned this round:
        ``{number: [level, ...]}`` (levels in the order they came)."""
        return queries.escalations(bootstrap.deps(self), numbers)

    @door(People(*STAFF_ROLES))
    @rpc
    def supervision_summary(self):
        """Open cases by the highest step they reached: counts, and the numbers behind each."""
        return queries.supervision_summary(bootstrap.deps(self))

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=ClockRefused)
    def preview_ladder(self, dispatched_at, deadline, sign_for_deadline=None, time_limit_class=None):
        """The ladder a case would climb (ISO times in, ISO times out); nothing stored."""
        return queries.preview_ladder(bootstrap.deps(self), dispatched_at, deadline, sign_for_deadline,
                                      time_limit_class)

    @door(People(*STAFF_ROLES))
    @rpc
    def calendar_status(self):
        """notify's calendar: city files known, readiness, deadlines over uncovered days."""
        return queries.calendar_status(bootstrap.deps(self))

    # -- the demo clock (handlers.demo_clock) -------------------------------------------------

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*STAFF_ROLES))
    @rpc
    def get_clock(self):
        """The shared clock: real time, or real time plus the demo offset."""
        return demo_clock.get_clock(bootstrap.deps(self))

    @door(People("admin"))
    @rpc(expected_exceptions=ClockRefused)
    def set_clock_offset(self, seconds, by=""):
        """Demo mode: the clock is real time plus ``seconds`` (every service follows)."""
        return demo_clock.set_clock_offset(bootstrap.deps(self), seconds, by)

    @door(People("admin"))
    @rpc(expected_exceptions=ClockRefused)
    def advance_clock(self, seconds, by=""):
        """Demo mode: move the clock ``seconds`` further (negative: back)."""
        return demo_clock.advance_clock(bootstrap.deps(self), seconds, by)

    @door(Public())
    @rpc
    def ping(self):
        return "notify"
