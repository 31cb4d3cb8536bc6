"""Followup's collection: ``cases``, one per ticket, with its outbox."""
from pymongo.errors import DuplicateKeyError

from shared.outbox import Outbox


class CaseRepository:
    def __init__(self, database, config):
        self.cases = database["cases"]
        self.outbox = Outbox(self.cases)

    def ensure_indexes(self):
        self.cases.create_index("number", unique=True)
        self.cases.create_index([("department_code", 1), ("state", 1), ("deadline", 1)])
        self.outbox.ensure_indexes()

    def open(self, case, outbox):
        """Store a new case; ``None`` if the ticket has one already."""
        try:
            doc = dict(case, outbox=list(outbox))
            self.cases.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return None

    def get(self, number):
        return self.cases.find_one({"number": number}, {"outbox": 0, "_id": 0})

    def count(self, number):
        return self.cases.count_documents({"number": number})
