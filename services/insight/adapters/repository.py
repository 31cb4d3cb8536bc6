"""Insight's read model: one document per request, keyed by its number.

``requests`` holds what insight learnt from the events (arrival, department,
outcome) or from an import of history. The ticket number is the document's
``_id``, so a request is stored once whatever the order or repetition of the
events about it. Every update is idempotent and order-free -- ``$set`` of a
fact, ``$max`` of a count the event carries, or a change guarded by the time
or attempt it concerns -- so no list of applied events is kept (it would
grow with the request's life) and a redelivery changes nothing. (Keying by
``_id`` rather than a second unique index also keeps bulk imports fast on
the in-memory store, which checks unique indexes by scanning.)
"""
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.insight.adapters.assessments import AssessmentRepository
from services.insight.domain.requests import request_terms

DUPLICATE_KEY = 11000
ANALYSIS_FIELDS = {"_id": 1, "received_at": 1, "category": 1, "district": 1, "channel": 1,
                   "title": 1, "terms": 1, "handling_seconds": 1, "department_code": 1, "request_type": 1,
                   "request_type_given": 1}
ASSESSED_FIELDS = {"_id": 1, "category": 1, "district": 1, "department_code": 1, "request_type": 1,
                   "request_type_given": 1, "outcome": 1, "channel": 1, "title": 1, "dispatched_to": 1,
                   "refused_by": 1}


class InsightRepository:
    def __init__(self, database, config):
        self.requests = database["requests"]
        self.assessments = AssessmentRepository(database, config)  # the monthly reports (its own aggregate)
        self.calls = database["calls"]  # callcentre's calls as they ended: the offered calls per hour

    def ensure_indexes(self):
        self.requests.create_index("received_at")
        self.requests.create_index("outcome.closed_at", sparse=True)  # the held rate's cohort (防反弹)
        self.calls.create_index("received_at")
        self.assessments.ensure_indexes()

    def record_call(self, call_id, received_at, handling_seconds, events):
        """A call as callcentre announced it; a fold of fewer events never replaces a fuller one."""
        query = {"_id": call_id, "$or": [{"events": {"$lt": events}}, {"events": None}]}
        update = {"$set": {"received_at": received_at, "handling_seconds": handling_seconds,
                           "channel": "call", "events": events}}
        try:
            self.calls.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            pass  # a fuller record of the call is stored

    def calls_between(self, start, end):
        """Calls offered in ``[start, end)``, as records of channel ``call`` (staffing)."""
        for doc in self.calls.find({"received_at": {"$gte": start, "$lt": end}}, {"events": 0}):
            doc["number"] = doc.pop("_id")
            yield doc

    def calls_span(self):
        known = {"received_at": {"$ne": None}}
        first = list(self.calls.find(known, {"received_at": 1}).sort("received_at", 1).limit(1))
        last = list(self.calls.find(known, {"received_at": 1}).sort("received_at", -1).limit(1))
        return (first[0]["received_at"], last[0]["received_at"]) if first else (None, None)

    def apply(self, number, changes=None, maxima=None, newer=None, added=None):
        """Record what an event says about a request, in any order, any number of times.

        ``changes`` are ``$set``, ``maxima`` ``$max``, ``added`` ``$addToSet``; ``newer``, a
        ``(field, value)``, applies the update only where ``field`` is absent
        or not above ``value`` (and sets it): a later fact is never replaced
        by an earlier one. Returns True when the stored request changed.

        The first event about a request inserts it (upsert). Two events of a
        new ticket handled at once can both miss and both insert: the loser
        gets ``DuplicateKeyError``, and its update is then applied to the
        request the winner created -- never taken for "already applied".
        """
        query = {"_id": number}
        update = {}
        if changes:
            update["$set"] = dict(changes)
        if maxima:
            update["$max"] = dict(maxima)
        if added:
            update["$addToSet"] = dict(added)
        if newer:
            field, value = newer
            query["$or"] = [{field: {"$lte": value}}, {field: None}]
            update.setdefault("$set", {})[field] = value
        try:
            result = self.requests.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            # Lost the race to insert it, or (with ``newer``) a later fact is there.
            result = self.requests.update_one(query, update)
            return bool(result.modified_count)
        return bool(result.modified_count or result.upserted_id)

    def erase_personal_data(self, number, scrub):
        """Scrub the request's text, and the terms made from it."""
        doc = self.requests.find_one({"_id": number}, {"title": 1, "description": 1})
        if not doc:
            return
        title, description = scrub(doc.get("title") or ""), scrub(doc.get("description") or "")
        self.requests.update_one({"_id": number}, {"$set": {
            "title": title, "description": description, "terms": request_terms(title, description)}})

    def import_many(self, documents):
        """Store imported requests; ``(stored, already there)``."""
        docs = [dict(doc, _id=doc["number"]) for doc in documents]
        for doc in docs:
            doc.pop("number")
        if not docs:
            return 0, 0
        try:
            result = self.requests.insert_many(docs, ordered=False)
            return len(result.inserted_ids), 0
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return exc.details.get("nInserted", 0), len(errors)

    def between(self, start, end, with_terms=True):
        """Requests received in ``[start, end)`` (aware datetimes), oldest first."""
        fields = dict(ANALYSIS_FIELDS)
        if not with_terms:
            fields.pop("terms")
        for doc in self.requests.find({"received_at": {"$gte": start, "$lt": end}}, fields):
            doc["number"] = doc.pop("_id")
            yield doc

    def span(self):
        """``(first, last)`` arrival times known, or ``(None, None)``."""
        known = {"received_at": {"$ne": None}}
        first = list(self.requests.find(known, {"received_at": 1}).sort("received_at", 1).limit(1))
        last = list(self.requests.find(known, {"received_at": 1}).sort("received_at", -1).limit(1))
        if not first:
            return None, None
        return first[0]["received_at"], last[0]["received_at"]

    def get(self, number):
        doc = self.requests.find_one({"_id": number}, {"assignment_attempt": 0, "callback_at": 0})
        if doc:
            doc["number"] = doc.pop("_id")
        return doc

    def outcomes_between(self, start, end):
        """Department and outcome of the requests received in ``[start, end)``."""
        query = {"received_at": {"$gte": start, "$lt": end}}
        return list(self.requests.find(query, {"_id": 0, "department_code": 1, "outcome": 1}))

    def assessed_between(self, start, end):
        """What the assessment reads of the requests received in ``[start, end)``."""
        query = {"received_at": {"$gte": start, "$lt": end}, "department_code": {"$nin": [None, ""]}}
        for doc in self.requests.find(query, ASSESSED_FIELDS):
            doc["number"] = doc.pop("_id")
            yield doc

    def closed_between(self, start, end):
        """What the assessment reads of the requests closed in ``[start, end)``: the held rate's
        cohort (closures that held, 防反弹)."""
        query = {"outcome.closed_at": {"$gte": start, "$lt": end}}
        for doc in self.requests.find(query, ASSESSED_FIELDS):
            doc["number"] = doc.pop("_id")
            yield doc

    def ops_gauges(self):
        """The read model's size, for /metrics (``shared.platform.ops``)."""
        from shared.platform.metrics import Sample

        return [Sample("hotline_insight_requests", {}, self.count())]

    def count(self):
        return self.requests.count_documents({})
