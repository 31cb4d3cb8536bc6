"""Save state and the events it produces together; publish after.

MongoDB updates one document atomically, so an aggregate (a ticket, a case)
carries its own unpublished events in an ``outbox`` array, written in the same
update as the state change. After the write the entrypoint publishes them and
pulls each one out; a timer re-publishes whatever a crash left behind. A crash
between publishing and pulling publishes an event twice, which consumers
absorb (they are idempotent by ``event_id`` or by expected state).

Events are published ``mandatory`` (``shared.platform.messaging.EventDispatcher``): one
that no queue takes -- the topology is missing -- raises
``UndeliverableMessage``, stays in the outbox, is logged as an error and
counted (``STATS``), and is tried again by the timer, while the other pending
events are still published.
"""
import logging
from datetime import timedelta

from nameko.amqp.publish import UndeliverableMessage

from shared.contract.events import utcnow

log = logging.getLogger(__name__)

# Process-wide counts, for metrics and the readiness report.
STATS = {"published": 0, "unroutable": 0}


def outboxed(event_type, payload):
    """An outbox entry for ``payload`` (built with ``shared.contract.events.new_event``)."""
    return {"event_id": payload["event_id"], "event_type": event_type,
            "payload": payload, "queued_at": utcnow()}


class Outbox:
    """The pending events embedded in one collection's documents."""

    def __init__(self, collection):
        self.collection = collection

    def ensure_indexes(self):
        self.collection.create_index("outbox.queued_at", sparse=True)

    def pending(self, doc_id=None, older_than=None, limit=500):
        """Yield ``(doc_id, entry)`` still waiting to be published."""
        if doc_id is not None:
            query = {"_id": doc_id}
        else:
            query = {"outbox.queued_at": {"$lte": older_than or utcnow()}}
        for doc in self.collection.find(query, {"outbox": 1}).limit(limit):
            for entry in doc.get("outbox") or []:
                yield doc["_id"], entry

    def mark_published(self, doc_id, event_id):
        self.collection.update_one(
            {"_id": doc_id}, {"$pull": {"outbox": {"event_id": event_id}}})


def publish_pending(outbox, dispatch, doc_id=None, grace_seconds=None, pending=None):
    """Publish pending events through nameko's ``dispatch``; return how many.

    With ``doc_id``: the events the current entrypoint just saved -- ``pending``,
    that document's outbox as its write left it, or else read from the store.
    Without: the ones older than ``grace_seconds`` (left by a crash or a broker outage).
    """
    if doc_id is not None and pending is not None:
        entries = [(doc_id, entry) for entry in pending]
    else:
        older_than = None
        if doc_id is None:
            older_than = utcnow() - timedelta(seconds=grace_seconds or 0)
        entries = list(outbox.pending(doc_id=doc_id, older_than=older_than))
    return sum(publish_entry(outbox, dispatch, pending_id, entry) for pending_id, entry in entries)


def publish_entry(outbox, dispatch, doc_id, entry):
    """Publish one pending event and pull it from the outbox; False if no queue took it.

    A broker fault (connection lost) propagates: the event stays pending.
    """
    try:
        dispatch(entry["event_type"], entry["payload"])
    except UndeliverableMessage:
        STATS["unroutable"] += 1
        log.error("event %s (%s of %s) was taken by no queue: kept in the outbox and tried "
                  "again; is the topology declared? (`hotline topology`)",
                  entry["event_id"], entry["event_type"], doc_id)
        return False
    outbox.mark_published(doc_id, entry["event_id"])
    STATS["published"] += 1
    return True


def publish_saved(outbox, dispatch, doc_id, pending=None):
    """For an entrypoint, right after saving: publish what it saved, best effort
    (``pending``: the document's outbox as the save left it, if the caller has it).

    The state change is committed already, so a broker fault here must not
    fail the request: the events stay in the outbox and the timer publishes
    them (``republish_stale``).
    """
    try:
        return publish_pending(outbox, dispatch, doc_id, pending=pending)
    except Exception:
        log.warning("could not publish events of %s now; the outbox timer will", doc_id,
                    exc_info=True)
        return 0


def republish_stale(outbox, dispatch, grace_seconds=5):
    """For a service's outbox timer: publish what an earlier worker left behind."""
    count = publish_pending(outbox, dispatch, grace_seconds=grace_seconds)
    if count:
        log.warning("re-published %d event(s) left in the outbox", count)
    return count
