"""Followup's collections: ``cases`` (one per ticket, with its outbox),
``ledger`` (台账: one document per entry), ``department_tokens`` (hashed;
the token itself is never stored), ``contact_access`` (every read of a
citizen's full contact: who, when, how) and the reply attachments in
GridFS's layout (``attachments.files`` and ``attachments.chunks``).

Every change to a case is one conditional update on the state *and* version
it was read in (``find_one_and_update``), so two workers acting on the same
case at once cannot both win: the loser gets ``LostRace``
(``shared.platform.unit_of_work``), and the unit of work runs it again. The
repository converts the stored document to a :class:`Case` and back; the
document keeps the shape it has always had.

The ledger grows with every step of a case and has no end (an extension
asked and denied, again and again), so it lives in a collection of its own
rather than in the case, which MongoDB would refuse past 16 MB. The entries
of a change are written *with* the change, into the case's
``ledger_pending`` (as its events go into the outbox), then copied to
``ledger`` under ids made of the case's number, version and position --
so a copy made twice is one entry -- and pulled from the case. The outbox
timer copies what a crash left (``move_stale_ledger``). A case holds at most
``bounds.PENDING`` entries waiting of either kind; a change that would pass
that is refused with :class:`CaseBusy` until they drain.
"""
import hashlib
import logging
import re
import secrets
import uuid

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.followup.adapters.appeals import AppealRepository
from services.followup.adapters.ledger import copy_ledger
from services.followup.adapters.ratings import RatingLinks
from services.followup.domain.attachments import CHUNK_BYTES
from services.followup.domain.case import Case
from services.followup.domain.change import Change, Event
from services.followup.domain.states import ASSIGNED, CLOSED, OPEN_STATES, WITHDRAWN
from services.followup.domain.tokens import well_formed_token
from services.followup.domain.tree import LIVE
from shared.contract import bounds, events, reasons
from shared.contract.numbering import parse_number
from shared.platform.outbox import Outbox, outboxed
from shared.platform.unit_of_work import LostRace, UnitOfWork

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
LEDGER_SHOWN = 500  # entries a case view carries, the latest
HIDDEN = {"outbox": 0, "ledger_pending": 0, "last_events": 0}
ENTRY_FIELDS = {"_id": 0, "number": 0, "version": 0, "n": 0}


class CaseBusy(Exception):
    """Too many of the case's events or ledger entries wait to be moved on; retry shortly."""


def build_event(event_type, body):
    """The payload of one of followup's events, through the contract."""
    return events.new_event(events.CONTRACT[("followup", event_type)], **body)


def hash_token(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ledger_entries(number, version, entries):
    """The ledger documents of one change: ids fixed by case, version and position."""
    return [dict(entry, _id=f"{number}:{version}:{n}", number=number, version=version, n=n)
            for n, entry in enumerate(entries)]


def due_at(case):
    """The next deadline that matters for the case's state (the inbox sorts by it)."""
    state = case.get("state")
    if state == "assigned":
        return case.get("sign_for_deadline")
    if state == "approved":
        return case.get("callback_due")
    if state in ("closed", "refused", "raised"):
        return None
    if state == "on_hold":
        return (case.get("hold") or {}).get("recheck_at")
    return case.get("deadline")


EXITS = ("proposal", "ruling", "hold", "last_hold")  # an exit's words, as the department gave them
LIST_FIELDS = {"_id": 0, "outbox": 0, "ledger_pending": 0, "last_events": 0, "ticket": 0}


class CaseRepository:
    def __init__(self, database, config):
        self.cases = database["cases"]
        self.ledger = database["ledger"]
        self.tokens = database["department_tokens"]
        self.contact_access = database["contact_access"]
        self.files = database["attachments.files"]
        self.chunks = database["attachments.chunks"]
        self.outbox = Outbox(self.cases)
        self.appeals = AppealRepository(database)  # appeals of scored events, with their own outbox
        self.ratings = RatingLinks(database)       # the citizen's rating links (ratings.py)

    def ensure_indexes(self):
        self.cases.create_index("number", unique=True)
        self.cases.create_index([("department_code", 1), ("state", 1), ("deadline", 1)])
        self.cases.create_index("ledger_pending.at", sparse=True)
        self.cases.create_index("round_started_at")
        self.cases.create_index("assignments.assigned_at", sparse=True)  # the period's parts (scorecard)
        self.cases.create_index("closed_at", sparse=True)  # the period's closures (held_rate, 防反弹)
        self.ledger.create_index([("number", ASCENDING), ("version", ASCENDING), ("n", ASCENDING)])
        self.ledger.create_index("at")
        self.cases.create_index([("department_code", 1), ("state", 1), ("due_at", 1)])
        self.cases.create_index([("assignments.unit_code", 1), ("assignments.state", 1)])
        self.cases.create_index([("state", 1), ("due_at", 1)])
        self.contact_access.create_index([("number", 1), ("at", DESCENDING)])
        self.contact_access.create_index([("at", DESCENDING)])
        self.files.create_index([("metadata.number", 1), ("uploadDate", 1)])
        self.chunks.create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)
        self.tokens.create_index("token_hash", unique=True)
        self.tokens.create_index("department_code")
        self.outbox.ensure_indexes()
        self.appeals.ensure_indexes()
        self.ratings.ensure_indexes()
        self._move_embedded_ledgers()

    def _move_embedded_ledgers(self):
        """Cases stored before the ledger had its own collection: move their entries out."""
        for doc in self.cases.find({"ledger": {"$exists": True}}, {"number": 1, "ledger": 1}):
            entries = [dict(entry, _id=f"{doc['number']}:embedded:{n}", number=doc["number"],
                            version=-1, n=n) for n, entry in enumerate(doc.get("ledger") or [])]
            self.move_ledger({"_id": doc["_id"], "number": doc["number"], "ledger_pending": entries})
            self.cases.update_one({"_id": doc["_id"]}, {"$unset": {"ledger": ""}})

    def ops_gauges(self):
        """Cases by state, for /metrics (``shared.platform.ops``)."""
        from shared.platform.metrics import Sample

        return [Sample("hotline_cases", {"state": row["_id"] or "none"}, row["n"])
                for row in self.cases.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}])]

    # -- cases ----------------------------------------------------------------

    def add(self, uow: UnitOfWork, case: Case, opened: Event):
        """Store a new case with its ``case_opened`` event, published after the work;
        ``None`` if the ticket has a case already."""
        doc = self.open(case, [outboxed(opened[0], build_event(*opened))])
        if doc is not None:
            uow.saved(self.outbox, doc["_id"], doc["outbox"])
        return doc

    def open(self, case: Case, outbox):
        """Store a new case; ``None`` if the ticket has one already.

        Its first ledger entries are written first, under the ids of version
        0, which only this case can have: a crash before the case is stored
        leaves them for the redelivery, which finds them written.
        """
        entries = ledger_entries(case.number, case.version, case.ledger)
        stored = case.to_doc()
        doc = dict(stored, outbox=list(outbox), ledger_pending=[], due_at=due_at(stored),
                   last_events={entry["event_type"]: entry["payload"] for entry in outbox})
        self._copy_ledger(entries)
        try:
            self.cases.insert_one(doc)
        except DuplicateKeyError:
            return None
        return doc

    def get(self, number):
        """The case with its ledger (the latest ``LEDGER_SHOWN`` entries)."""
        case = self.cases.find_one({"number": number}, {"_id": 0, "outbox": 0, "last_events": 0})
        if case is not None:
            case["ledger"] = self.ledger_of(number, case.pop("ledger_pending", None) or [])
        return case

    def load(self, number) -> Case | None:
        """The case, for a transition (without its ledger); ``None`` if unknown."""
        doc = self.document(number)
        return Case.from_doc(doc) if doc is not None else None

    def document(self, number):
        """The case as stored (with ``_id``, without its ledger), for a view; ``None`` if unknown."""
        return self.cases.find_one({"number": number}, HIDDEN) if isinstance(number, str) else None

    def last_event(self, number, event_type):
        """The payload of the case's latest ``event_type`` event, to publish again; or None."""
        doc = self.cases.find_one({"number": number}, {f"last_events.{event_type}": 1})
        return ((doc or {}).get("last_events") or {}).get(event_type)

    def last_part_events(self, number, unit_code):
        """``{event_type: payload}``: the latest events of ``unit_code``'s part (``PART_EVENTS``)."""
        key = part_key(unit_code)
        doc = self.cases.find_one({"number": number}, {f"last_events.parts.{key}": 1})
        return dict((((doc or {}).get("last_events") or {}).get("parts") or {}).get(key) or {})

    def count(self, number):
        return self.cases.count_documents({"number": number})

    def save(self, uow: UnitOfWork, case: Case, change: Change):
        """Apply ``change`` (see :meth:`apply`); its events are published after the work."""
        doc = self.apply(case, change)
        uow.saved(self.outbox, doc["_id"], doc["outbox"])
        return doc

    def apply(self, case: Case, change: Change, new_event=build_event):
        """Apply a domain ``Change`` if ``case`` is still as it was read, else ``LostRace``.

        ``new_event(event_type, body)`` builds each event payload; the events
        go into the outbox and the ledger entries into ``ledger_pending`` in
        the same update. Returns the updated document (its ledger copied out).
        """
        version = case.version + 1
        outbox = [outboxed(event_type, new_event(event_type, body))
                  for event_type, body in change.events]
        update = {"$inc": {"version": 1, **change.inc},
                  "$push": {"ledger_pending": {"$each": ledger_entries(case.number, version, change.ledger)},
                            "outbox": {"$each": outbox}}}
        latest = {f"last_events.{entry['event_type']}": entry["payload"] for entry in outbox}
        latest.update(latest_part_events(outbox))
        update["$set"] = dict(change.set, due_at=due_at({**case.to_doc(), **change.set}), **latest)
        doc = self.cases.find_one_and_update(
            {"_id": case.doc_id, "state": case.state, "version": case.version,
             **bounds.has_room("outbox"), **bounds.has_room("ledger_pending")},
            update, return_document=ReturnDocument.AFTER)
        if doc is None:
            self._why_not_applied(case)
        self.move_ledger(doc)
        return doc

    def _why_not_applied(self, case: Case):
        doc = self.cases.find_one({"_id": case.doc_id}, {"outbox": 1, "ledger_pending": 1, "version": 1})
        if doc and doc.get("version") == case.version and (
                len(doc.get("outbox") or ()) >= bounds.PENDING
                or len(doc.get("ledger_pending") or ()) >= bounds.PENDING):
            raise CaseBusy(f"case {case.number} has {bounds.PENDING} events waiting to be published "
                           "(is the broker down?); try again in a moment")
        raise LostRace(f"case {case.number} changed meanwhile; look at it again and retry")

    # -- the ledger -------------------------------------------------------------

    def move_ledger(self, doc):
        """Copy a case's waiting ledger entries to ``ledger`` and pull them; best effort."""
        entries = doc.get("ledger_pending") or []
        if not entries:
            return 0
        try:
            self._copy_ledger(entries)
            self.cases.update_one({"_id": doc["_id"]}, {"$pull": {
                "ledger_pending": {"_id": {"$in": [e["_id"] for e in entries]}}}})
        except PyMongoError:
            log.warning("ledger of %s not copied out now; the outbox timer will", doc.get("number"),
                        exc_info=True)
            return 0
        return len(entries)

    def _copy_ledger(self, entries):
        copy_ledger(self.ledger, entries)

    def move_stale_ledger(self, older_than, limit=500):
        """Copy the ledger entries a crash left waiting; returns how many."""
        moved = 0
        for doc in self.cases.find({"ledger_pending.at": {"$lte": older_than}},
                                   {"ledger_pending": 1, "number": 1}).limit(limit):
            moved += self.move_ledger(doc)
        return moved

    def ledger_of(self, number, pending=(), limit=LEDGER_SHOWN):
        """The case's ledger, oldest first: the latest ``limit`` entries."""
        found = list(self.ledger.find({"number": number}, {"number": 0})
                     .sort([("version", -1), ("n", -1)]).limit(limit))
        seen = {entry["_id"] for entry in found}
        found += [entry for entry in pending if entry["_id"] not in seen]
        found.sort(key=lambda entry: (entry["version"], entry["n"]))
        return [{**{k: v for k, v in entry.items() if k not in ENTRY_FIELDS}, "entry_id": entry["_id"]}
                for entry in found[-limit:]]

    def scored_against(self, number, department_code):
        """True if the case's ledger holds an entry of ``department_code``'s (it may appeal one)."""
        return self.ledger.count_documents({"number": number, "department_code": department_code}, limit=1) > 0

    def ledger_entry(self, number, entry_id):
        """One entry of the case's ledger by its id (``entry_id`` in a case view); ``None`` if not its."""
        if not isinstance(entry_id, str) or not isinstance(number, str):
            return None
        entry = self.ledger.find_one({"_id": entry_id, "number": number})
        if entry is None:
            pending = (self.cases.find_one({"number": number}, {"ledger_pending": 1}) or {}).get("ledger_pending")
            entry = next((e for e in pending or [] if e.get("_id") == entry_id), None)
        return entry

    def highest_sequence(self, series):
        """The highest ticket number of ``series`` (``QD-20261127``) with a case here; 0 if none."""
        cursor = self.cases.find({"number": {"$regex": f"^{re.escape(series)}-"}}, {"number": 1, "_id": 0})
        return max((parsed[1] for parsed in (parse_number(doc["number"]) for doc in cursor)
                    if parsed and parsed[0] == series), default=0)

    def erase_personal_data(self, number, scrub):
        """Scrub the case's copy of the citizen's text, the replies, the exits' reasons
        (不合理诉求, 挂账), the ledger's reasons and the words of the events kept to publish again."""
        case = self.cases.find_one({"number": number}, {"ticket": 1, "reply": 1, "approved_reply": 1,
                                                        "ledger_pending": 1, "assignments": 1, "refusal": 1,
                                                        "last_events": 1, **dict.fromkeys(EXITS, 1)})
        if not case:
            return
        changes = {}
        if case.get("ticket"):
            changes["ticket"] = {k: scrub(v) for k, v in case["ticket"].items()}
        if (case.get("reply") or {}).get("text"):
            changes["reply.text"] = scrub(case["reply"]["text"])
        if case.get("approved_reply"):
            changes["approved_reply"] = scrub(case["approved_reply"])
        if (case.get("reply") or {}).get("co_replies"):
            changes["reply.co_replies"] = [dict(r, text=scrub(r.get("text"))) for r in case["reply"]["co_replies"]]
        if (case.get("refusal") or {}).get("reason"):
            changes["refusal.reason"] = scrub(case["refusal"]["reason"])
        if case.get("assignments"):  # the other units' parts: their notes, refusals, extensions, replies
            changes["assignments"] = [_scrubbed_part(part, scrub) for part in case["assignments"]]
        kept = dict(case.get("last_events") or {})  # the events kept to publish again, the parts' too
        for key, events_of_part in (kept.pop("parts", None) or {}).items():
            kept.update({f"parts.{key}.{event_type}": payload for event_type, payload in events_of_part.items()})
        for path, payload in kept.items():
            if isinstance(payload, dict) and any(isinstance(payload.get(name), str) for name in SCRUBBED_IN_EVENTS):
                changes[f"last_events.{path}"] = {
                    name: scrub(value) if name in SCRUBBED_IN_EVENTS and isinstance(value, str) else value
                    for name, value in payload.items()}
        for name in EXITS:
            for key in ("reason", "decision_reason"):
                if (case.get(name) or {}).get(key):
                    changes[f"{name}.{key}"] = scrub(case[name][key])
        if case.get("ledger_pending"):
            changes["ledger_pending"] = [dict(entry, reason=scrub(entry.get("reason")),
                                              reason_codes=reasons.scrubbed(entry.get("reason_codes"), scrub))
                                         for entry in case["ledger_pending"]]
        if changes:
            self.cases.update_one({"number": number}, {"$set": changes})
        for entry in self.ledger.find({"number": number, "$or": [{"reason": {"$nin": [None, ""]}},
                                                                 {"reason_codes.0": {"$exists": True}}]},
                                      {"reason": 1, "reason_codes": 1}):
            self.ledger.update_one({"_id": entry["_id"]}, {"$set": {
                "reason": scrub(entry.get("reason")),
                "reason_codes": reasons.scrubbed(entry.get("reason_codes"), scrub)}})

    def remember_ticket(self, number, ticket):
        """Keep the citizen's title and description (asked of intake) for later reviews."""
        self.cases.update_one({"number": number}, {"$set": {"ticket": ticket}})

    def open_cases(self, department_code=None, state=None, limit=500):
        query = {"state": state} if state else {"state": {"$nin": ["closed", "refused"]}}
        if department_code:  # the unit's own cases, and those it holds a live part of (tree.py)
            query = {"$or": [dict(query, department_code=department_code), {"assignments": {"$elemMatch": {
                "unit_code": department_code, "state": {"$in": list(LIVE)}}}}]}
        return list(self.cases.find(query, LIST_FIELDS).sort("deadline", 1).limit(limit))

    def page(self, query, sort, offset, limit, with_ticket=False):
        """``(cases, total)``: one page of the cases ``query`` finds, without ledgers."""
        fields = {"_id": 0, "outbox": 0, "ledger_pending": 0, "last_events": 0} if with_ticket \
            else LIST_FIELDS
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
        """Ledger entries from ``start`` to ``end`` counted by department, action and outcome.

        The entries of a case ruled unreasonable (不合理诉求) are left out, all but
        the ruling itself (``unreasonable_approved``): the unit's rates do not hold
        it against it, and it is still counted."""
        ruled = self.cases.distinct("number", {"outcome": "unreasonable"})
        when = {"at": {"$gte": start, "$lt": end}}
        pipeline = [
            {"$match": {"$or": [dict(when, number={"$nin": ruled}),
                                dict(when, action="unreasonable_approved")]}},
            {"$group": {
                # a part passed down is dispatched to the unit below (the entry names the unit passing it)
                "_id": {"department": {"$cond": [{"$eq": ["$action", "passed_down"]}, "$to_unit",
                                                 "$department_code"]}, "action": "$action",
                        "on_time": "$on_time", "reached": "$reached",
                        "resolved": "$resolved", "satisfaction": "$satisfaction", "outcome": "$outcome"},
                "count": {"$sum": 1},
                "working_days": {"$sum": "$handling_working_days"}}},
        ]
        rows = []
        for row in self.ledger.aggregate(pipeline):
            key = row["_id"]
            rows.append({"department": key.get("department"), "action": key.get("action"),
                         "on_time": key.get("on_time"), "reached": key.get("reached"),
                         "resolved": key.get("resolved"), "satisfaction": key.get("satisfaction"),
                         "outcome": key.get("outcome"),
                         "count": row["count"], "working_days": row.get("working_days") or 0})
        return rows

    def period_cases(self, start, end, now):
        """Per unit, of the rounds dispatched (or reopened) to it from ``start`` to ``end``:
        ``awaiting_sign_for`` -- not signed for and still inside the sign-for window --,
        ``still_open`` -- the lead's cases not closed yet -- and ``withdrawn_unanswered``.

        A part (co-handling, passed down) is a dispatch to its unit, timed by its own
        ``assigned_at`` (as its ledger entry is): still ``assigned`` inside its window, it is
        awaiting like the lead's; withdrawn (the lead changed, the case closed) before its unit
        signed for it and before its window closed, it is ``withdrawn_unanswered``: not a
        dispatch held to the unit. Withdrawn unanswered after its window closed, the miss was
        the unit's own and stands, as a sign-for made late before the withdrawal does. The parts
        of a case ruled unreasonable are left out, as their ledger entries are."""
        pipeline = [
            {"$match": {"round_started_at": {"$gte": start, "$lt": end}}},
            {"$project": {"department_code": 1, "awaiting": {"$cond": [
                {"$and": [{"$eq": ["$state", "assigned"]}, {"$gt": ["$sign_for_deadline", now]}]}, 1, 0]},
                "open": {"$cond": [{"$in": ["$state", list(OPEN_STATES)]}, 1, 0]}}},
            {"$group": {"_id": "$department_code", "awaiting": {"$sum": "$awaiting"},
                        "open": {"$sum": "$open"}}},
        ]
        found = {row["_id"]: {"department": row["_id"], "awaiting_sign_for": row["awaiting"],
                              "still_open": row["open"], "withdrawn_unanswered": 0}
                 for row in self.cases.aggregate(pipeline)}
        for row in self.cases.aggregate(self._parts_pending(start, end, now)):
            line = found.setdefault(row["_id"], {"department": row["_id"], "awaiting_sign_for": 0,
                                                 "still_open": 0, "withdrawn_unanswered": 0})
            line["awaiting_sign_for"] += row["awaiting"]
            line["withdrawn_unanswered"] += row["withdrawn"]
        return list(found.values())

    def closures(self, start, end, now, terms):
        """Per unit, of the cases it closed from ``start`` to ``end`` with an outcome held to
        account (``terms``: ``shared.contract.rebounds``): ``closures_checked`` -- those that
        rebounded, and those whose window has passed -- and ``rebounded``. A closure still inside
        its window, not rebounded yet, is not judged. The unit is the case's lead at the close
        (its ``department_code``: a closed case keeps it)."""
        judged_before = now - terms.window
        pipeline = [
            {"$match": {"state": CLOSED, "closed_at": {"$gte": start, "$lt": end},
                        "outcome": {"$in": terms.outcome_values()}}},
            {"$project": {"department_code": 1, "rebounded": {"$cond": [
                {"$gt": [{"$size": {"$ifNull": ["$rebounds", []]}}, 0]}, 1, 0]},
                "passed": {"$cond": [{"$lte": ["$closed_at", judged_before]}, 1, 0]}}},
            {"$group": {"_id": "$department_code", "rebounded": {"$sum": "$rebounded"},
                        "checked": {"$sum": {"$max": ["$rebounded", "$passed"]}}}},
        ]
        return [{"department": row["_id"], "closures_checked": row["checked"], "rebounded": row["rebounded"]}
                for row in self.cases.aggregate(pipeline)]

    @staticmethod
    def _parts_pending(start, end, now):
        """The pipeline counting, per unit, the period's parts awaiting sign-for and withdrawn unanswered."""
        part = "$assignments"
        return [
            {"$match": {"assignments.assigned_at": {"$gte": start, "$lt": end}, "outcome": {"$ne": "unreasonable"}}},
            {"$unwind": part},
            {"$match": {"assignments.assigned_at": {"$gte": start, "$lt": end}}},
            {"$project": {"unit": f"{part}.unit_code", "awaiting": {"$cond": [
                {"$and": [{"$eq": [f"{part}.state", ASSIGNED]}, {"$gt": [f"{part}.sign_for_deadline", now]}]}, 1, 0]},
                "withdrawn": {"$cond": [
                    {"$and": [{"$eq": [f"{part}.state", WITHDRAWN]},
                              {"$eq": [{"$ifNull": [f"{part}.signed_at", None]}, None]},
                              {"$lte": [f"{part}.ended_at", f"{part}.sign_for_deadline"]}]}, 1, 0]}}},
            {"$group": {"_id": "$unit", "awaiting": {"$sum": "$awaiting"}, "withdrawn": {"$sum": "$withdrawn"}}},
        ]

    # -- department tokens ----------------------------------------------------

    def create_token(self, department_code, label, now):
        token = secrets.token_urlsafe(24)
        self.tokens.insert_one({"token_hash": hash_token(token), "department_code": department_code,
                                "label": label or "", "created_at": now, "revoked_at": None})
        return token

    def department_for_token(self, token):
        if not well_formed_token(token):
            return None
        doc = self.tokens.find_one({"token_hash": hash_token(token), "revoked_at": None})
        return doc["department_code"] if doc else None

    def list_tokens(self):
        return list(self.tokens.find({}, {"_id": 0, "token_hash": 0}).sort("created_at", DESCENDING).limit(500))

    def revoke_tokens(self, department_code, now):
        result = self.tokens.update_many({"department_code": department_code, "revoked_at": None},
                                         {"$set": {"revoked_at": now}})
        return result.modified_count


# A part's events kept to publish again (intake's reconciler, ``republish_part``): the latest of
# each type, per unit, under ``last_events.parts.<part_key(unit)>``.
PART_EVENTS = ("assignment_opened", "assignment_signed_for", "assignment_refused", "assignment_replied",
               "assignment_extension_decided", "assignment_ended")
SCRUBBED_IN_EVENTS = ("title", "note", "text", "reason", "reply")  # the words a kept event may carry


def part_key(unit_code):
    """A unit's code as a field name (a code may hold a dot, which a field name must not)."""
    return str(unit_code).replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def latest_part_events(outbox):
    """``{field: payload}`` setting the latest kept event of each part in ``outbox`` (the lead's
    own steps are the case's events)."""
    return {f"last_events.parts.{part_key(entry['payload']['unit_code'])}.{entry['event_type']}": entry["payload"]
            for entry in outbox if entry["event_type"] in PART_EVENTS
            and entry["payload"].get("unit_code") and entry["payload"].get("role") != "lead"}


def _scrubbed_part(part, scrub):
    part = dict(part, note=scrub(part.get("note")))
    if (part.get("reply") or {}).get("text"):
        part["reply"] = dict(part["reply"], text=scrub(part["reply"]["text"]))
    for asked in ("refusal", "extension"):
        if (part.get(asked) or {}).get("reason"):
            part[asked] = dict(part[asked], reason=scrub(part[asked]["reason"]))
    return part


def file_info(doc):
    meta = doc.get("metadata") or {}
    return {"id": doc["_id"], "filename": doc["filename"], "size": doc["length"],
            "content_type": meta.get("contentType"), "uploaded_at": doc["uploadDate"],
            "uploaded_by": meta.get("uploaded_by")}
