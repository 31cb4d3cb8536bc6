"""Followup's collections: ``cases`` (one per ticket, with its ledger and
outbox) and ``department_tokens`` (hashed; the token itself is never stored).

Every change to a case is one conditional update on the state *and* version
it was read in (``find_one_and_update``), so two workers acting on the same
case at once cannot both win: the loser gets :class:`CaseChanged`.
"""
import hashlib
import secrets

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.outbox import Outbox, outboxed


class CaseChanged(Exception):
    """The case changed between reading and writing it; read it again and retry."""


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CaseRepository:
    def __init__(self, database, config):
        self.cases = database["cases"]
        self.tokens = database["department_tokens"]
        self.outbox = Outbox(self.cases)

    def ensure_indexes(self):
        self.cases.create_index("number", unique=True)
        self.cases.create_index([("department_code", 1), ("state", 1), ("deadline", 1)])
        self.cases.create_index("ledger.at")
        self.cases.create_index("round_started_at")
        self.tokens.create_index("token_hash", unique=True)
        self.tokens.create_index("department_code")
        self.outbox.ensure_indexes()

    def ops_gauges(self):
        """Cases by state, for /metrics (``shared.ops``)."""
        from shared.metrics import Sample

        return [Sample("hotline_cases", {"state": row["_id"] or "none"}, row["n"])
                for row in self.cases.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}])]

    # -- cases ----------------------------------------------------------------

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

    def load(self, number):
        """The case as stored (with ``_id``), for a transition; ``None`` if unknown."""
        return self.cases.find_one({"number": number}, {"outbox": 0})

    def count(self, number):
        return self.cases.count_documents({"number": number})

    def apply(self, case, change, new_event):
        """Apply a domain ``Change`` if ``case`` is still as it was read.

        ``new_event(event_type, body)`` builds each event payload; the events
        go into the outbox in the same update. Returns the updated document.
        """
        outbox = [outboxed(event_type, new_event(event_type, body))
                  for event_type, body in change.events]
        update = {"$inc": {"version": 1, **change.inc},
                  "$push": {"ledger": {"$each": change.ledger}, "outbox": {"$each": outbox}}}
        if change.set:
            update["$set"] = change.set
        doc = self.cases.find_one_and_update(
            {"_id": case["_id"], "state": case["state"], "version": case.get("version", 0)},
            update, return_document=ReturnDocument.AFTER)
        if doc is None:
            raise CaseChanged(f"case {case['number']} changed meanwhile; look at it again and retry")
        return doc

    def remember_ticket(self, number, ticket):
        """Keep the citizen's title and description (asked of intake) for later reviews."""
        self.cases.update_one({"number": number}, {"$set": {"ticket": ticket}})

    def open_cases(self, department_code=None, state=None, limit=500):
        query = {"state": state} if state else {"state": {"$nin": ["closed", "refused"]}}
        if department_code:
            query["department_code"] = department_code
        fields = {"_id": 0, "outbox": 0, "ledger": 0, "ticket": 0}
        return list(self.cases.find(query, fields).sort("deadline", 1).limit(limit))

    def ledger_counts(self, start, end):
        """Ledger entries from ``start`` to ``end`` counted by department, action and outcome."""
        pipeline = [
            {"$match": {"ledger.at": {"$gte": start, "$lt": end}}},
            {"$unwind": "$ledger"},
            {"$match": {"ledger.at": {"$gte": start, "$lt": end}}},
            {"$group": {
                "_id": {"department": "$ledger.department_code", "action": "$ledger.action",
                        "on_time": "$ledger.on_time", "reached": "$ledger.reached",
                        "resolved": "$ledger.resolved", "satisfaction": "$ledger.satisfaction"},
                "count": {"$sum": 1},
                "working_days": {"$sum": "$ledger.handling_working_days"}}},
        ]
        rows = []
        for row in self.cases.aggregate(pipeline):
            key = row["_id"]
            rows.append({"department": key.get("department"), "action": key.get("action"),
                         "on_time": key.get("on_time"), "reached": key.get("reached"),
                         "resolved": key.get("resolved"), "satisfaction": key.get("satisfaction"),
                         "count": row["count"], "working_days": row.get("working_days") or 0})
        return rows

    def period_cases(self, start, end, now):
        """Per department, of the rounds dispatched (or reopened) from ``start`` to ``end``:
        ``awaiting_sign_for`` -- not signed for and still inside the sign-for window --
        and ``still_open`` -- not closed yet."""
        pipeline = [
            {"$match": {"round_started_at": {"$gte": start, "$lt": end}}},
            {"$project": {"department_code": 1, "awaiting": {"$cond": [
                {"$and": [{"$eq": ["$state", "assigned"]}, {"$gt": ["$sign_for_deadline", now]}]}, 1, 0]},
                "open": {"$cond": [{"$in": ["$state", ["assigned", "signed_for", "replied", "approved"]]},
                                   1, 0]}}},
            {"$group": {"_id": "$department_code", "awaiting": {"$sum": "$awaiting"},
                        "open": {"$sum": "$open"}}},
        ]
        return [{"department": row["_id"], "awaiting_sign_for": row["awaiting"], "still_open": row["open"]}
                for row in self.cases.aggregate(pipeline)]

    # -- department tokens ----------------------------------------------------

    def create_token(self, department_code, label, now):
        token = secrets.token_urlsafe(24)
        self.tokens.insert_one({"token_hash": hash_token(token), "department_code": department_code,
                                "label": label or "", "created_at": now, "revoked_at": None})
        return token

    def department_for_token(self, token):
        if not isinstance(token, str) or not token:
            return None
        doc = self.tokens.find_one({"token_hash": hash_token(token), "revoked_at": None})
        return doc["department_code"] if doc else None

    def revoke_tokens(self, department_code, now):
        result = self.tokens.update_many({"department_code": department_code, "revoked_at": None},
                                         {"$set": {"revoked_at": now}})
        return result.modified_count
