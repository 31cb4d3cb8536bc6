"""What routing's model learns from, and the models it trained.

* ``examples`` -- imported history, the final department of closed tickets and the
  labels dispatchers confirmed or corrected on the review list (``weight``);
* ``refusals`` -- who refused what, and why (a refused ticket weighs more);
* ``signals`` -- what else happened after a dispatch, dated: re-dispatches,
  arbitrations, dispatchers' assignments, co-handlers added (one per ticket, kind
  and unit; :mod:`services.routing.learning.outcomes`);
* ``models`` / ``model_chunks`` -- trained models, versioned; the bytes are
  split into chunks well under MongoDB's 16 MB document limit;
* ``leases`` -- so only one routing instance retrains at a time.

Two models saved at once that take the same version number: the loser raises
``LostRace`` and its unit of work saves again.
"""
from datetime import timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.routing.learning.outcomes import LEAD, Signal
from shared.contract.events import utcnow
from shared.platform.unit_of_work import LostRace

CHUNK_BYTES = 4 * 1024 * 1024


class LearningRepository:
    def __init__(self, database):
        self.examples = database["examples"]
        self.refusals = database["refusals"]
        self.signals = database["signals"]
        self.models = database["models"]
        self.chunks = database["model_chunks"]
        self.leases = database["leases"]

    def ensure_indexes(self):
        self.examples.create_index([("source", 1), ("added_at", 1)])
        self.examples.create_index("number", unique=True, sparse=True)  # one outcome per ticket
        self.refusals.create_index("number")
        self.signals.create_index([("number", 1), ("kind", 1), ("department_code", 1)], unique=True)
        self.models.create_index("version", unique=True)
        self.chunks.create_index([("model_version", 1), ("n", 1)], unique=True)

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

    def add_review(self, number, text, department_code, weight, by, was):
        """A dispatcher's label for a ticket (confirmed: ``was`` is the same): it replaces the
        ticket's outcome, if any, weighs ``weight``, and a later ``case_closed`` leaves it."""
        query = {"number": number}
        update = {"$set": {"kind": "reviewed", "text": text, "department_code": department_code,
                           "source": "review", "weight": float(weight), "reviewed_by": by, "was": was,
                           "added_at": utcnow()}}
        try:
            self.examples.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            self.examples.update_one(query, update)

    def example(self, number):
        """The ticket's example (its outcome or reviewed label), or ``None``."""
        return self.examples.find_one({"number": number}, {"_id": 0})

    def recent_outcomes(self, limit):
        """The newest ``limit`` closed tickets' examples: ``number``, ``text``, ``department_code``."""
        return list(self.examples.find({"kind": "outcome"}, {"_id": 0, "number": 1, "text": 1,
                                                             "department_code": 1, "added_at": 1})
                    .sort("added_at", -1).limit(limit))

    def reviewed(self, numbers):
        """Which of ``numbers`` a dispatcher labelled already."""
        return {d["number"] for d in self.examples.find({"kind": "reviewed", "number": {"$in": list(numbers)}},
                                                        {"_id": 0, "number": 1})}

    def erase_texts(self, number, scrub):
        """Scrub the ticket's texts in the examples and refusals (a citizen's words)."""
        for collection in (self.examples, self.refusals, self.signals):
            for doc in collection.find({"number": number}, {"text": 1}):
                collection.update_one({"_id": doc["_id"]}, {"$set": {"text": scrub(doc.get("text"))}})

    def add_refusal(self, number, text, department_code, reason):
        self.refusals.insert_one({"number": number, "text": text, "department_code": department_code,
                                  "reason": reason, "at": utcnow()})

    def add_signal(self, number, text, department_code, kind):
        """What the work said about ``number``'s text and a unit (``outcomes.KINDS``); once per
        ticket, kind and unit (a redelivery changes nothing but the date's first value)."""
        self.signals.update_one({"number": number, "kind": kind, "department_code": department_code},
                                {"$setOnInsert": {"text": text, "at": utcnow()}}, upsert=True)

    def outcome_signals(self):
        """Every :class:`outcomes.Signal`: the approved refusals and the other signals."""
        found = [Signal(str(d["number"]), str(d.get("text") or ""), d["department_code"], "refused", d.get("at"))
                 for d in self.refusals.find({}, {"_id": 0, "reason": 0})]
        found += [Signal(str(d["number"]), str(d.get("text") or ""), d["department_code"], d["kind"], d.get("at"))
                  for d in self.signals.find({}, {"_id": 0})]
        return found

    def co_handlers_added(self):
        """``{number: [unit codes]}``: co-handlers a person added to a ticket, oldest first."""
        added = {}
        for d in self.signals.find({"kind": "co_handler"}, {"_id": 0, "number": 1, "department_code": 1}).sort("at", 1):
            added.setdefault(d["number"], []).append(d["department_code"])
        return added

    def dated_examples(self):
        """The examples as dicts: ``text``, ``department_code``, ``number``, ``added_at``, and a
        reviewed label's ``weight``."""
        return list(self.examples.find({}, {"_id": 0, "text": 1, "department_code": 1, "number": 1,
                                            "added_at": 1, "weight": 1}))

    def history_rows(self, limit):
        """The newest ``limit`` ``(text, department code)`` rows of the history to replay: the
        examples, and where an open ticket went last after a dispatcher moved, arbitrated or
        assigned it (its final unit once closed)."""
        rows = self.examples.find({}, {"_id": 0, "text": 1, "department_code": 1, "number": 1}) \
            .sort("added_at", -1).limit(limit)
        found = [(str(d.get("text") or ""), d["department_code"]) for d in rows if d.get("department_code")]
        closed = {d["number"] for d in self.examples.find({"number": {"$exists": True}}, {"number": 1})}
        latest = {}
        for d in self.signals.find({"kind": {"$in": list(LEAD)}}, {"_id": 0}).sort("at", -1).limit(limit):
            if d["number"] not in closed:
                latest.setdefault(d["number"], (str(d.get("text") or ""), d["department_code"]))
        return (list(latest.values()) + found)[:limit]

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

    def learned_since(self, when):
        """Examples, refusals and signals learned after ``when`` (all of them: ``None``)."""
        if when is None:
            return sum(c.count_documents({}) for c in (self.examples, self.refusals, self.signals))
        return (self.examples.count_documents({"added_at": {"$gt": when}})
                + sum(c.count_documents({"at": {"$gt": when}}) for c in (self.refusals, self.signals)))

    # -- trained models --------------------------------------------------------

    def save_model(self, data, meta):
        """Store model bytes as the next version; returns the version (``LostRace``: taken)."""
        last = self.models.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
        version = (last["version"] if last else 0) + 1
        try:
            self.models.insert_one({"version": version, "meta": meta, "size": len(data),
                                    "chunks": -1, "saved_at": utcnow()})
        except DuplicateKeyError:
            raise LostRace(f"model version {version} taken") from None
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
