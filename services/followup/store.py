"""Followup's collections: ``cases`` (one per ticket, with its ledger and
outbox), ``department_tokens`` (hashed; the token itself is never stored),
``contact_access`` (every read of a citizen's full contact: who, when, how)
and the reply attachments in GridFS's layout (``attachments.files`` and
``attachments.chunks``).

Every change to a case is one conditional update on the state *and* version
it was read in (``find_one_and_update``), so two workers acting on the same
case at once cannot both win: the loser gets :class:`CaseChanged`.
"""
import hashlib
import secrets
import uuid

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.followup.attachments import CHUNK_BYTES
from shared.outbox import Outbox, outboxed


class CaseChanged(Exception):
    """The case changed between reading and writing it; read it again and retry."""


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def due_at(case):
    """The next deadline that matters for the case's state (the inbox sorts by it)."""
    state = case.get("state")
    if state == "assigned":
        return case.get("sign_for_deadline")
    if state == "approved":
        return case.get("callback_due")
    if state in ("closed", "refused"):
        return None
    return case.get("deadline")


LIST_FIELDS = {"_id": 0, "outbox": 0, "ledger": 0, "ticket": 0}


class CaseRepository:
    def __init__(self, database, config):
        self.cases = database["cases"]
        self.tokens = database["department_tokens"]
        self.contact_access = database["contact_access"]
        self.files = database["attachments.files"]
        self.chunks = database["attachments.chunks"]
        self.outbox = Outbox(self.cases)

    def ensure_indexes(self):
        self.cases.create_index("number", unique=True)
        self.cases.create_index([("department_code", 1), ("state", 1), ("deadline", 1)])
        self.cases.create_index("ledger.at")
        self.cases.create_index("round_started_at")
        self.cases.create_index([("department_code", 1), ("state", 1), ("due_at", 1)])
        self.cases.create_index([("state", 1), ("due_at", 1)])
        self.contact_access.create_index([("number", 1), ("at", DESCENDING)])
        self.contact_access.create_index([("at", DESCENDING)])
        self.files.create_index([("metadata.number", 1), ("uploadDate", 1)])
        self.chunks.create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)
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
            doc = dict(case, outbox=list(outbox), due_at=due_at(case))
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
        update["$set"] = dict(change.set, due_at=due_at({**case, **change.set}))
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
        return list(self.cases.find(query, LIST_FIELDS).sort("deadline", 1).limit(limit))

    def page(self, query, sort, offset, limit, with_ticket=False):
        """``(cases, total)``: one page of the cases ``query`` finds, without ledgers."""
        fields = {"_id": 0, "outbox": 0, "ledger": 0} if with_ticket else LIST_FIELDS
        total = self.cases.count_documents(query)
        found = self.cases.find(query, fields).sort(sort).skip(offset).limit(limit)
        return list(found), total

    def count_where(self, query):
        return self.cases.count_documents(query)

    def count_by(self, match, keys):
        """Cases matching ``match`` counted by the fields ``keys``: ``[({key: value}, n)]``."""
        pipeline = [{"$match": match},
                    {"$group": {"_id": {k: f"${k}" for k in keys}, "count": {"$sum": 1}}}]
        return [(row["_id"], row["count"]) for row in self.cases.aggregate(pipeline)]

    # -- who saw a citizen's contact --------------------------------------------

    def record_contact_access(self, entry):
        self.contact_access.insert_one(dict(entry))

    def contact_accesses(self, number=None, offset=0, limit=50):
        query = {"number": number} if number else {}
        total = self.contact_access.count_documents(query)
        return list(self.contact_access.find(query, {"_id": 0}).sort("at", DESCENDING)
                    .skip(offset).limit(limit)), total

    # -- attachments (GridFS layout) ----------------------------------------------

    def add_file(self, number, filename, content_type, data, uploaded_by, now):
        """Store a file, chunks first and the file document last (as GridFS does)."""
        file_id = uuid.uuid4().hex
        for n, start in enumerate(range(0, len(data), CHUNK_BYTES)):
            self.chunks.insert_one({"files_id": file_id, "n": n, "data": bytes(data[start:start + CHUNK_BYTES])})
        doc = {"_id": file_id, "length": len(data), "chunkSize": CHUNK_BYTES, "uploadDate": now,
               "filename": filename, "metadata": {"number": number, "contentType": content_type,
                                                   "uploaded_by": uploaded_by,
                                                   "sha256": hashlib.sha256(data).hexdigest()}}
        self.files.insert_one(doc)
        return file_info(doc)

    def files_of(self, number):
        return [file_info(doc) for doc in self.files.find({"metadata.number": number}).sort("uploadDate", 1)]

    def count_files(self, number):
        return self.files.count_documents({"metadata.number": number})

    def read_file(self, number, file_id):
        """``(info, bytes)`` of a case's file, or ``None``."""
        doc = self.files.find_one({"_id": file_id, "metadata.number": number}) if isinstance(file_id, str) else None
        if doc is None:
            return None
        data = b"".join(bytes(c["data"]) for c in self.chunks.find({"files_id": file_id}).sort("n", 1))
        return file_info(doc), data

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

    def list_tokens(self):
        return list(self.tokens.find({}, {"_id": 0, "token_hash": 0}).sort("created_at", DESCENDING).limit(500))

    def revoke_tokens(self, department_code, now):
        result = self.tokens.update_many({"department_code": department_code, "revoked_at": None},
                                         {"$set": {"revoked_at": now}})
        return result.modified_count


def file_info(doc):
    meta = doc.get("metadata") or {}
    return {"id": doc["_id"], "filename": doc["filename"], "size": doc["length"],
            "content_type": meta.get("contentType"), "uploaded_at": doc["uploadDate"],
            "uploaded_by": meta.get("uploaded_by")}
