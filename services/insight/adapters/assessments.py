"""The monthly reports insight generated (考核通报): one per month, whatever the instances.

``_id`` is the month: the first instance to claim a month writes its report; a second
one, on the same tick, gets ``DuplicateKeyError`` and leaves it (``claim`` says False).
"""
from pymongo.errors import DuplicateKeyError


class AssessmentRepository:
    def __init__(self, database, config):
        self.reports = database["assessment_reports"]

    def ensure_indexes(self):
        self.reports.create_index("generated_at")

    def claim(self, month, now):
        """True when this instance is the one to generate ``month``'s report."""
        try:
            self.reports.insert_one({"_id": month, "claimed_at": now, "state": "claimed"})
        except DuplicateKeyError:
            return False
        return True

    def store(self, month, report, now):
        self.reports.update_one({"_id": month}, {"$set": {
            "state": "generated", "generated_at": now, "report": report}})

    def mark_sent(self, month, now):
        self.reports.update_one({"_id": month}, {"$set": {"state": "published", "published_at": now}})

    def get(self, month):
        doc = self.reports.find_one({"_id": month})
        if doc:
            doc["month"] = doc.pop("_id")
        return doc

    def months(self):
        """The months generated, newest first: ``[{month, state, generated_at}]``."""
        found = self.reports.find({}, {"report": 0}).sort("_id", -1)
        return [dict(doc, month=doc.pop("_id")) for doc in found]
