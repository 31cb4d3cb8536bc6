"""Learning from events: every case event updates the case's watch (get, learn, save).

One unit of work per event (``shared.platform.unit_of_work``): load the watch,
let ``Watch.learn`` say what the event changes, queue the notifications it asks
for, and save the changes with the ``deadline_watched`` event the ladder's new
schedule calls for -- conditional on the watch's revision, so a worker that
lost the race to another loads it again (up to ``OPTIMISTIC_RETRIES`` times:
the events of one case come in bursts). The event is published after the save.
"""
import logging

from services.notify.domain.watch import DeadlineWatched, part_event
from shared.contract import events
from shared.platform import mirror as shared_mirror
from shared.platform.outbox import outboxed
from shared.platform.privacy import scrub
from shared.timelimits.deadlines import UNCOVERED

log = logging.getLogger(__name__)


def learn(deps, kind, event, audiences=("citizen", "department")):
    """Apply ``event`` (of ``kind``, see ``domain.watch.KINDS``) to its case's watch; notify
    the ``audiences`` its messages are for."""
    now = deps.clock.now()
    know_departments(deps, event)
    uow = deps.uow()

    def work():
        watch = deps.watches.load(event["number"], now)
        if watch.has_applied(event["event_id"]):
            log.info("%s: event %s applied already", event["number"], event["event_id"])
            return
        learned = watch.learn(kind, event, now)
        deps.watches.enqueue([note for message in learned.messages if message.audience.startswith(audiences)
                              for note in deps.rules.notices.for_message(learned.after, message, now)])
        if learned.changes is None:
            return
        # the ladder's steps are worked out once, for the next check and the calendar's cover
        steps = deps.rules.ladder.steps(learned.after)
        next_check = deps.rules.ladder.next_check(learned.after, steps)
        changes, outbox = learned.changes, []
        if learned.reschedules:
            check_calendar(deps.rules, learned.after, steps)
            watched = deadline_watched(learned.watched(next_check))
            outbox.append(outboxed("deadline_watched", watched))
            changes = dict(changes, watched_event=watched)  # for republish_watch
        deps.watches.save(uow, watch, event["event_id"], changes, next_check, outbox)
        log.info("%s: %s; next check %s", event["number"], kind,
                 next_check.isoformat() if next_check else "none")

    uow.run(work)


def learn_part(deps, event_type, event):
    """A step of a co-handling or passed-down unit's part: its own watch learns it, and only
    the unit is told (the citizen hears of the case as a whole)."""
    found = part_event(event_type, event)
    if found is not None:
        learn(deps, *found, audiences=("department",))


def know_departments(deps, event):
    """A department added a moment ago, or before notify started, is asked of routing
    now (briefly): its notices name the department rather than its code."""
    for code in {event.get("department_code"), event.get("new_department_code")} - {None, ""}:
        if deps.directory.department(code) is None and deps.directory.may_ask(code):
            shared_mirror.department_from_routing(deps.directory, deps.routing, code, timeout=1)


def deadline_watched(watched: DeadlineWatched):
    """The contract's ``deadline_watched`` event for the domain's."""
    return events.new_event(
        events.DeadlineWatched, number=watched.number, deadline=watched.deadline,
        next_check_at=watched.next_check_at, department_code=watched.department_code,
        attempt=watched.attempt)


def check_calendar(rules, watch, steps=None):
    """Warn (and count) when the ladder's working days run over uncovered days
    (``steps``: the watch's ladder, when the caller has it)."""
    steps = rules.ladder.steps(watch) if steps is None else steps
    start = watch.get("dispatched_at") or watch.get("round_started_at")
    if not steps or start is None:
        return
    zone = rules.zone
    days = rules.calendar.uncovered(start.astimezone(zone).date(), steps[-1].at.astimezone(zone).date())
    if days:
        UNCOVERED.report(rules.calendar, f"the supervision ladder of {watch['number']}", days)


def ticket_stalled(deps, stalled):
    """intake's reconciler could not get a ticket moving: tell the supervisors (once)."""
    rules = deps.rules
    queued = deps.watches.enqueue(rules.notices.for_stall(
        stalled, rules.ladder.level(rules.stalled_level), deps.clock.now()))
    log.warning("%s stalled at %s: supervisors told (%d notification(s))",
                stalled["number"], stalled["stage"], queued)
    return queued


def personal_data_erased(deps, number):
    """intake erased a closed ticket's personal data: scrub this service's copy too."""
    deps.watches.erase_personal_data(number, scrub)
