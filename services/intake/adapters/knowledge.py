"""The knowledge base: the collection ``knowledge``, one document per entry.

A document holds the entry (``domain/knowledge_entry.py``: owner, versions,
feedback) and, at its top, the published version's text and ``terms`` -- what
search finds through the multikey index on ``terms`` and what an answer on the
call quotes. An entry is saved whole, on the condition that nobody saved it since
it was loaded (``revision``), with its events in its ``outbox``.

Documents imported before entries had owners and versions are read as they are
(``KnowledgeEntry.from_doc`` makes them published version 1 of the centre) and
keep being found: their ``terms`` are at the top already.
"""
import datetime as dt

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.intake.domain import knowledge
from services.intake.domain.knowledge_entry import KnowledgeEntry, imported
from shared.contract.events import payload, utcnow
from shared.platform.config import city_zone, data_file
from shared.platform.outbox import Outbox, outboxed
from shared.platform.unit_of_work import LostRace

HIDDEN = {"_id": 0, "outbox": 0}
LISTED = {"_id": 0, "id": 1, "owner": 1, "state": 1, "question": 1, "version": 1, "category": 1,
          "expires_at": 1, "review_at": 1, "feedback": 1, "flagged": 1, "source": 1, "versions": {"$slice": -1}}


def offered_query(now):
    """Entries operators are offered: a published text (``terms``) that has not expired."""
    return {"question": {"$ne": None}, "$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}]}


class KnowledgeRepository:
    def __init__(self, database, config):
        self.knowledge = database["knowledge"]
        self.outbox = Outbox(self.knowledge)
        section = config.get("INTAKE") or {}
        self.knowledge_file = section.get("knowledge_file")
        self.zone = city_zone(config)

    def ensure_indexes(self):
        """Indexes, and the knowledge base from ``INTAKE.knowledge_file`` while it is empty."""
        self.knowledge.create_index("id", unique=True)
        self.knowledge.create_index("terms")  # multikey: entries sharing a query term
        self.knowledge.create_index([("owner", ASCENDING), ("state", ASCENDING)])
        self.knowledge.create_index("review_at", sparse=True)
        self.knowledge.create_index("expires_at", sparse=True)
        self.knowledge.create_index("source.ticket", sparse=True)   # proposed from a closed case
        self.knowledge.create_index("also_asked.ticket", sparse=True)
        self.outbox.ensure_indexes()
        if self.knowledge_file and self.count() == 0:
            self.put_imported(knowledge.load_file(data_file({"file": self.knowledge_file}, "file",
                                                            self.knowledge_file)), utcnow())

    def count(self):
        return self.knowledge.count_documents({})

    def put_imported(self, rows, now):
        """Clean rows of a file (``knowledge.entry``) published as the centre's text: a new
        entry, or a new version of one that exists (its owner, history kept); how many."""
        for row in rows:
            for _ in range(3):
                entry = imported(row["id"], row["question"], row["answer"], row["keywords"], now,
                                 row.get("category"), row.get("lang") or "zh", self.load(row["id"]),
                                 self._day(row.get("expires_on")), self._day(row.get("review_on")))
                try:
                    self.save(None, entry)
                    break
                except LostRace:
                    continue
        return len(rows)

    def _day(self, day):
        """A file's date -> the start of that day in the city, in UTC."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC) if day else None

    # -- entries -------------------------------------------------------------------

    def load(self, entry_id):
        doc = self.knowledge.find_one({"id": entry_id}, HIDDEN) if isinstance(entry_id, str) else None
        return KnowledgeEntry.from_doc(doc) if doc else None

    def document(self, entry_id):
        return self.knowledge.find_one({"id": entry_id}, HIDDEN) if isinstance(entry_id, str) else None

    def save(self, uow, entry, events=()):
        """Save ``entry`` with ``events`` if nobody saved it since it was loaded, else ``LostRace``."""
        loaded = entry.revision
        entry.revision = loaded + 1
        doc = entry.to_doc()
        queued = [outboxed(e.event_type, payload(e)) for e in events]
        try:
            saved = self.knowledge.find_one_and_update(
                {"id": entry.id, **({"revision": loaded} if loaded else {"revision": {"$in": [None, 0]}})},
                {"$set": doc, "$push": {"outbox": {"$each": queued}}},
                upsert=not loaded, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            saved = None
        if saved is None:
            entry.revision = loaded
            raise LostRace(f"knowledge entry {entry.id} changed meanwhile")
        if queued:
            uow.saved(self.outbox, saved["_id"], saved.get("outbox") or [])
        return {k: v for k, v in saved.items() if k not in ("_id", "outbox")}

    def from_ticket(self, number):
        """The id of the entry proposed from ticket ``number``, or kept as asked again beside; None."""
        doc = self.knowledge.find_one({"$or": [{"source.ticket": number}, {"also_asked.ticket": number}]},
                                      {"_id": 0, "id": 1})
        return doc["id"] if doc else None

    def offered(self, entry_id, now):
        """The entry's published text, if operators are offered it now."""
        if not isinstance(entry_id, str):
            return None
        return self.knowledge.find_one({"id": entry_id, **offered_query(now)}, HIDDEN)

    def candidates(self, terms, now, limit=200):
        """Offered entries sharing one of ``terms``."""
        if not terms:
            return []
        return list(self.knowledge.find({"terms": {"$in": list(terms)}, **offered_query(now)},
                                        {"_id": 0, "id": 1, "question": 1, "answer": 1, "keywords": 1,
                                         "category": 1, "lang": 1, "terms": 1, "owner": 1, "version": 1,
                                         "expires_at": 1}).limit(limit))

    def page(self, query, offset, limit):
        """One page of entries (their newest version only), by id; and how many there are."""
        found = list(self.knowledge.find(query, LISTED).sort("id", ASCENDING).skip(offset).limit(limit))
        return found, self.knowledge.count_documents(query)

    def due(self, now, limit=200):
        """Published entries whose expiry or review date has come."""
        query = {"question": {"$ne": None}, "$or": [{"expires_at": {"$lte": now}}, {"review_at": {"$lte": now}}]}
        return [KnowledgeEntry.from_doc(doc) for doc in self.knowledge.find(query, HIDDEN).limit(limit)]
