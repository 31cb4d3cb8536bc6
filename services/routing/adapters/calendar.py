"""Routing's store of the city's calendar files (``calendar_years``).

One document per year, each load a numbered version with who and why, and the
outbox of its announcement (``calendar_year_loaded``): followup and notify
learn the calendar from it. Two loads that take the same version number at
once: the loser raises ``LostRace`` and its unit of work loads again.
"""
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared.contract import events
from shared.contract.events import utcnow
from shared.platform.outbox import Outbox, outboxed
from shared.platform.unit_of_work import LostRace


def calendar_announcement(document, version):
    return outboxed("calendar_year_loaded", events.new_event(
        events.CalendarYearLoaded, year=document["year"], version=version, document=document,
        loaded_by=document.get("loaded_by") or "", loaded_at=events.utcnow()))


class CalendarRepository:
    def __init__(self, database):
        self.calendar_years = database["calendar_years"]
        self.outbox = Outbox(self.calendar_years)

    def ensure_indexes(self):
        self.calendar_years.create_index("year", unique=True)
        self.calendar_years.create_index("version", unique=True)
        self.outbox.ensure_indexes()

    def calendar_version(self):
        last = self.calendar_years.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
        return last["version"] if last else 0

    def load_calendar_year(self, document, by, reason, only_if_new=False, uow=None):
        """Store a year's calendar as the next version; ``(version, doc id)``, or
        ``(None, None)`` when ``only_if_new`` and the year is stored already.

        With a unit of work, its announcement is published after the work (a seed,
        without one, is left to the outbox timer); ``LostRace`` when another load
        took that version number.
        """
        version = self.calendar_version() + 1
        body = dict(document, version=version, loaded_by=by)
        record = {"year": document["year"], "document": body, "version": version, "by": by,
                  "reason": reason, "at": utcnow(), "outbox": [calendar_announcement(body, version)]}
        try:
            if only_if_new:
                result = self.calendar_years.update_one(
                    {"year": document["year"]}, {"$setOnInsert": record}, upsert=True)
                if not result.upserted_id:
                    return None, None
                doc_id = result.upserted_id
            else:
                doc_id = self.calendar_years.find_one_and_update(
                    {"year": document["year"]}, {"$set": record}, upsert=True,
                    return_document=True, projection={"_id": 1})["_id"]
        except DuplicateKeyError:
            raise LostRace(f"calendar version {version} taken") from None
        if uow is not None:
            uow.saved(self.outbox, doc_id)
        return version, doc_id

    def calendar_documents(self):
        return [doc["document"] for doc in
                self.calendar_years.find({}, {"document": 1}).sort("year", ASCENDING)]
