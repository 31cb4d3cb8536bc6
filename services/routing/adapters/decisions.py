"""Routing's decisions (``decisions``), one per ticket, behind domain verbs -- and, beside
them, the repositories of routing's other aggregates over the same database.

A decision holds the current decision, every attempt with its reasons,
refusals, and the outbox of events to publish (``shared.platform.outbox``). It
keeps its latest event (``last_event``) to publish again when intake's
reconciler asks, and bounded lists: the latest attempts, refusals and applied
refusal events. :class:`DecisionRepository` converts the document to the
:class:`~services.routing.domain.decision.Decision` aggregate and back
(``load``, ``create``, ``save``); a save is conditional on the decision being
as it was loaded.

``Store`` hands a service one object, so this repository also carries the
others (routing's ``Store(DecisionRepository)``; ``services.routing.bootstrap``
hands each to the handlers on its own):

* ``directory`` -- :mod:`services.routing.adapters.directory`;
* ``calendar`` -- :mod:`services.routing.adapters.calendar`;
* ``learning`` -- examples, refusals, models, leases (:mod:`services.routing.adapters.learning`);
* ``numbers`` -- the highest ticket number seen per day (:mod:`services.routing.adapters.numbers`);
* ``proposals`` -- proposed catalogue edits (:mod:`services.routing.adapters.proposals`).
"""
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.routing.adapters.calendar import CalendarRepository
from services.routing.adapters.directory import DirectoryRepository
from services.routing.adapters.learning import LearningRepository
from services.routing.adapters.numbers import NumberRepository
from services.routing.adapters.proposals import CatalogueProposalRepository
from services.routing.domain.decision import Decision
from shared.contract import bounds, events, reasons
from shared.platform.outbox import Outbox, outboxed

ATTEMPTS_KEPT = 50     # the latest decisions of a ticket (every refusal is in ``refusals`` too)
SEEN_KEPT = 100        # refusal event ids remembered per ticket, for idempotency
HIDDEN = {"outbox": 0, "_id": 0, "seen_events": 0, "last_event": 0}
EVENT_SCHEMAS = {"ticket_assigned": events.TicketAssigned,
                 "ticket_awaiting_dispatch": events.TicketAwaitingDispatch}


class DecisionBusy(Exception):
    """Too many of a ticket's events wait to be published; nothing was changed."""


def outbox_of(outcome):
    """The outbox entry of a decision's event."""
    return [outboxed(outcome.kind, events.new_event(EVENT_SCHEMAS[outcome.kind], **outcome.body))]


def _latest(outbox):
    """The decision's event among those just saved, kept to publish again on request."""
    entry = list(outbox)[-1] if outbox else None
    return {"event_type": entry["event_type"], "payload": entry["payload"]} if entry else None


def _scrubbed_reasons(item, scrub):
    return {"reasons": [scrub(r) for r in item.get("reasons") or []],
            "reason_codes": reasons.scrubbed(item.get("reason_codes"), scrub)}


class DecisionRepository:
    def __init__(self, database, config):
        self.db = database
        self.decisions = database["decisions"]
        self.outbox = Outbox(self.decisions)
        self.directory = DirectoryRepository(database)
        self.calendar = CalendarRepository(database)
        self.learning = LearningRepository(database)
        self.numbers = NumberRepository(database)
        self.proposals = CatalogueProposalRepository(database)

    def ensure_indexes(self):
        self.decisions.create_index("number", unique=True)
        self.decisions.create_index([("status", 1), ("priority", 1), ("decided_at", 1)])
        self.outbox.ensure_indexes()
        for repository in (self.directory, self.calendar, self.learning, self.numbers, self.proposals):
            repository.ensure_indexes()

    def ops_gauges(self):
        """The dispatchers' queue, for /metrics (``shared.platform.ops``)."""
        from shared.platform.metrics import Sample

        return [Sample("hotline_dispatch_queue", {},
                       self.decisions.count_documents({"status": "awaiting_dispatch"}))]

    # -- the aggregate -----------------------------------------------------------

    def load(self, number):
        """The ticket's :class:`Decision`, or ``None``."""
        doc = self.get(number)
        return Decision.from_doc(doc) if doc else None

    def create(self, uow, decision, outcome):
        """Store a new ticket's decision and its event; False if the ticket has one already."""
        doc = self.add(decision.to_doc(outcome), outbox_of(outcome))
        if doc is None:
            return False
        uow.saved(self.outbox, doc["_id"], doc["outbox"])
        return True

    def save(self, uow, decision, outcome):
        """Store ``outcome`` if the decision is still as loaded (and its event not applied
        before); False otherwise. ``DecisionBusy`` when its outbox is full."""
        doc = self.redecide(decision.number, decision.expected, outcome.record, outcome.attempt,
                            outbox_of(outcome), event_id=outcome.event_id, refusal=outcome.refusal)
        if doc is None:
            return False
        uow.saved(self.outbox, doc["_id"])
        return True

    # -- documents -----------------------------------------------------------------

    def add(self, decision, outbox):
        """Store the decision for a ticket; ``None`` if one exists already."""
        try:
            doc = dict(decision, outbox=list(outbox), last_event=_latest(outbox))
            self.decisions.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return None

    def get(self, number):
        return self.decisions.find_one({"number": number}, HIDDEN)

    def last_event(self, number):
        """``{"event_type", "payload"}`` of the ticket's current decision, or None."""
        doc = self.decisions.find_one({"number": number}, {"last_event": 1})
        return (doc or {}).get("last_event")

    def queue(self, limit=50, offset=0, rule=None):
        """Tickets waiting for a person: emergencies first, then urgent, each oldest first."""
        query = {"status": "awaiting_dispatch", **({"rule": rule} if rule else {})}
        return list(self.decisions.find(query, HIDDEN)
                    .sort([("priority", ASCENDING), ("decided_at", ASCENDING)])
                    .skip(max(0, offset)).limit(max(1, min(limit, 200))))

    def queue_size(self, rule=None):
        return self.decisions.count_documents({"status": "awaiting_dispatch", **({"rule": rule} if rule else {})})

    def redecide(self, number, expect, current, attempt, outbox, event_id=None, refusal=None):
        """Replace the current decision if the ticket is still as ``expect`` says.

        ``expect``: fields the stored decision must have (e.g. its status or
        department); ``event_id``: an event applied once only. Returns the
        updated document, or ``None`` when it changed meanwhile or was seen.
        """
        query = {"number": number, **expect}
        if event_id:
            query["seen_events"] = {"$ne": event_id}
        push = {"attempts": {"$each": [attempt], "$slice": -ATTEMPTS_KEPT},
                "outbox": {"$each": list(outbox)}}
        if event_id:
            push["seen_events"] = {"$each": [event_id], "$slice": -SEEN_KEPT}
        if refusal:
            push["refusals"] = {"$each": [refusal], "$slice": -ATTEMPTS_KEPT}
        result = self.decisions.update_one(
            dict(query, **bounds.has_room("outbox")),
            {"$set": dict(current, last_event=_latest(outbox)), "$push": push})
        if not result.modified_count:
            if self.decisions.count_documents(query, limit=1):
                raise DecisionBusy(f"{number} has {bounds.PENDING} events waiting to be published; "
                                   "try again when the broker takes them")
            return None
        return self.decisions.find_one({"number": number}, {"_id": 1})

    def recent_automatic(self, limit):
        """The newest ``limit`` tickets dispatched by the model or the keywords, with their suggestions."""
        fields = {"_id": 0, "number": 1, "ticket.title": 1, "ticket.description": 1, "ticket.address": 1,
                  "status": 1, "rule": 1, "department_code": 1, "confidence": 1, "suggestions": 1, "decided_at": 1}
        return list(self.decisions.find({"status": "assigned", "rule": {"$in": ["classifier", "keywords"]}}, fields)
                    .sort("decided_at", -1).limit(limit))

    def evidence(self, limit):
        """The newest ``limit`` decisions, oldest first, with what the catalogue proposals read:
        the ticket's words and category, the attempts, refusals and co-handlers."""
        fields = {"_id": 0, "number": 1, "ticket.title": 1, "ticket.description": 1, "ticket.category": 1,
                  "attempts.status": 1, "attempts.department_code": 1, "attempts.rule": 1,
                  "refusals.department_code": 1, "status": 1, "department_code": 1, "rule": 1,
                  "category": 1, "co_handlers": 1}
        newest = list(self.decisions.find({}, fields).sort("_id", -1).limit(limit))  # by insertion
        return newest[::-1]

    def typed_and_proposed(self, limit):
        """What the learner's side suggestions are measured on, from the newest ``limit`` decisions:
        ``(typed, proposed)`` -- ``(title, description, type)`` of tickets whose type a person
        gave or set, and ``(number, [proposals], [co-handlers kept])`` of tickets a dispatcher
        assigned after co-handlers were proposed to them."""
        fields = {"_id": 0, "number": 1, "ticket.title": 1, "ticket.description": 1, "request_type": 1,
                  "request_type_source": 1, "rule": 1, "co_handlers": 1, "attempts.status": 1,
                  "attempts.co_handler_proposals": 1}
        typed, proposed = [], []
        for doc in self.decisions.find({}, fields).sort("_id", -1).limit(limit):
            ticket = doc.get("ticket") or {}
            if doc.get("request_type_source") in ("given", "dispatcher") and doc.get("request_type"):
                typed.append((str(ticket.get("title") or ""), str(ticket.get("description") or ""),
                              doc["request_type"]))
            waited = [a for a in doc.get("attempts") or () if a.get("status") == "awaiting_dispatch"]
            if doc.get("rule") == "operator" and waited and waited[-1].get("co_handler_proposals"):
                kept = [c.get("department_code") for c in doc.get("co_handlers") or () if isinstance(c, dict)]
                proposed.append((doc["number"], waited[-1]["co_handler_proposals"], kept))
        return typed, proposed

    def erase_personal_data(self, number, scrub):
        """Scrub the ticket's copies here: the decision's ticket and reasons (the words of the
        text that weighed, for the department and for a learned request type; a person's why),
        its examples and refusals."""
        decision = self.decisions.find_one({"number": number}, {"ticket": 1, "reasons": 1, "reason_codes": 1,
                                                                "attempts": 1, "suggestions": 1,
                                                                "request_type_reason": 1})
        if decision:
            changes = {**_scrubbed_reasons(decision, scrub),
                       **({"request_type_reason": reasons.scrubbed([decision["request_type_reason"]], scrub)[0]}
                          if isinstance(decision.get("request_type_reason"), dict) else {}),
                       "attempts": [dict(a, **_scrubbed_reasons(a, scrub)) for a in decision.get("attempts") or []],
                       "suggestions": [dict(s, **_scrubbed_reasons(s, scrub))
                                       for s in decision.get("suggestions") or []]}
            ticket = decision.get("ticket")
            if ticket:
                changes.update({"ticket.title": scrub(ticket.get("title")),
                                "ticket.description": scrub(ticket.get("description")), "ticket.address": None})
            self.decisions.update_one({"number": number}, {"$set": changes})
        self.learning.erase_texts(number, scrub)
