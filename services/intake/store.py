"""Intake's collections: ``tickets`` (with their outbox), ``history`` (one
document per entry of a ticket's history, see ``status_store``), ``counters``,
``api_keys`` with ``api_clients`` (who may hold keys), and ``knowledge``."""
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.intake import knowledge
from services.intake.check_store import Checks
from services.intake.status_store import StatusRecords
from shared.contract.events import utcnow
from shared.platform.config import data_file
from shared.platform.outbox import Outbox

NOT_OPEN = ["closed", "answered", "linked"]
CLOSED = ["closed", "answered"]
PUBLIC = {"outbox": 0, "as_of": 0, "check": 0}
LISTED = {"outbox": 0, "as_of": 0, "check": 0, "history": 0}


class TicketRepository(StatusRecords, Checks):
    def __init__(self, database, config):
        self.tickets = database["tickets"]
        self.history = database["history"]
        self.reconciler = database["reconciler"]
        self.counters = database["counters"]
        self.api_keys = database["api_keys"]
        self.clients = database["api_clients"]
        self.knowledge = database["knowledge"]
        self.outbox = Outbox(self.tickets)
        section = config.get("INTAKE") or {}
        self.knowledge_file = section.get("knowledge_file")

    def ensure_indexes(self):
        """Indexes, and the knowledge base from ``INTAKE.knowledge_file`` while it is empty."""
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
        self.tickets.create_index([("status", ASCENDING), ("closed_at", ASCENDING)])  # erasure
        self.tickets.create_index([("address", ASCENDING), ("received_at", DESCENDING)])  # repeats at a place
        self.outbox.ensure_indexes()
        self.ensure_status_indexes()
        self.ensure_check_indexes()
        self.ensure_key_indexes()
        self.knowledge.create_index("id", unique=True)
        self.knowledge.create_index("terms")  # multikey: entries sharing a query term
        if self.knowledge_file and self.knowledge_count() == 0:
            path = data_file({"file": self.knowledge_file}, "file", self.knowledge_file)
            self.put_knowledge(knowledge.load_file(path))

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

    def add(self, ticket, outbox):
        """Store a new ticket and the events it produced, in one write.

        Returns None when a ticket with the same source id or idempotency key
        exists already (a concurrent retry).
        """
        doc = dict(ticket, outbox=list(outbox))
        try:
            self.tickets.insert_one(doc)
        except DuplicateKeyError:
            return None
        self._keep_history(ticket["number"], ticket.get("history") or [])
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
            {"caller.phone_key": phone_key, "received_at": {"$gte": since}, "status": {"$nin": NOT_OPEN}},
            LISTED).sort("received_at", DESCENDING).limit(limit))

    def recent_nearby(self, category, box, since, limit=200):
        """Open tickets of ``category`` inside ``box`` (lat/lng min/max) since ``since``."""
        if not category or box is None:
            return []
        lat_min, lat_max, lng_min, lng_max = box
        return list(self.tickets.find(
            {"category": category, "lat": {"$gte": lat_min, "$lte": lat_max},
             "lng": {"$gte": lng_min, "$lte": lng_max},
             "received_at": {"$gte": since}, "status": {"$nin": NOT_OPEN}},
            LISTED).sort("received_at", DESCENDING).limit(limit))

    def find_page(self, query, offset, limit):
        """``(tickets, total)``: one page of what ``query`` finds, newest first, without history."""
        total = self.tickets.count_documents(query)
        found = self.tickets.find(query, {"outbox": 0, "applied_events": 0, "history": 0}) \
            .sort("received_at", DESCENDING).skip(offset).limit(limit)
        return list(found), total

    def recent_at_address(self, address, since, limit=50):
        return list(self.tickets.find(
            {"address": address, "received_at": {"$gte": since}, "status": {"$nin": NOT_OPEN}},
            {"outbox": 0, "applied_events": 0, "history": 0}).sort("received_at", DESCENDING).limit(limit))

    def linked_to(self, number):
        return [doc["number"] for doc in self.tickets.find({"linked_to": number}, {"number": 1})]

    def unlink(self, number, history_entry, outbox, checks=None):
        """Make a linked ticket a ticket of its own; None unless it was linked."""
        doc = self.tickets.find_one_and_update(
            {"number": number, "status": "linked"},
            {"$set": dict({"status": "received", "updated_at": history_entry["at"]}, **(checks or {})),
             "$unset": {"linked_to": "", "link_reason": ""},
             "$push": {"history": history_entry, "outbox": {"$each": list(outbox)}}},
            return_document=ReturnDocument.AFTER)
        if doc is not None:
            self._keep_history(number, [history_entry], tag="unlinked")
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

    # -- erasure of personal data ---------------------------------------------

    def due_for_erasure(self, closed_before, limit=200):
        """Closed tickets whose personal data is kept past its time, oldest first."""
        return list(self.tickets.find(
            {"status": {"$in": CLOSED}, "closed_at": {"$lte": closed_before}, "erased_at": {"$exists": False}},
            {"outbox": 0, "applied_events": 0}).sort("closed_at", ASCENDING).limit(limit))

    def erase(self, number, changes, outbox):
        """Write the erasure and its event in one update; None if erased already."""
        return self.tickets.find_one_and_update(
            {"number": number, "erased_at": {"$exists": False}},
            {"$set": changes, "$push": {"outbox": {"$each": list(outbox)}}},
            return_document=ReturnDocument.AFTER)

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

    # -- API keys: one client (an Open311 app, another system) has keys ------

    def ensure_key_indexes(self):
        """A client's name is unique; its keys are many (rotation), each digest unique."""
        for name, info in self.api_keys.index_information().items():
            if info.get("key") == [("name", 1)] and info.get("unique"):
                self.api_keys.drop_index(name)  # one key per name, before keys could rotate
        self.api_keys.create_index("name")
        self.api_keys.create_index("digest", unique=True)
        self.clients.create_index("name", unique=True)
        for name in self.api_keys.distinct("name", {"revoked_at": None}):
            self.clients.update_one({"name": name}, {"$setOnInsert": {"state": "active"}}, upsert=True)

    def open_client(self, name, at):
        """Mark ``name`` active; False if it is active already (a revoked name may come back)."""
        try:
            self.clients.find_one_and_update(
                {"name": name, "state": {"$ne": "active"}},
                {"$set": {"state": "active", "opened_at": at}, "$unset": {"revoked_at": ""}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    def client_active(self, name):
        return self.clients.find_one({"name": name, "state": "active"}) is not None

    def add_api_key(self, record):
        try:
            self.api_keys.insert_one(dict(record))
        except DuplicateKeyError:
            return False
        return True

    def retire_api_keys(self, name, until, keep_digest):
        """Every other live key of ``name`` stops working at ``until`` (a rotation's grace)."""
        result = self.api_keys.update_many(
            {"name": name, "revoked_at": None, "digest": {"$ne": keep_digest},
             "$or": [{"expires_at": None}, {"expires_at": {"$gt": until}}]},
            {"$set": {"expires_at": until}})
        return result.modified_count

    def revoke_api_key(self, name, at):
        """Revoke the client and every key it has; False if it was not active."""
        result = self.clients.update_one({"name": name, "state": "active"},
                                         {"$set": {"state": "revoked", "revoked_at": at}})
        self.api_keys.update_many({"name": name, "revoked_at": None}, {"$set": {"revoked_at": at}})
        return result.modified_count == 1

    def api_key_by_digest(self, digest, now):
        return self.api_keys.find_one(
            {"digest": digest, "revoked_at": None, "$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}]},
            {"_id": 0, "digest": 0})

    def list_api_keys(self):
        """Each client with its keys (never their digests), by name."""
        keys = {}
        for key in self.api_keys.find({}, {"_id": 0, "digest": 0}).sort("created_at", ASCENDING):
            keys.setdefault(key["name"], []).append(key)
        clients = {c["name"]: c for c in self.clients.find({}, {"_id": 0})}
        return [dict(clients.get(name, {"name": name, "state": "active"}), keys=keys.get(name, []))
                for name in sorted(set(keys) | set(clients))]

    # -- knowledge base ------------------------------------------------------

    def put_knowledge(self, entries):
        """Insert or replace entries by id; returns how many."""
        for item in entries:
            self.knowledge.replace_one({"id": item["id"]}, item, upsert=True)
        return len(entries)

    def knowledge_count(self):
        return self.knowledge.count_documents({})

    def knowledge_entry(self, entry_id):
        return self.knowledge.find_one({"id": entry_id}, {"_id": 0})

    def knowledge_candidates(self, terms, limit=200):
        if not terms:
            return []
        return list(self.knowledge.find({"terms": {"$in": list(terms)}}, {"_id": 0}).limit(limit))
