"""Intake's repository: the ``tickets`` collection and what belongs to it.

Collections: ``tickets`` (with their outbox), ``history`` (one document per
entry of a ticket's history), ``counters`` (the day's ticket numbers),
``reconciler`` (its lease and totals); ``keys`` is the repository of API keys
and the knowledge base (``adapters/keys.py``), over the same database.

**The status view.** The other services' events about a ticket arrive on
different queues, so in any order, and any of them may be delivered twice.
Each event is applied in two steps (``apply``):

1. its *history entry* goes into the ``history`` collection under the id
   ``<number>:<event_id>`` -- which is also what makes the event count once:
   a second copy meets ``DuplicateKeyError``;
2. its *state*, in one update of the ticket: each group of fields
   (``FACETS``) is written only if no later event wrote it already
   (``as_of.<group>`` holds the time of the event that did), so an early
   event handled late never moves the status, the deadline or the
   department back; a first copy also appends the entry to the ticket's own
   short ``history`` (the latest ``HISTORY_KEPT``, for listings).

Step 2 is idempotent and runs for a second copy too, so a crash between the
steps loses nothing: the redelivery writes the state. Nothing in the ticket
document grows with its life: the history has its own collection.

**The checks** (``domain/checks.py``): what an event does to a ticket's checks
is written in the same update as its state (``check_fields``, a stage of the
pipeline update). The reconciler reads the tickets whose soonest check is due
(``check_due``, indexed, kept with every change of the checks), repairs or
escalates, and moves ``due`` on; ``check_overdue`` (the oldest ``overdue_at``)
counts and lists the tickets waiting too long.

**Saving with the unit of work** (``shared.platform.unit_of_work``): a method
that writes events to the outbox tells ``uow.saved``; a new ticket whose
number was taken meanwhile raises ``LostRace`` (the work runs again).
"""
import datetime as dt
import logging
from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.intake.adapters.keys import KeyRepository
from services.intake.adapters.knowledge import KnowledgeRepository
from services.intake.adapters.quality_checks import QualityCheckRepository
from services.intake.adapters.receipts import ReceiptLog
from services.intake.domain.checks import FINISHED, STAGES, UNKNOWN, healed
from services.intake.domain.ticket import CLOSED, NOT_OPEN
from shared.contract import bounds
from shared.contract.events import utcnow
from shared.platform.outbox import Outbox
from shared.platform.unit_of_work import LostRace

log = logging.getLogger(__name__)

PUBLIC = {"outbox": 0, "as_of": 0, "check": 0}
LISTED = {"outbox": 0, "as_of": 0, "check": 0, "history": 0}
CHECKED = {"_id": 0, "number": 1, "status": 1, "check": 1, "assignment": 1, "case": 1,
           "watch": 1, "received_at": 1, "department": 1, "title": 1}
# The earliest of a ticket's checks, indexed: what the reconciler reads by.
SOONEST = {"check_due": {"$min": [f"$check.{stage}.due" for stage in STAGES]},
           "check_overdue": {"$min": [f"$check.{stage}.overdue_at" for stage in STAGES]}}

HISTORY_KEPT = 50     # entries kept in the ticket itself, the latest
HISTORY_SHOWN = 500   # entries a ticket's view shows, the latest

# Which fields move together, each group ordered by its own events' times.
FACETS = {
    "status": "status", "department": "department", "deadline": "deadlines",
    "sign_for_deadline": "deadlines", "reply": "reply", "closed_at": "reply",
    "escalation": "escalation", "assignment": "assignment", "case": "case", "watch": "watch",
    "signed_for_at": "signed", "case_opened_at": "case", "watched_at": "watch",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def split(changes):
    """``{group: {field: value}}`` of a change (unknown fields make a group of their own)."""
    groups = {}
    for field, value in changes.items():
        groups.setdefault(FACETS.get(field, field), {})[field] = value
    return groups


def state_update(changes, at, history_entry=None):
    """One pipeline update (MongoDB 4.2+) writing each group of ``changes`` only if
    no later event wrote it, ``updated_at`` to the latest, and appending
    ``history_entry`` to the ticket's short history."""
    fields = {"updated_at": {"$max": ["$updated_at", at]}}
    for group, values in split(changes).items():
        stamp = f"$as_of.{group}"
        later = {"$lte": [{"$ifNull": [stamp, EPOCH]}, at]}
        for field, value in values.items():
            fields[field] = {"$cond": [later, {"$literal": value}, f"${field}"]}
        fields[f"as_of.{group}"] = {"$cond": [later, at, stamp]}
    stages = [{"$set": fields}]
    if history_entry is not None:
        stages.append({"$set": {"history": {"$slice": [
            {"$concatArrays": [{"$ifNull": ["$history", []]}, {"$literal": [history_entry]}]},
            -HISTORY_KEPT]}}})
    return stages


# The step of each stage is recorded for attempt ``a`` (a pipeline expression).
RECORDED = {
    "dispatch": lambda a: {"$gt": [{"$ifNull": ["$dispatched_attempt", 0]}, a]},
    "case": lambda a: {"$gte": [{"$ifNull": ["$case.attempt", 0]}, a]},
    "watch": lambda a: {"$gte": [{"$ifNull": ["$watch.attempt", 0]}, a]},
}


def check_fields(ops):
    """The ``$set`` fields (a pipeline stage) that apply ``ops`` (``domain/checks.py``) to a
    ticket, after its state. A check done is removed (``$$REMOVE``)."""
    fields = {}
    for op in ops or ():
        kind = op[0]
        if kind == "finished":
            fields["check"] = "$$REMOVE"
        elif kind == "dispatched":
            fields["dispatched_attempt"] = {"$max": [{"$ifNull": ["$dispatched_attempt", 0]}, op[1]]}
            fields.update(check_fields([("done", "dispatch", op[1], "$lt")]))
        elif kind == "done":
            _, stage, attempt, compare = op
            held = {"$ifNull": [f"$check.{stage}.attempt", UNKNOWN]}
            fields[f"check.{stage}"] = {"$cond": [{compare: [held, attempt]}, "$$REMOVE", f"$check.{stage}"]}
        elif kind == "owe":
            _, stage, attempt, check = op
            owed = {"$and": [{"$not": [RECORDED[stage](attempt)]},
                             {"$lt": [{"$ifNull": [f"$check.{stage}.attempt", -1]}, attempt]}]}
            fields[f"check.{stage}"] = {"$cond": [owed, {"$literal": check}, f"$check.{stage}"]}
        elif kind == "changed":  # held: one change more, looked at no sooner than the new one allows
            _, stage, check = op
            held = f"$check.{stage}"
            counted = {"attempt": {"$add": [f"{held}.attempt", 1]}, "since": f"{held}.since",
                       "due": {"$max": [f"{held}.due", check["due"]]},
                       "overdue_at": {"$max": [f"{held}.overdue_at", check["overdue_at"]]},
                       "repairs": f"{held}.repairs", "escalated_at": f"{held}.escalated_at"}
            fields[f"check.{stage}"] = {"$cond": [{"$gt": [{"$ifNull": [f"{held}.attempt", 0]}, 0]},
                                                  counted, {"$literal": check}]}
    return fields


class TicketRepository:
    def __init__(self, database, config):
        self.tickets = database["tickets"]
        self.history = database["history"]
        self.reconciler = database["reconciler"]
        self.counters = database["counters"]
        self.keys = KeyRepository(database, config)
        self.quality = QualityCheckRepository(database, config)  # the quality queue (质检)
        self.knowledge = KnowledgeRepository(database, config)  # the knowledge base (知识库)
        self.receipts = ReceiptLog(database)  # progress sent to source systems
        self.api_keys = self.keys.api_keys
        self.outbox = Outbox(self.tickets)

    def ensure_indexes(self):
        """Indexes (the keys' and the knowledge base's too)."""
        self.tickets.create_index("number", unique=True)
        self.tickets.create_index([("series", ASCENDING), ("sequence", DESCENDING)])  # the fence
        # (source system, its id) and Idempotency-Key: each accepted once.
        self.tickets.create_index([("source.system", ASCENDING), ("source.id", ASCENDING)],
                                  unique=True, partialFilterExpression={"source.system": {"$exists": True}})
        self.tickets.create_index("idempotency_key", unique=True,
                                  partialFilterExpression={"idempotency_key": {"$exists": True}})
        # Candidates for duplicates: the caller's recent tickets, the category's recent tickets.
        self.tickets.create_index([("caller.phone_key", ASCENDING), ("received_at", DESCENDING)])
        self.tickets.create_index([("category", ASCENDING), ("lat", ASCENDING), ("received_at", DESCENDING)])
        self.tickets.create_index("received_at")  # Open311 GET requests.json by date
        self.tickets.create_index("linked_to", sparse=True)
        self.tickets.create_index("rebound_of", sparse=True)  # a ticket's rebounds (防反弹)
        self.tickets.create_index([("status", ASCENDING), ("closed_at", ASCENDING)])  # erasure
        self.tickets.create_index([("address", ASCENDING), ("received_at", DESCENDING)])  # repeats at a place
        self.outbox.ensure_indexes()
        self.history.create_index([("number", ASCENDING), ("at", ASCENDING)])
        self.tickets.create_index("check_due", sparse=True)
        self.tickets.create_index("check_overdue", sparse=True)
        self.keys.ensure_indexes()
        self.quality.ensure_indexes()
        self.knowledge.ensure_indexes()
        self.receipts.ensure_indexes()

    def ops_gauges(self):
        """Tickets by status, for /metrics (``shared.platform.ops``)."""
        from shared.platform.metrics import Sample

        tickets = [Sample("hotline_tickets", {"status": row["_id"] or "none"}, row["n"])
                   for row in self.tickets.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])]
        waiting, _ = self.count_overdue(utcnow())  # what the reconciler has not repaired yet
        return tickets + [Sample("hotline_reconciler_open_findings", {"check": stage}, n)
                          for stage, n in waiting.items()]

    # -- tickets -------------------------------------------------------------

    def next_sequence(self, key):
        """Atomically the next number in the sequence ``key`` (one per day)."""
        return self._counter(key, {"$inc": {"seq": 1}})

    def raise_sequence(self, key, at_least):
        """Make the counter ``key`` at least ``at_least`` (its next number is above); the count now."""
        return self._counter(key, {"$max": {"seq": int(at_least)}})

    def current_sequence(self, key):
        counter = self.counters.find_one({"_id": key})
        return counter["seq"] if counter else 0

    def _counter(self, key, update):
        """Two workers creating a day's counter at once both miss it and both insert
        (MongoDB does not retry an upsert by itself everywhere): the loser's
        DuplicateKeyError means it exists now, and it updates that one."""
        try:
            counter = self.counters.find_one_and_update(
                {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            counter = self.counters.find_one_and_update(
                {"_id": key}, update, return_document=ReturnDocument.AFTER)
        return counter["seq"]

    def highest_issued(self, series):
        """The highest sequence of ``series`` among intake's own tickets (0 if none)."""
        found = self.tickets.find_one({"series": series}, {"sequence": 1},
                                      sort=[("sequence", DESCENDING)])
        return found["sequence"] if found else 0

    def add(self, ticket, outbox, uow=None):
        """Store a new ticket and the events it produced, in one write.

        ``LostRace`` when another worker got there first: a ticket with the
        same source id or idempotency key was stored meanwhile (the work, run
        again, finds it), or the number was taken -- the counter was behind
        intake's own tickets, and is raised above them before the next try.
        """
        doc = dict(ticket, outbox=list(outbox))
        try:
            self.tickets.insert_one(doc)
        except DuplicateKeyError:
            if self.tickets.find_one({"number": ticket["number"]}, {"_id": 1}) is not None:
                log.warning("number %s was taken already; the counter is raised and the next one used",
                            ticket["number"])
                self.raise_sequence(ticket["series"], self.highest_issued(ticket["series"]))
            raise LostRace(ticket["number"]) from None
        self._keep_history(ticket["number"], ticket.get("history") or [])
        if uow is not None:
            uow.saved(self.outbox, doc["_id"], doc["outbox"])
        return doc

    def _keep_history(self, number, entries, tag=""):
        """Intake's own history entries (received, linked...) in ``history`` too."""
        docs = [dict(e, _id=f"{number}:intake:{tag}{n}", number=number) for n, e in enumerate(entries)]
        try:
            self.history.insert_many(docs, ordered=False)
        except BulkWriteError:  # written before
            pass

    def get(self, number):
        return self.tickets.find_one({"number": number}, PUBLIC)

    def caller_of(self, number):
        """The ticket's number and caller alone (for notify to reach them), or None."""
        return self.tickets.find_one({"number": number}, {"_id": 0, "number": 1, "caller": 1})

    def receipt_of(self, number):
        """The ticket's number and when it was received alone (its receipt), or None."""
        return self.tickets.find_one({"number": number}, {"_id": 0, "number": 1, "received_at": 1})

    def find_existing(self, source=None, idempotency_key=None):
        """The ticket accepted before for this source id or idempotency key."""
        if source:
            found = self.tickets.find_one({"source.system": source["system"], "source.id": source["id"]}, PUBLIC)
            if found:
                return found
        if idempotency_key:
            return self.tickets.find_one({"idempotency_key": idempotency_key}, PUBLIC)
        return None

    def recent_by_caller(self, phone_key, since, limit=50):
        if not phone_key:
            return []
        return list(self.tickets.find(
            {"caller.phone_key": phone_key, "received_at": {"$gte": since}, "status": {"$nin": list(NOT_OPEN)}},
            LISTED).sort("received_at", DESCENDING).limit(limit))

    def recent_nearby(self, category, box, since, limit=200):
        """Open tickets of ``category`` inside ``box`` (lat/lng min/max) since ``since``."""
        if not category or box is None:
            return []
        lat_min, lat_max, lng_min, lng_max = box
        return list(self.tickets.find(
            {"category": category, "lat": {"$gte": lat_min, "$lte": lat_max},
             "lng": {"$gte": lng_min, "$lte": lng_max},
             "received_at": {"$gte": since}, "status": {"$nin": list(NOT_OPEN)}},
            LISTED).sort("received_at", DESCENDING).limit(limit))

    # -- what a new ticket may come back to (防反弹, domain/rebounds.py) ----------------

    def closed_by_caller(self, phone_key, since, limit=50):
        """The caller's tickets closed since ``since`` (its phone index, then the few it holds)."""
        if not phone_key:
            return []
        return list(self.tickets.find(
            {"caller.phone_key": phone_key, "status": "closed", "closed_at": {"$gte": since}},
            LISTED).sort("closed_at", DESCENDING).limit(limit))

    def closed_nearby(self, category, box, since, limit=200):
        """Tickets of ``category`` inside ``box`` (lat/lng min/max) closed since ``since``."""
        if not category or box is None:
            return []
        lat_min, lat_max, lng_min, lng_max = box
        return list(self.tickets.find(
            {"category": category, "lat": {"$gte": lat_min, "$lte": lat_max},
             "lng": {"$gte": lng_min, "$lte": lng_max}, "status": "closed", "closed_at": {"$gte": since}},
            LISTED).sort("closed_at", DESCENDING).limit(limit))

    def closed_at_address(self, category, address, since, limit=50):
        """Tickets of ``category`` at ``address`` (as written) closed since ``since``."""
        if not category or not address:
            return []
        return list(self.tickets.find(
            {"address": address, "category": category, "status": "closed", "closed_at": {"$gte": since}},
            LISTED).sort("closed_at", DESCENDING).limit(limit))

    def rebounds_of(self, number):
        """The tickets that came back to ``number`` after it closed."""
        return [doc["number"] for doc in self.tickets.find({"rebound_of": number}, {"number": 1})
                .sort("received_at", ASCENDING).limit(100)]

    def find_page(self, query, offset, limit):
        """``(tickets, total)``: one page of what ``query`` finds, newest first, without history."""
        total = self.tickets.count_documents(query)
        found = self.tickets.find(query, {"outbox": 0, "applied_events": 0, "history": 0}) \
            .sort("received_at", DESCENDING).skip(offset).limit(limit)
        return list(found), total

    def recent_at_address(self, address, since, limit=50):
        return list(self.tickets.find(
            {"address": address, "received_at": {"$gte": since}, "status": {"$nin": list(NOT_OPEN)}},
            {"outbox": 0, "applied_events": 0, "history": 0}).sort("received_at", DESCENDING).limit(limit))

    def linked_to(self, number):
        return [doc["number"] for doc in self.tickets.find({"linked_to": number}, {"number": 1})]

    def unlink(self, number, history_entry, outbox, checks=None, uow=None):
        """Make a linked ticket a ticket of its own; None unless it was linked."""
        doc = self.tickets.find_one_and_update(
            {"number": number, "status": "linked"},
            {"$set": dict({"status": "received", "updated_at": history_entry["at"]}, **(checks or {})),
             "$unset": {"linked_to": "", "link_reason": ""},
             "$push": {"history": history_entry, "outbox": {"$each": list(outbox)}}},
            return_document=ReturnDocument.AFTER)
        if doc is not None:
            self._keep_history(number, [history_entry], tag="unlinked")
            if uow is not None:
                uow.saved(self.outbox, doc["_id"], doc["outbox"])
        return doc

    def search(self, numbers=(), categories=(), closed=None, start=None, end=None, limit=1000):
        """Tickets for Open311's GET requests.json, newest first."""
        query = {}
        if numbers:
            query["number"] = {"$in": list(numbers)}
        if categories:
            query["category"] = {"$in": list(categories)}
        if closed is not None:
            query["status"] = {"$in" if closed else "$nin": list(CLOSED)}
        window = {}
        if start:
            window["$gte"] = start
        if end:
            window["$lte"] = end
        if window:
            query["received_at"] = window
        return list(self.tickets.find(query, PUBLIC).sort("received_at", DESCENDING).limit(limit))

    # -- the status view: the other services' events ----------------------

    def apply(self, number, event_id, changes, history_entry, at, checks=()):
        """Record what another service did (see the module's docstring).

        ``at`` is when the event happened (its ``occurred_at``); ``checks``,
        what it does to the ticket's checks (``domain/checks.py``), written in the
        same update. Returns False when the event was applied before or the
        ticket is unknown here.
        """
        entry_id = f"{number}:{event_id}"
        try:
            self.history.insert_one(dict(history_entry, _id=entry_id, number=number))
            fresh = True
        except DuplicateKeyError:
            fresh = False  # applied before -- perhaps only half: the state is written again
        stages = state_update(changes, at, history_entry if fresh else None)
        if checks:
            stages += [{"$set": check_fields(checks)}, {"$set": SOONEST}]
        before = self.tickets.find_one_and_update({"number": number}, stages, {"check": 1})
        if before is None:
            if fresh:
                self.history.delete_one({"_id": entry_id})
            return False
        mended = healed(before, checks)
        if mended:
            self.count_round_totals({"healed": mended})
        return fresh

    def check(self, number, ops):
        """What an event does to the ticket's checks alone (a part's step: its history is
        followup's); False if the ticket is unknown here."""
        return self.tickets.update_one({"number": number}, [{"$set": check_fields(ops)},
                                                            {"$set": SOONEST}]).matched_count == 1

    def apply_to_linked(self, number, event_id, changes, history_entry, at):
        """The same for the tickets still linked to ``number``; how many changed."""
        linked = [doc["number"] for doc in self.tickets.find(
            {"linked_to": number, "status": "linked"}, {"number": 1})]
        return sum(self.apply(each, event_id, changes, history_entry, at, [FINISHED]) for each in linked)

    def history_of(self, ticket, limit=HISTORY_SHOWN):
        """A ticket's whole history (the latest ``limit`` entries), oldest first."""
        found = list(self.history.find({"number": ticket["number"]}, {"_id": 0, "number": 0})
                     .sort("at", DESCENDING).limit(limit))
        seen = {(e["at"], e["status"], e.get("note")) for e in found}
        found += [e for e in ticket.get("history") or []
                  if (e["at"], e["status"], e.get("note")) not in seen]  # intake's own entries
        found.sort(key=lambda entry: entry["at"])
        return found[-limit:]

    # -- read and moved on by the reconciler ---------------------------------------

    def due_checks(self, now, limit):
        """The tickets with a check the reconciler should look at now, soonest first."""
        return list(self.tickets.find({"check_due": {"$lte": now}}, CHECKED)
                    .sort("check_due", 1).limit(limit))

    def overdue(self, now, limit=None):
        """The tickets with a step overdue, the longest first."""
        found = self.tickets.find({"check_overdue": {"$lte": now}}, CHECKED).sort("check_overdue", 1)
        return list(found.limit(limit) if limit else found)

    def postpone(self, number, stage, attempt, due, repaired=True, escalated_at=None, outbox=(), uow=None):
        """After a repair (or an escalation): look again at ``due``; False if the check went meanwhile."""
        update = {"$set": {f"check.{stage}.due": due}}
        if repaired:
            update["$inc"] = {f"check.{stage}.repairs": 1}
        if escalated_at is not None:
            update["$set"][f"check.{stage}.escalated_at"] = escalated_at
        if outbox:
            update["$push"] = {"outbox": {"$each": list(outbox)}}
        query = {"number": number, f"check.{stage}.attempt": attempt}
        if outbox:  # events that cannot be published pile up no further than this
            query.update(bounds.has_room("outbox"))
        doc = self.tickets.find_one_and_update(query, update, {"_id": 1})
        if doc is not None:
            self.tickets.update_one({"_id": doc["_id"]}, [{"$set": SOONEST}])
            if outbox and uow is not None:
                uow.saved(self.outbox, doc["_id"])
        return doc

    def settle(self, number, stage, attempt):
        """The reconciler found the check of ``stage`` kept: remove it, unless it changed
        (another ``attempt``) since it was read."""
        return self.tickets.update_one(
            {"number": number, f"check.{stage}.attempt": attempt},
            [{"$set": {f"check.{stage}": "$$REMOVE"}}, {"$set": SOONEST}]).modified_count == 1

    def count_overdue(self, now):
        """``({stage: tickets overdue}, escalated)``: few, read from the ``check_overdue`` index."""
        counts, escalated = dict.fromkeys(STAGES, 0), 0
        for ticket in self.tickets.find({"check_overdue": {"$lte": now}}, {"check": 1}):
            for stage, check in (ticket.get("check") or {}).items():
                if check and check.get("overdue_at") and check["overdue_at"] <= now:
                    counts[stage] += 1
                    escalated += bool(check.get("escalated_at"))
        return counts, escalated

    # -- the reconciler's own record --------------------------------------------------

    def count_round_totals(self, increments):
        query, update = {"_id": "totals"}, {"$inc": increments}
        try:
            self.reconciler.update_one(query, update, upsert=True)
        except DuplicateKeyError:  # the first two counts at once
            self.reconciler.update_one(query, update)

    def save_round(self, report):
        self.reconciler.replace_one({"_id": "last_round"}, dict(report, _id="last_round"), upsert=True)

    def round_record(self):
        totals = self.reconciler.find_one({"_id": "totals"}, {"_id": 0}) or {}
        last = self.reconciler.find_one({"_id": "last_round"}, {"_id": 0})
        return totals, last

    def take_round(self, owner, seconds, now):
        """True if this instance runs the round now (another holds it otherwise)."""
        try:
            self.reconciler.find_one_and_update(
                {"_id": "lease", "until": {"$lt": now}},
                {"$set": {"until": now + dt.timedelta(seconds=seconds), "owner": owner}}, upsert=True)
            return True
        except DuplicateKeyError:
            return False

    # -- erasure of personal data ---------------------------------------------

    def due_for_erasure(self, closed_before, limit=200):
        """Closed tickets whose personal data is kept past its time, oldest first."""
        return list(self.tickets.find(
            {"status": {"$in": list(CLOSED)}, "closed_at": {"$lte": closed_before}, "erased_at": {"$exists": False}},
            {"outbox": 0, "applied_events": 0}).sort("closed_at", ASCENDING).limit(limit))

    def erase(self, number, changes, outbox, uow=None):
        """Write the erasure and its event in one update; None if erased already."""
        doc = self.tickets.find_one_and_update(
            {"number": number, "erased_at": {"$exists": False}},
            {"$set": changes, "$push": {"outbox": {"$each": list(outbox)}}},
            return_document=ReturnDocument.AFTER)
        if doc is not None and uow is not None:
            uow.saved(self.outbox, doc["_id"], doc["outbox"])
        return doc

    def scrub_history(self, number, scrub_entry):
        """Apply ``scrub_entry`` to ``number``'s entries in ``history`` (an erasure): to each
        one's note and coded reasons."""
        scrubbed = 0
        for entry in self.history.find({"number": number, "note": {"$nin": [None, ""]}},
                                       {"note": 1, "reason_codes": 1}):
            clean = {k: v for k, v in scrub_entry(entry).items() if k in ("note", "reason_codes")}
            if any(clean[k] != entry.get(k) for k in clean):
                self.history.update_one({"_id": entry["_id"]}, {"$set": clean})
                scrubbed += 1
        return scrubbed
