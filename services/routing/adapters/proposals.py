"""Routing's proposed edits to the catalogue (``catalogue_proposals``), one per key.

A proposal (``services.routing.domain.catalogue_proposals``) is stored ``pending``
with its evidence and its effect; mining again refreshes a pending one in place.
An administrator's decision moves it to ``accepted`` (through ``applying``, so two
administrators cannot make the same edit twice) or ``rejected``; a rejected one
is stored pending again only when the miner finds it grown enough, and keeps
the decisions made on it before (``decisions``).
"""
from pymongo import ASCENDING, DESCENDING, ReturnDocument

STATES = ("pending", "accepted", "rejected")
DECISIONS_KEPT = 20  # the latest decisions made on one proposal
LISTED = {"_id": 0}


class CatalogueProposalRepository:
    def __init__(self, database):
        self.proposals = database["catalogue_proposals"]

    def ensure_indexes(self):
        self.proposals.create_index("key", unique=True)
        self.proposals.create_index([("state", ASCENDING), ("cases", DESCENDING)])

    def stored(self, keys):
        """``{key: document}`` of the proposals stored under ``keys``."""
        return {d["key"]: d for d in self.proposals.find({"key": {"$in": list(keys)}}, LISTED)}

    def get(self, key):
        return self.proposals.find_one({"key": key}, LISTED)

    def propose(self, proposal, now):
        """Store a proposal (new, or a rejected one grown enough) or refresh a pending one's
        evidence and effect; True if it is newly pending."""
        previous = self.proposals.find_one_and_update(
            {"key": proposal["key"], "state": {"$in": ["pending", "rejected"]}},
            {"$set": dict(proposal, state="pending", updated_at=now)}, return_document=ReturnDocument.BEFORE)
        if previous is not None:
            return previous["state"] != "pending"
        result = self.proposals.update_one(
            {"key": proposal["key"]},
            {"$setOnInsert": dict(proposal, state="pending", proposed_at=now, updated_at=now, decisions=[])},
            upsert=True)
        return result.upserted_id is not None

    def listing(self, state="pending", limit=50, offset=0):
        query = {"state": state} if state else {}
        return list(self.proposals.find(query, LISTED).sort([("cases", DESCENDING), ("key", ASCENDING)])
                    .skip(offset).limit(limit))

    def count(self, state="pending"):
        return self.proposals.count_documents({"state": state} if state else {})

    def claim(self, key):
        """Take a pending proposal to apply it (``applying``); None if it is not pending."""
        return self.proposals.find_one_and_update({"key": key, "state": "pending"},
                                                  {"$set": {"state": "applying"}}, LISTED)

    def release(self, key):
        """Back to pending: applying it failed."""
        self.proposals.update_one({"key": key, "state": "applying"}, {"$set": {"state": "pending"}})

    def decide(self, key, state, decision, expected="pending"):
        """Record an administrator's decision (``accepted`` from ``applying``, ``rejected`` from
        pending); the document, or None when it was not in the ``expected`` state."""
        changes = {"state": state, "decided_by": decision["by"], "decided_at": decision["at"],
                   "decision_reason": decision["reason"]}
        if state == "rejected":
            changes["rejected_cases"] = decision["cases"]
        before = self.proposals.find_one_and_update(
            {"key": key, "state": expected}, {"$set": changes, "$push": {"decisions": {"$each": [dict(decision, state=state)], "$slice": -DECISIONS_KEPT}}},
            {"_id": 1})
        return None if before is None else self.get(key)
