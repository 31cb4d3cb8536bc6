"""Intake's collections: ``tickets`` (with their outbox) and ``counters``."""
from pymongo import ReturnDocument

from shared.outbox import Outbox


class TicketRepository:
    def __init__(self, database, config):
        self.tickets = database["tickets"]
        self.counters = database["counters"]
        self.outbox = Outbox(self.tickets)

    def ensure_indexes(self):
        self.tickets.create_index("number", unique=True)
        self.outbox.ensure_indexes()

    def next_sequence(self, key):
        """Atomically the next number in the sequence ``key`` (one per day)."""
        counter = self.counters.find_one_and_update(
            {"_id": key}, {"$inc": {"seq": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER)
        return counter["seq"]

    def add(self, ticket, outbox):
        """Store a new ticket and the events it produced, in one write."""
        doc = dict(ticket, outbox=list(outbox), applied_events=[])
        self.tickets.insert_one(doc)
        return doc

    def get(self, number):
        return self.tickets.find_one({"number": number}, {"outbox": 0, "applied_events": 0})

    def apply(self, number, event_id, changes, history_entry):
        """Record what another service did, once per event.

        Returns False when the event was applied before (a redelivery) or the
        ticket is unknown here.
        """
        result = self.tickets.update_one(
            {"number": number, "applied_events": {"$ne": event_id}},
            {"$set": changes,
             "$push": {"history": history_entry, "applied_events": event_id}})
        return result.modified_count == 1
