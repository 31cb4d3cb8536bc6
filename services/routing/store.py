"""Routing's collection: ``decisions``, one per ticket, with its outbox."""
from pymongo.errors import DuplicateKeyError

from shared.outbox import Outbox


class DecisionRepository:
    def __init__(self, database, config):
        self.decisions = database["decisions"]
        self.outbox = Outbox(self.decisions)

    def ensure_indexes(self):
        self.decisions.create_index("number", unique=True)
        self.decisions.create_index([("status", 1), ("decided_at", 1)])
        self.outbox.ensure_indexes()

    def add(self, decision, outbox):
        """Store the decision for a ticket; ``None`` if one exists already."""
        try:
            doc = dict(decision, outbox=list(outbox))
            self.decisions.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return None

    def get(self, number):
        return self.decisions.find_one({"number": number}, {"outbox": 0, "_id": 0})
