"""The quality queue (质检): the collections ``quality_checks`` and ``quality_months``.

``quality_checks`` holds one document per ticket in the queue (its number is
unique, so queuing twice -- a redelivery, a re-run -- changes nothing but the
reasons, which only grow); ``quality_months`` counts the tickets each operator
recorded in a month (``<month>:<user id>``), the denominator of the results.
"""
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.intake.domain.quality_check import QualityRules

HIDDEN = {"_id": 0}


class QualityCheckRepository:
    def __init__(self, database, config):
        self.checks = database["quality_checks"]
        self.months = database["quality_months"]
        QualityRules.from_config(config.get("QUALITY"))  # a bad QUALITY section stops intake at start

    def ensure_indexes(self):
        self.checks.create_index("number", unique=True)
        self.checks.create_index([("month", ASCENDING), ("operator.user_id", ASCENDING)])
        self.checks.create_index([("status", ASCENDING), ("queued_at", DESCENDING)])

    def count_recorded(self, month, user_id):
        """One more ticket recorded by ``user_id`` in ``month``."""
        self.months.update_one({"_id": f"{month}:{user_id}"},
                               {"$inc": {"recorded": 1}, "$setOnInsert": {"month": month, "user_id": user_id}},
                               upsert=True)

    def recorded(self, month):
        """``{user id: tickets recorded}`` in ``month``."""
        return {row["user_id"]: row.get("recorded", 0) for row in self.months.find({"month": month})}

    def sampled_count(self, month, user_id):
        """How many of the operator's tickets of ``month`` the sample took (complaints aside)."""
        return self.checks.count_documents({"month": month, "operator.user_id": user_id,
                                            "reasons": {"$in": ["rate", "minimum"]}})

    def get(self, number):
        return self.checks.find_one({"number": number}, HIDDEN)

    def queue(self, check):
        """Queue ``check`` (a document) unless its ticket is queued already; True if it was new."""
        try:
            result = self.checks.update_one({"number": check["number"]}, {"$setOnInsert": check}, upsert=True)
        except DuplicateKeyError:  # queued meanwhile by another worker
            return False
        return result.upserted_id is not None

    def add_reason(self, number, reason, complaint=None):
        """A ticket queued already is queued for ``reason`` too (a complaint about it, say)."""
        update = {"$addToSet": {"reasons": reason}}
        if complaint:
            update["$addToSet"]["complaints"] = complaint
        self.checks.update_one({"number": number}, update)

    def save_score(self, number, status, score):
        self.checks.update_one({"number": number}, {"$set": {"status": status, "score": score}})

    def listing(self, status=None, month=None, user_id=None, offset=0, limit=20):
        """``(checks, total)``: the queue, newest first (no ticket text, no caller: numbers and flags)."""
        query = {}
        if status:
            query["status"] = status
        if month:
            query["month"] = month
        if user_id:
            query["operator.user_id"] = user_id
        total = self.checks.count_documents(query)
        found = self.checks.find(query, HIDDEN).sort([("queued_at", DESCENDING), ("number", DESCENDING)])
        return list(found.skip(offset).limit(limit)), total

    def of_month(self, month, user_id=None):
        """Every check of ``month`` (one operator's, when given), the fields the results need."""
        query = {"month": month}
        if user_id:
            query["operator.user_id"] = user_id
        return list(self.checks.find(query, {"_id": 0, "operator": 1, "reasons": 1, "status": 1,
                                             "score.items": 1, "score.percent": 1}))
