"""The ``rating_links`` collection: the citizen's one-use rating links (``domain/rating.py``).

One document per link, under the digest of its id (followup never holds the id):
``{_id: digest, number, approved_at, expires_at, created_at, used_at, answer}``.
:meth:`RatingLinks.take` is the one-use guard: a single conditional write that
marks the link used only if it is unused and unexpired, so of two answers sent at
once exactly one takes it.
"""
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError


class RatingLinks:
    def __init__(self, database):
        self.links = database["rating_links"]

    def ensure_indexes(self):
        self.links.create_index([("number", 1), ("created_at", DESCENDING)])
        self.links.create_index([("used_at", DESCENDING)], sparse=True)

    def register(self, digest, number, approved_at, expires_at, now):
        """Keep a link notify made; the same digest again (a redelivery) changes nothing."""
        try:
            self.links.insert_one({"_id": digest, "number": number, "approved_at": approved_at,
                                   "expires_at": expires_at, "created_at": now, "used_at": None})
        except DuplicateKeyError:
            pass

    def find(self, digest):
        return self.links.find_one({"_id": digest})

    def take(self, digest, now):
        """Mark the link used -- only if it is unused and unexpired; the link, or ``None``."""
        return self.links.find_one_and_update(
            {"_id": digest, "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}}, return_document=ReturnDocument.AFTER)

    def give_back(self, digest, now):
        """The answer could not be recorded (the case moved on meanwhile): the link is not spent."""
        self.links.update_one({"_id": digest, "used_at": now, "answer": {"$exists": False}},
                              {"$set": {"used_at": None}})

    def answered(self, digest, answer):
        self.links.update_one({"_id": digest}, {"$set": {"answer": answer}})

    def of_cases(self, numbers):
        """The links of each case named, oldest first: ``{number: [link, ...]}``."""
        found = {}
        for link in self.links.find({"number": {"$in": list(numbers)}}).sort("created_at", 1):
            found.setdefault(link["number"], []).append(link)
        return found

    def answered_since(self, since, limit=50):
        """Links answered since ``since``, the latest first."""
        return list(self.links.find({"used_at": {"$gte": since}, "answer": {"$exists": True}},
                                    {"_id": 0}).sort("used_at", DESCENDING).limit(limit))

    def erase_personal_data(self, number, scrub):
        for link in self.links.find({"number": number, "answer.note": {"$exists": True}}, {"answer": 1}):
            self.links.update_one({"_id": link["_id"]}, {"$set": {"answer.note": scrub(link["answer"]["note"])}})
