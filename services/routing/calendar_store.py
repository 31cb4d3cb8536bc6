"""Routing's store of the city's calendar files: one document per year, each load a
numbered version with who and why, and the outbox of its announcement. Part of
``DecisionRepository`` (routing's one repository), which owns ``calendar_years``.
"""
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared.contract.events import utcnow


class CalendarYears:
    def calendar_version(self):
        last = self.calendar_years.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
        return last["version"] if last else 0

    def load_calendar_year(self, document, by, reason, announce, only_if_new=False):
        """Store a year's calendar as the next version; ``(version, doc id)``, or
        ``(None, None)`` when ``only_if_new`` and the year is stored already."""
        while True:
            version = self.calendar_version() + 1
            body = dict(document, version=version, loaded_by=by)
            record = {"year": document["year"], "document": body, "version": version, "by": by,
                      "reason": reason, "at": utcnow(), "outbox": [announce(body, version)]}
            try:
                if only_if_new:
                    result = self.calendar_years.update_one(
                        {"year": document["year"]}, {"$setOnInsert": record}, upsert=True)
                    if not result.upserted_id:
                        return None, None
                    return version, result.upserted_id
                doc = self.calendar_years.find_one_and_update(
                    {"year": document["year"]}, {"$set": record}, upsert=True,
                    return_document=True, projection={"_id": 1})
                return version, doc["_id"]
            except DuplicateKeyError:
                continue  # another load took that version number

    def calendar_documents(self):
        return [doc["document"] for doc in
                self.calendar_years.find({}, {"document": 1}).sort("year", ASCENDING)]

