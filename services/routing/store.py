"""Routing's collections, behind domain verbs.

* ``decisions`` -- one per ticket: the current decision, every attempt with
  its reasons, refusals, and the outbox of events to publish;
* ``departments`` / ``directory_changes`` / ``catalogue`` -- the directory,
  seeded from the city file on first start; every change is a numbered version;
* ``examples`` -- what the model learns from: imported history and the final
  department of closed tickets; ``refusals`` -- who refused what, and why;
* ``models`` / ``model_chunks`` -- trained models, versioned; the bytes are
  split into chunks well under MongoDB's 16 MB document limit;
* ``leases`` -- so only one routing instance retrains at a time;
* ``calendar_years`` -- the city's calendar files (holidays and working
  weekends per year), each load a numbered version;
* ``numbers`` -- the highest ticket number seen per day (``QD-20261127``),
  from every number intake announces, so a restarted or restored intake
  never issues one again (``highest_sequence``).

Every directory change and calendar load carries its event
(``department_changed``, ``calendar_year_loaded``) in an outbox, written with
it: followup and notify learn the directory and the calendar from them.

A decision keeps its latest event (``last_event``) to publish again when the
reconciler asks, and bounded lists: the latest attempts, refusals and
applied refusal events.
"""
from datetime import timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.routing.calendar_store import CalendarYears
from shared.contract import bounds, reasons
from shared.contract.events import utcnow
from shared.platform.outbox import Outbox

CHUNK_BYTES = 4 * 1024 * 1024
ATTEMPTS_KEPT = 50     # the latest decisions of a ticket (every refusal is in ``refusals`` too)
SEEN_KEPT = 100        # refusal event ids remembered per ticket, for idempotency
HIDDEN = {"outbox": 0, "_id": 0, "seen_events": 0, "last_event": 0}


class DecisionBusy(Exception):
    """Too many of a ticket's events wait to be published; nothing was changed."""


def _latest(outbox):
    """The decision's event among those just saved, kept to publish again on request."""
    entry = list(outbox)[-1] if outbox else None
    return {"event_type": entry["event_type"], "payload": entry["payload"]} if entry else None


def _scrubbed_reasons(item, scrub):
    return {"reasons": [scrub(r) for r in item.get("reasons") or []],
            "reason_codes": reasons.scrubbed(item.get("reason_codes"), scrub)}


class DecisionRepository(CalendarYears):
    def __init__(self, database, config):
        self.db = database
        self.decisions = database["decisions"]
        self.departments = database["departments"]
        self.changes = database["directory_changes"]
        self.catalogue = database["catalogue"]
        self.examples = database["examples"]
        self.refusals = database["refusals"]
        self.models = database["models"]
        self.chunks = database["model_chunks"]
        self.leases = database["leases"]
        self.calendar_years = database["calendar_years"]
        self.numbers = database["numbers"]
        self.outbox = Outbox(self.decisions)
        self.change_outbox = Outbox(self.changes)
        self.calendar_outbox = Outbox(self.calendar_years)

    def ensure_indexes(self):
        self.decisions.create_index("number", unique=True)
        self.decisions.create_index([("status", 1), ("priority", 1), ("decided_at", 1)])
        self.departments.create_index("code", unique=True)
        self.changes.create_index("version", unique=True)
        self.catalogue.create_index("code", unique=True)
        self.examples.create_index([("source", 1), ("added_at", 1)])
        self.examples.create_index("number", unique=True, sparse=True)  # one outcome per ticket
        self.refusals.create_index("number")
        self.models.create_index("version", unique=True)
        self.chunks.create_index([("model_version", 1), ("n", 1)], unique=True)
        self.calendar_years.create_index("year", unique=True)
        self.calendar_years.create_index("version", unique=True)
        self.outbox.ensure_indexes()
        self.change_outbox.ensure_indexes()
        self.calendar_outbox.ensure_indexes()

    def ops_gauges(self):
        """The dispatchers' queue, for /metrics (``shared.platform.ops``)."""
        from shared.platform.metrics import Sample

        return [Sample("hotline_dispatch_queue", {},
                       self.decisions.count_documents({"status": "awaiting_dispatch"}))]

    # -- decisions -------------------------------------------------------------

    def add(self, decision, outbox):
        """Store the decision for a ticket; ``None`` if one exists already."""
        try:
            doc = dict(decision, outbox=list(outbox), last_event=_latest(outbox))
            self.decisions.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return None

    def get(self, number):
        return self.decisions.find_one({"number": number}, HIDDEN)

    def last_event(self, number):
        """``{"event_type", "payload"}`` of the ticket's current decision, or None."""
        doc = self.decisions.find_one({"number": number}, {"last_event": 1})
        return (doc or {}).get("last_event")

    def queue(self, limit=50, offset=0, rule=None):
        """Tickets waiting for a person: emergencies first, then urgent, each oldest first."""
        query = {"status": "awaiting_dispatch", **({"rule": rule} if rule else {})}
        return list(self.decisions.find(query, HIDDEN)
                    .sort([("priority", ASCENDING), ("decided_at", ASCENDING)])
                    .skip(max(0, offset)).limit(max(1, min(limit, 200))))

    def queue_size(self, rule=None):
        return self.decisions.count_documents({"status": "awaiting_dispatch", **({"rule": rule} if rule else {})})

    def redecide(self, number, expect, current, attempt, outbox, event_id=None, refusal=None):
        """Replace the current decision if the ticket is still as ``expect`` says.

        ``expect``: fields the stored decision must have (e.g. its status or
        department); ``event_id``: an event applied once only. Returns the
        updated document, or ``None`` when it changed meanwhile or was seen.
        """
        query = {"number": number, **expect}
        if event_id:
            query["seen_events"] = {"$ne": event_id}
        push = {"attempts": {"$each": [attempt], "$slice": -ATTEMPTS_KEPT},
                "outbox": {"$each": list(outbox)}}
        if event_id:
            push["seen_events"] = {"$each": [event_id], "$slice": -SEEN_KEPT}
        if refusal:
            push["refusals"] = {"$each": [refusal], "$slice": -ATTEMPTS_KEPT}
        result = self.decisions.update_one(
            dict(query, **bounds.has_room("outbox")),
            {"$set": dict(current, last_event=_latest(outbox)), "$push": push})
        if not result.modified_count:
            if self.decisions.count_documents(query, limit=1):
                raise DecisionBusy(f"{number} has {bounds.PENDING} events waiting to be published; "
                                   "try again when the broker takes them")
            return None
        return self.decisions.find_one({"number": number}, {"_id": 1})

    # -- numbers seen ------------------------------------------------------------

    def record_number(self, series, sequence):
        """Remember ``sequence`` if it is the highest of ``series`` seen so far."""
        query, update = {"_id": series}, {"$max": {"highest": sequence}}
        try:
            self.numbers.update_one(query, update, upsert=True)
        except DuplicateKeyError:  # the day's first two numbers at once: it exists now
            self.numbers.update_one(query, update)

    def highest_sequence(self, series):
        doc = self.numbers.find_one({"_id": series})
        return doc["highest"] if doc else 0

    # -- the directory ---------------------------------------------------------

    def directory_version(self):
        """The newest directory version whose change is fully applied."""
        last = self.changes.find_one({"applied": {"$ne": False}}, {"version": 1}, sort=[("version", DESCENDING)])
        return last["version"] if last else 0

    def directory_state(self):
        """``(version, applied changes)``: moves whenever the stored directory does."""
        return self.directory_version(), self.changes.count_documents({"applied": {"$ne": False}})

    def seed(self, departments, catalogue, source, announce=lambda dept: None):
        """Load the city file's directory if routing has none yet; the version it got.

        ``announce(department)`` builds the outbox entry of each seeded department.
        """
        if self.changes.count_documents({}, limit=1):
            return self.directory_version()
        # Departments first (idempotent), the version last: an instance that
        # sees version 1 sees the whole seed, even if two start at once.
        for dept in departments:
            self.departments.update_one({"code": dept["code"]}, {"$setOnInsert": dict(dept, version=1)},
                                        upsert=True)
        for entry in catalogue:
            self.catalogue.update_one({"code": entry["code"]}, {"$setOnInsert": dict(entry)}, upsert=True)
        try:
            self.changes.insert_one({"version": 1, "action": "seed", "code": None, "by": "routing",
                                     "reason": f"seeded from {source}", "at": utcnow(),
                                     "outbox": [announce(dict(d, version=1)) for d in departments]})
        except DuplicateKeyError:  # another instance seeded it at the same time
            pass
        return self.directory_version()

    def load_directory(self):
        """``(departments, catalogue, version)`` as stored."""
        version = self.directory_version()
        departments = list(self.departments.find({}, {"_id": 0}).sort("code", ASCENDING))
        catalogue = list(self.catalogue.find({}, {"_id": 0}))
        return departments, catalogue, version

    def get_department(self, code):
        return self.departments.find_one({"code": code}, {"_id": 0})

    def change_department(self, action, department, by, reason, announce=lambda dept, version: None):
        """Record a change as the next directory version and apply it; returns the version.

        ``announce(department, version)`` builds the outbox entry of the change.
        """
        before = self.get_department(department["code"])
        while True:
            last = self.changes.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
            version = (last["version"] if last else 0) + 1
            try:
                self.changes.insert_one({"version": version, "action": action, "code": department["code"],
                                         "before": before, "after": department, "by": by,
                                         "reason": reason, "at": utcnow(), "applied": False,
                                         "outbox": [announce(department, version)]})
                break
            except DuplicateKeyError:
                continue  # another change took that number
        self.departments.replace_one({"code": department["code"]}, dict(department, version=version),
                                     upsert=True)
        # Announced only once applied: readers never load a version half made.
        self.changes.update_one({"version": version}, {"$set": {"applied": True}})
        return version

    def change_id(self, version):
        doc = self.changes.find_one({"version": version}, {"_id": 1})
        return doc["_id"] if doc else None

    def directory_history(self, code=None, limit=50):
        query = {"code": code} if code else {}
        return list(self.changes.find(query, {"_id": 0, "outbox": 0}).sort("version", DESCENDING)
                    .limit(limit))

    def all_departments(self):
        return list(self.departments.find({}, {"_id": 0}).sort("code", ASCENDING))

    # -- what the model learns from -------------------------------------------

    def add_history(self, rows, source, replace=False):
        """Imported ``(text, department code)`` rows; returns how many were stored.

        ``replace``: first forget what was imported before from ``source``, so
        importing a file again does not count its tickets twice.
        """
        if replace:
            self.examples.delete_many({"kind": "history", "source": source})
        now = utcnow()
        docs = [{"kind": "history", "text": text, "department_code": label, "source": source,
                 "added_at": now} for text, label in rows]
        if docs:
            self.examples.insert_many(docs)
        return len(docs)

    def add_outcome(self, number, text, department_code):
        """The department that finally handled a closed ticket (one per ticket).

        Two copies of one ``case_closed`` handled at once (a re-publish from
        the outbox beside the first) can both miss and both insert; the loser's
        ``DuplicateKeyError`` means the example exists now, so it is updated.
        """
        query = {"kind": "outcome", "number": number}
        update = {"$set": {"text": text, "department_code": department_code, "source": "closed",
                           "added_at": utcnow()}}
        try:
            self.examples.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            self.examples.update_one(query, update)

    def erase_personal_data(self, number, scrub):
        """Scrub the ticket's copies here: the decision's ticket and reasons (the words of the
        text that weighed, a person's why), its examples and refusals."""
        decision = self.decisions.find_one({"number": number}, {"ticket": 1, "reasons": 1, "reason_codes": 1,
                                                                "attempts": 1, "suggestions": 1})
        if decision:
            changes = {**_scrubbed_reasons(decision, scrub),
                       "attempts": [dict(a, **_scrubbed_reasons(a, scrub)) for a in decision.get("attempts") or []],
                       "suggestions": [dict(s, **_scrubbed_reasons(s, scrub))
                                       for s in decision.get("suggestions") or []]}
            ticket = decision.get("ticket")
            if ticket:
                changes.update({"ticket.title": scrub(ticket.get("title")),
                                "ticket.description": scrub(ticket.get("description")), "ticket.address": None})
            self.decisions.update_one({"number": number}, {"$set": changes})
        for collection in (self.examples, self.refusals):
            for doc in collection.find({"number": number}, {"text": 1}):
                collection.update_one({"_id": doc["_id"]}, {"$set": {"text": scrub(doc.get("text"))}})

    def add_refusal(self, number, text, department_code, reason):
        self.refusals.insert_one({"number": number, "text": text, "department_code": department_code,
                                  "reason": reason, "at": utcnow()})

    def training_examples(self):
        """``(texts, labels, numbers)``: imported history and closed tickets' outcomes."""
        texts, labels, numbers = [], [], []
        for doc in self.examples.find({}, {"_id": 0, "text": 1, "department_code": 1, "number": 1}):
            texts.append(doc["text"])
            labels.append(doc["department_code"])
            numbers.append(doc.get("number"))
        return texts, labels, numbers

    def refused_by(self):
        """``{number: {codes that refused it}}``."""
        refused = {}
        for doc in self.refusals.find({}, {"_id": 0, "number": 1, "department_code": 1}):
            refused.setdefault(doc["number"], set()).add(doc["department_code"])
        return refused

    def examples_since(self, when):
        query = {}
        if when is not None:
            query["added_at"] = {"$gt": when}
        return self.examples.count_documents(query)

    # -- trained models --------------------------------------------------------

    def save_model(self, data, meta):
        """Store model bytes as the next version; returns the version."""
        while True:
            last = self.models.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
            version = (last["version"] if last else 0) + 1
            try:
                self.models.insert_one({"version": version, "meta": meta, "size": len(data),
                                        "chunks": -1, "saved_at": utcnow()})
                break
            except DuplicateKeyError:
                continue
        count = 0
        for count, start in enumerate(range(0, len(data), CHUNK_BYTES), 1):
            self.chunks.insert_one({"model_version": version, "n": count - 1,
                                    "data": data[start:start + CHUNK_BYTES]})
        # Complete only now: readers never see half a model.
        self.models.update_one({"version": version}, {"$set": {"chunks": count}})
        return version

    def latest_model(self):
        """The newest complete model's document (without bytes), or ``None``."""
        return self.models.find_one({"chunks": {"$gt": 0}}, {"_id": 0}, sort=[("version", DESCENDING)])

    def model_bytes(self, version):
        parts = self.chunks.find({"model_version": version}, {"data": 1, "n": 1}).sort("n", ASCENDING)
        return b"".join(bytes(part["data"]) for part in parts)

    def models_list(self, limit=10):
        return list(self.models.find({}, {"_id": 0}).sort("version", DESCENDING).limit(limit))

    def take_lease(self, name, seconds):
        """True if this caller may do ``name`` now (nobody else holds it)."""
        now = utcnow()
        try:
            self.leases.find_one_and_update(
                {"_id": name, "until": {"$lt": now}}, {"$set": {"until": now + timedelta(seconds=seconds)}},
                upsert=True)
            return True
        except DuplicateKeyError:  # held: the upsert collided with the holder's document
            return False

    def release_lease(self, name):
        # In the past, beyond MongoDB's millisecond precision: free at once.
        self.leases.update_one({"_id": name}, {"$set": {"until": utcnow() - timedelta(seconds=1)}})
