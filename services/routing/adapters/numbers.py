"""The highest ticket number seen per day (``numbers``: ``QD-20261127`` -> highest sequence).

From every number intake announces, so a restarted or restored intake never
issues one again (``highest_sequence``; see ``services.intake.handlers.numbering``).
"""
from pymongo.errors import DuplicateKeyError


class NumberRepository:
    def __init__(self, database):
        self.numbers = database["numbers"]

    def ensure_indexes(self):
        pass  # keyed by _id

    def record_number(self, series, sequence):
        """Remember ``sequence`` if it is the highest of ``series`` seen so far."""
        query, update = {"_id": series}, {"$max": {"highest": sequence}}
        try:
            self.numbers.update_one(query, update, upsert=True)
        except DuplicateKeyError:  # the day's first two numbers at once: it exists now
            self.numbers.update_one(query, update)

    def highest_sequence(self, series):
        doc = self.numbers.find_one({"_id": series})
        return doc["highest"] if doc else 0
