"""Notify's collection: ``watches``, one per case, with its outbox.

``next_check_at`` is indexed so a supervision tick reads only what is due.
"""
from pymongo.errors import DuplicateKeyError

from shared.outbox import Outbox


class WatchRepository:
    def __init__(self, database, config):
        self.watches = database["watches"]
        self.outbox = Outbox(self.watches)

    def ensure_indexes(self):
        self.watches.create_index("number", unique=True)
        self.watches.create_index([("state", 1), ("next_check_at", 1)])
        self.outbox.ensure_indexes()

    def watch(self, watch, outbox):
        """Start watching a case; ``None`` if it is watched already."""
        try:
            doc = dict(watch, outbox=list(outbox))
            self.watches.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return None

    def get(self, number):
        return self.watches.find_one({"number": number}, {"outbox": 0, "_id": 0})

    def due(self, now, limit=1000):
        return list(self.watches.find(
            {"state": "watching", "next_check_at": {"$lte": now}}, {"outbox": 0}
        ).sort("next_check_at", 1).limit(limit))
