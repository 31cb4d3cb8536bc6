"""The ``appeals`` collection (考核申诉): one document per appeal, with its outbox.

An appeal is saved with its events (its own ``outbox``) and the lines it adds
to its case's ledger (its own ``ledger_pending``) in one write, as a case is
(``cases.py``); the lines are then copied to ``ledger`` under ids made of the
case's number, the appeal and its step (``NUMBER:appeal:ID:0`` filed,
``...:1`` decided), so a copy made twice is one entry, and they sort in the
case's ledger after the case's version they were made at, in time. The outbox timer
copies what a crash left (``move_stale_ledger``).

An entry has at most one appeal open: while it is, the appeal holds
``open_entry`` (the entry's id) under a unique index, so two filed at once
cannot both be stored; the decision removes it.
"""
import logging

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.followup.adapters.ledger import copy_ledger
from services.followup.domain.appeal import OPEN, Appeal, AppealChange
from services.followup.domain.errors import TransitionRefused
from shared.contract import events
from shared.platform.outbox import Outbox, outboxed
from shared.platform.unit_of_work import LostRace, UnitOfWork

log = logging.getLogger(__name__)

HIDDEN = {"outbox": 0, "ledger_pending": 0, "open_entry": 0}


def build_event(event_type, body):
    return events.new_event(events.CONTRACT[("followup", event_type)], **body)


def appeal_entries(appeal_id, number, case_version, step, entries):
    """The ledger documents of one step of an appeal (0 filed, 1 decided): ``n`` is the
    moment in milliseconds, so they sort after the case's own lines of that version
    (numbered from 0) and in time among themselves."""
    return [dict(entry, _id=f"{number}:appeal:{appeal_id}:{step}", number=number, version=case_version,
                 n=int(entry["at"].timestamp() * 1000)) for entry in entries]


class AppealRepository:
    def __init__(self, database):
        self.appeals = database["appeals"]
        self.ledger = database["ledger"]
        self.outbox = Outbox(self.appeals)

    def ensure_indexes(self):
        self.appeals.create_index("open_entry", unique=True, sparse=True)
        self.appeals.create_index([("entry_id", ASCENDING), ("filed_at", ASCENDING)])
        self.appeals.create_index([("number", ASCENDING), ("filed_at", ASCENDING)])
        self.appeals.create_index([("state", ASCENDING), ("filed_at", ASCENDING)])
        self.appeals.create_index([("state", ASCENDING), ("decided_at", DESCENDING)])
        self.appeals.create_index([("state", ASCENDING), ("entry.at", ASCENDING)])
        self.appeals.create_index("ledger_pending.at", sparse=True)
        self.outbox.ensure_indexes()

    # -- saving ---------------------------------------------------------------------------

    def add(self, uow: UnitOfWork, appeal: Appeal, change: AppealChange, case_version: int):
        """Store a new appeal with its event and ledger line; ``TransitionRefused`` if
        its entry has an appeal open already (one filed a moment ago by someone else)."""
        doc = dict(appeal.to_doc(), open_entry=appeal.entry_id,
                   outbox=[outboxed(t, build_event(t, body)) for t, body in change.events],
                   ledger_pending=appeal_entries(appeal.appeal_id, appeal.number, case_version, 0, change.ledger))
        try:
            self.appeals.insert_one(doc)
        except DuplicateKeyError:
            raise TransitionRefused(f"entry {appeal.entry_id} of case {appeal.number} has an appeal open "
                                    "already") from None
        uow.saved(self.outbox, doc["_id"], doc["outbox"])
        self.move_ledger(doc)
        return doc

    def save(self, uow: UnitOfWork, appeal: Appeal, change: AppealChange, case_version: int):
        """Apply ``change`` if the appeal is still as it was read, else ``LostRace``."""
        update = {"$set": dict(change.set), "$inc": {"version": 1},
                  "$push": {"outbox": {"$each": [outboxed(t, build_event(t, body)) for t, body in change.events]},
                            "ledger_pending": {"$each": appeal_entries(
                                appeal.appeal_id, appeal.number, case_version, 1, change.ledger)}}}
        if change.set.get("state", OPEN) != OPEN:
            update["$unset"] = {"open_entry": ""}
        doc = self.appeals.find_one_and_update({"_id": appeal.appeal_id, "version": appeal.version,
                                                "state": appeal.state},
                                               update, return_document=ReturnDocument.AFTER)
        if doc is None:
            raise LostRace(f"appeal {appeal.appeal_id} changed meanwhile; look at it again and retry")
        uow.saved(self.outbox, doc["_id"], doc["outbox"])
        self.move_ledger(doc)
        return doc

    # -- the case's ledger ------------------------------------------------------------------

    def move_ledger(self, doc):
        """Copy an appeal's waiting ledger lines to ``ledger`` and pull them; best effort."""
        entries = doc.get("ledger_pending") or []
        if not entries:
            return 0
        try:
            copy_ledger(self.ledger, entries)
            self.appeals.update_one({"_id": doc["_id"]}, {"$pull": {
                "ledger_pending": {"_id": {"$in": [e["_id"] for e in entries]}}}})
        except PyMongoError:
            log.warning("ledger lines of appeal %s not copied out now; the outbox timer will", doc["_id"],
                        exc_info=True)
            return 0
        return len(entries)

    def move_stale_ledger(self, older_than, limit=500):
        moved = 0
        for doc in self.appeals.find({"ledger_pending.at": {"$lte": older_than}},
                                     {"ledger_pending": 1}).limit(limit):
            moved += self.move_ledger(doc)
        return moved

    def erase_personal_data(self, number, scrub):
        """Scrub the case's appeals' reasons, as the case's ledger's are (``CaseRepository``)."""
        for doc in self.appeals.find({"number": number}, {"reason": 1, "decision_reason": 1, "ledger_pending": 1}):
            changes = {"reason": scrub(doc.get("reason")), "decision_reason": scrub(doc.get("decision_reason"))}
            if doc.get("ledger_pending"):
                changes["ledger_pending"] = [dict(e, reason=scrub(e.get("reason"))) for e in doc["ledger_pending"]]
            self.appeals.update_one({"_id": doc["_id"]}, {"$set": changes})

    # -- reading ----------------------------------------------------------------------------

    def load(self, appeal_id) -> Appeal | None:
        doc = self.appeals.find_one({"_id": appeal_id}, HIDDEN) if isinstance(appeal_id, str) else None
        return Appeal.from_doc(doc) if doc is not None else None

    def get(self, appeal_id):
        return self.appeals.find_one({"_id": appeal_id}, HIDDEN) if isinstance(appeal_id, str) else None

    def of_entry(self, entry_id) -> list[Appeal]:
        """The appeals of one ledger entry so far, oldest first."""
        return [Appeal.from_doc(doc) for doc in
                self.appeals.find({"entry_id": entry_id}, HIDDEN).sort("filed_at", ASCENDING)]

    def of_case(self, number):
        return list(self.appeals.find({"number": number}, HIDDEN).sort("filed_at", ASCENDING).limit(200))

    def page(self, query, sort, offset, limit):
        """``(appeals, total)``: one page of the appeals ``query`` finds."""
        total = self.appeals.count_documents(query)
        return list(self.appeals.find(query, HIDDEN).sort(sort).skip(offset).limit(limit)), total

    def accepted_between(self, start, end):
        """Accepted appeals whose contested event happened from ``start`` to ``end``."""
        return list(self.appeals.find({"state": "accepted", "entry.at": {"$gte": start, "$lt": end}},
                                      {"_id": 1, "state": 1, "department_code": 1, "entry": 1}))
