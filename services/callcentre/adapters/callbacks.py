"""The callback queue: one document per number per local day (``domain.callbacks``)."""
import datetime as dt

from pymongo import ReturnDocument

from services.callcentre.domain.callbacks import Attempt


def aware(value):
    """The in-memory store and MongoDB give naive UTC datetimes back."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def attempts_of(doc):
    return tuple(Attempt(a["outcome"], a["by"], aware(a["at"]), a.get("note") or "")
                 for a in doc.get("attempts") or ())


class CallbackRepository:
    def __init__(self, database):
        self.callbacks = database["callbacks"]

    def ensure_indexes(self):
        self.callbacks.create_index([("closed", 1), ("due_at", 1)])
        self.callbacks.create_index("missed_at")

    def missed(self, key, number, call_id, queue, missed_at, due_at):
        """Add a missed call to its number's entry of the day (idempotent)."""
        self.callbacks.update_one({"_id": key}, {
            "$setOnInsert": {"number": number, "queue": queue, "closed": False, "attempts": []},
            "$min": {"missed_at": missed_at, "due_at": due_at},
            "$addToSet": {"call_ids": call_id}}, upsert=True)

    def not_missed(self, key, call_id):
        """A call thought missed was answered: out of its entry, and the entry gone when
        no missed call is left in it and nobody worked it."""
        self.callbacks.update_one({"_id": key}, {"$pull": {"call_ids": call_id}})
        self.callbacks.delete_one({"_id": key, "call_ids": {"$size": 0}, "attempts": {"$size": 0}})

    def get(self, key):
        return self.callbacks.find_one({"_id": key})

    def listing(self, open_only=True, start=None, end=None, limit=500):
        query = {"closed": False} if open_only else {}
        if start is not None:
            query["missed_at"] = {"$gte": start, "$lt": end}
        return list(self.callbacks.find(query).sort("due_at", 1).limit(limit))

    def claim(self, key, by, at):
        """Claim an open entry nobody else holds; the entry, or None."""
        return self.callbacks.find_one_and_update(
            {"_id": key, "closed": False, "$or": [{"claimed_by": None}, {"claimed_by": by}]},
            {"$set": {"claimed_by": by, "claimed_at": at}}, return_document=ReturnDocument.AFTER)

    def record(self, key, attempt, closes, version):
        """Add an attempt to an entry unchanged since it was read (``version``: its attempts)."""
        result = self.callbacks.update_one(
            {"_id": key, "closed": False, "attempts": {"$size": version}},
            {"$push": {"attempts": {"outcome": attempt.outcome, "by": attempt.by, "at": attempt.at,
                                    "note": attempt.note}},
             "$set": {"closed": closes, **({"closed_at": attempt.at} if closes else {"claimed_by": None})}})
        return bool(result.modified_count)

    def erase_numbers_before(self, missed_before):
        result = self.callbacks.update_many({"missed_at": {"$lt": missed_before}, "number": {"$ne": ""}},
                                            {"$set": {"number": ""}})
        return result.modified_count

    def open_count(self):
        return self.callbacks.count_documents({"closed": False})
