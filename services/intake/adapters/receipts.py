"""The receipts of progress sent to the systems that submitted tickets: each step once.

A step is keyed by ``<number>:<event_id>`` (or ``<number>:transferred``): the first
handling of an event writes the receipt here before it is published and marks it
sent after, so a redelivered event finds it sent and sends nothing. A crash between
publishing and marking sends it again with the same ``receipt_id`` (receivers may
drop what they have seen).
"""
from pymongo.errors import DuplicateKeyError


class ReceiptLog:
    def __init__(self, database):
        self.receipts = database["receipts"]
        self.tickets = database["tickets"]

    def submitted(self, number, with_linked=False):
        """``[{number, source, department}]``: the ticket, if another system submitted it, and with
        ``with_linked`` its repeats that another system submitted (they close with it)."""
        query = {"$or": [{"number": number}, {"linked_to": number, "status": "linked"}]} \
            if with_linked else {"number": number}
        query = {"$and": [query, {"source.system": {"$exists": True}}]}
        return list(self.tickets.find(query, {"_id": 0, "number": 1, "source": 1, "department": 1}))

    def ensure_indexes(self):
        self.receipts.create_index("number")

    def to_send(self, receipt_id, number, receipt):
        """The receipt to publish, or None when it was sent already."""
        try:
            self.receipts.insert_one({"_id": receipt_id, "number": number, "receipt": receipt, "sent": False})
            return receipt
        except DuplicateKeyError:
            found = self.receipts.find_one({"_id": receipt_id}) or {}
            return None if found.get("sent") else found.get("receipt", receipt)

    def sent(self, receipt_id):
        # what it said is not kept once sent (the reply may name someone): only that it went
        self.receipts.update_one({"_id": receipt_id}, {"$set": {"sent": True}, "$unset": {"receipt": ""}})

    def of_ticket(self, number):
        return [doc["_id"] for doc in self.receipts.find({"number": number, "sent": True}).sort("_id")]
