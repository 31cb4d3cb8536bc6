"""The receipts of progress sent to the systems that submitted tickets: each step once.

A step is keyed by ``<number>:<event_id>`` (or ``<number>:transferred``). The first
handling of an event claims it here (the receipt, unsent) before publishing and marks
it sent after; a redelivered event finds it sent and sends nothing. A copy handled
at the same moment finds it claimed and not yet sent: it is delivered again later
(``TryLater``). A claim left by a worker that died (older than ``CLAIM_SECONDS``) is
taken over and the receipt sent with the same ``receipt_id``, as is one whose
publishing failed (released at once): at least once, and twice only after a crash
between publishing and marking (receivers may drop a ``receipt_id`` they have seen).
What a receipt said is not kept once it is sent.
"""
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from shared.contract.events import utcnow
from shared.platform.messaging import TryLater

CLAIM_SECONDS = 30


class ReceiptLog:
    def __init__(self, database):
        self.receipts = database["receipts"]
        self.tickets = database["tickets"]

    def ensure_indexes(self):
        self.receipts.create_index("number")

    def submitted(self, number, with_linked=False):
        """``[{number, source, department}]``: the ticket, if another system submitted it, and with
        ``with_linked`` its repeats that another system submitted (they close with it)."""
        query = {"$or": [{"number": number}, {"linked_to": number}]} \
            if with_linked else {"number": number}
        query = {"$and": [query, {"source.system": {"$exists": True}}]}
        return list(self.tickets.find(query, {"_id": 0, "number": 1, "source": 1, "department": 1}))

    def claim(self, receipt_id, number, receipt):
        """The receipt to publish now, or None when it was sent already; ``TryLater`` while
        another worker holds it."""
        now = utcnow()
        try:
            self.receipts.insert_one({"_id": receipt_id, "number": number, "receipt": receipt,
                                      "sent": False, "claimed_at": now})
            return receipt
        except DuplicateKeyError:
            pass
        stale = self.receipts.find_one_and_update(
            {"_id": receipt_id, "sent": False, "claimed_at": {"$lt": now - timedelta(seconds=CLAIM_SECONDS)}},
            {"$set": {"claimed_at": now}})
        if stale is not None:
            return stale["receipt"]
        if (self.receipts.find_one({"_id": receipt_id}, {"sent": 1}) or {}).get("sent"):
            return None
        raise TryLater(f"receipt {receipt_id} is being sent")

    def release(self, receipt_id):
        """Publishing failed: the next delivery sends it."""
        self.receipts.delete_one({"_id": receipt_id, "sent": False})

    def sent(self, receipt_id):
        # what it said is not kept once sent (the reply may name someone): only that it went
        self.receipts.update_one({"_id": receipt_id}, {"$set": {"sent": True}, "$unset": {"receipt": ""}})

    def of_ticket(self, number):
        return [doc["_id"] for doc in self.receipts.find({"number": number, "sent": True}).sort("_id")]
