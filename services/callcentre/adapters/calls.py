"""Calls: each CTI event stored once, the call's record folded from them, with its outbox.

``call_events`` keys an event by ``callId|event|time`` (``CallEvent.key``): a second
delivery inserts nothing. ``calls`` keeps the record :func:`fold` makes of *all* the
call's stored events. Two events of one call handled at once each insert theirs,
then fold what they read; the record is replaced only by a fold of more events
(``events``), so the fold of the fuller set wins whatever order the writes land in.
The record's events to publish ride in its ``outbox`` (``shared.platform.outbox``).

This is the service's ``Store`` repository: the callback queue, the agents and the
CTI token are its siblings (``callbacks``, ``agents``, ``tokens``).
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.callcentre.adapters.agents import AgentRepository
from services.callcentre.adapters.callbacks import CallbackRepository, aware
from services.callcentre.adapters.tokens import TokenRepository
from services.callcentre.domain.calls import CallEvent, CallRecord
from shared.platform.outbox import Outbox, outboxed

RECORD_FIELDS = ("call_id", "direction", "from_number", "to_number", "queue", "agent", "ringing_at",
                 "answered_at", "ended_at", "cause", "recording_url", "seat", "events")


def event_doc(event: CallEvent):
    return {"_id": event.key, "call_id": event.call_id, "event": event.event, "at": event.at,
            "from": event.from_number, "to": event.to_number, "direction": event.direction,
            "users": list(event.users), "queue": event.queue, "cause": event.cause,
            "answering_number": event.answering_number, "recording_url": event.recording_url,
            "seat": event.seat}


def event_of(doc) -> CallEvent:
    return CallEvent(call_id=doc["call_id"], event=doc["event"], at=aware(doc["at"]),
                     from_number=doc.get("from") or "", to_number=doc.get("to") or "",
                     direction=doc.get("direction") or "in", users=tuple(doc.get("users") or ()),
                     queue=doc.get("queue") or "", cause=doc.get("cause") or "",
                     answering_number=doc.get("answering_number") or "",
                     recording_url=doc.get("recording_url") or "", seat=doc.get("seat") or "")


def record_doc(record: CallRecord):
    doc = {name: getattr(record, name) for name in RECORD_FIELDS}
    doc.update(users=list(record.users), outcome=record.outcome, missed=record.missed,
               wait_seconds=record.wait_seconds, talk_seconds=record.talk_seconds)
    return doc


def record_of(doc) -> CallRecord:
    return CallRecord(**{name: aware(doc.get(name)) if name.endswith("_at") else doc.get(name)
                         for name in RECORD_FIELDS if name not in ("users",)},
                      users=tuple(doc.get("users") or ()))


class CallRepository:
    def __init__(self, database, config):
        self.events = database["call_events"]
        self.calls = database["calls"]
        self.outbox = Outbox(self.calls)
        self.callbacks = CallbackRepository(database)
        self.agents = AgentRepository(database)
        self.tokens = TokenRepository(database)

    def ensure_indexes(self):
        self.events.create_index("call_id")
        self.calls.create_index("ringing_at")
        self.calls.create_index([("outcome", 1), ("ringing_at", 1)])
        self.calls.create_index("users")
        self.outbox.ensure_indexes()
        for repository in (self.callbacks, self.agents, self.tokens):
            repository.ensure_indexes()

    # -- events ----------------------------------------------------------------------

    def add_event(self, event: CallEvent) -> bool:
        """Store the event; False when it was stored before (a repeat)."""
        try:
            self.events.insert_one(event_doc(event))
        except DuplicateKeyError:
            return False
        return True

    def events_of(self, call_id):
        return [event_of(doc) for doc in self.events.find({"call_id": call_id})]

    # -- records ---------------------------------------------------------------------

    def save(self, record: CallRecord, outbox=()):
        """Store the record unless one folded from more events is there; the stored
        document (with its outbox) when this one was written, else None."""
        query = {"_id": record.call_id, "$or": [{"events": {"$lt": record.events}}, {"events": None}]}
        update = {"$set": record_doc(record)}
        if outbox:
            update["$push"] = {"outbox": {"$each": [outboxed(kind, payload) for kind, payload in outbox]}}
        try:
            return self.calls.find_one_and_update(query, update, upsert=True,
                                                  return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            return None  # a fold of at least as many events is stored

    def get(self, call_id):
        doc = self.calls.find_one({"_id": call_id}, {"outbox": 0})
        return record_of(doc) if doc else None

    def ringing_for(self, names, since):
        query = {"outcome": "ringing", "users": {"$in": list(names)}, "ringing_at": {"$gte": since}}
        return [record_of(doc) for doc in self.calls.find(query, {"outbox": 0}).sort("ringing_at", 1)]

    def between(self, start, end):
        """Calls that rang in ``[start, end)``."""
        query = {"ringing_at": {"$gte": start, "$lt": end}}
        return [record_of(doc) for doc in self.calls.find(query, {"outbox": 0})]

    # -- personal data ---------------------------------------------------------------

    def erase_numbers_before(self, ended_before, limit=500):
        """Forget the caller's and called numbers of calls ended before ``ended_before``;
        how many calls were erased."""
        query = {"ended_at": {"$lt": ended_before}, "numbers_erased": {"$ne": True}}
        ids = [doc["_id"] for doc in self.calls.find(query, {"_id": 1}).limit(limit)]
        if not ids:
            return 0
        self.calls.update_many({"_id": {"$in": ids}}, {"$set": {
            "from_number": "", "to_number": "", "recording_url": "", "numbers_erased": True}})
        self.events.update_many({"call_id": {"$in": ids}}, {"$set": {"from": "", "to": "", "recording_url": ""}})
        return len(ids)

    def ops_gauges(self):
        from shared.platform.metrics import Sample

        return [Sample("hotline_callcentre_callbacks_open", {}, self.callbacks.open_count())]
