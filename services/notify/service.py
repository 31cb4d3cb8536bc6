"""notify: watch every case's deadlines.

Consumes ``followup.case_opened``; publishes ``deadline_watched``. The
supervision ladder (reminders, yellow and red cards, 督办) reads the
``next_check_at`` index this keeps.
"""
import logging

from nameko.events import EventDispatcher

from services.notify import domain
from services.notify.store import WatchRepository
from shared import events
from shared.jsonable import jsonable
from shared.messaging import DeadLetters, consumes, event_handler, rpc
from shared.mongo import Store
from shared.outbox import outboxed, publish_saved, republish_stale
from shared.timer import every

log = logging.getLogger(__name__)


class NotifyService:
    name = "notify"

    watches = Store(WatchRepository)
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()

    @event_handler("followup", "case_opened", requeue_on_error=True)
    @consumes(events.CaseOpened)
    def on_case_opened(self, case):
        watch = domain.watch_case(case, events.utcnow())
        watched = events.new_event(events.DeadlineWatched, number=watch["number"],
                                   deadline=watch["deadline"], next_check_at=watch["next_check_at"])
        doc = self.watches.watch(watch, [outboxed("deadline_watched", watched)])
        if doc is None:
            log.info("case %s is watched already; redelivery ignored", case["number"])
            return
        publish_saved(self.watches.outbox, self.dispatch, doc["_id"])
        log.info("watching %s: sign for by %s, reply by %s", watch["number"],
                 watch["sign_for_deadline"].isoformat(), watch["deadline"].isoformat())

    @rpc
    def get_watch(self, number):
        return jsonable(self.watches.get(number))

    @rpc
    def ping(self):
        return "notify"

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.watches.outbox, self.dispatch)
