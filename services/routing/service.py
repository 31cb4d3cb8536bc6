"""routing: decide which department handles a ticket, and by when.

Consumes ``intake.ticket_created`` (decide), ``followup.case_refused``
(re-route, or a person arbitrates) and ``followup.case_closed`` (learn the
final department). Publishes ``ticket_assigned`` or
``ticket_awaiting_dispatch``. RPC for dispatchers (queue, assign), for the
directory (see :mod:`services.routing.directory_rpc`) and for learning
(import_history, train). Timers reload what other instances changed and
retrain on a schedule.
"""
import logging

from eventlet import tpool
from nameko.dependency_providers import Config

# modules, not classes: `nameko run` would take a class with entrypoints for a service
from services.routing import (
    calendar_rpc,
    directory_rpc,
    learning,
    numbers_rpc,  # a mixin, as directory_rpc
    records,
)
from services.routing.decide import decide, ticket_text
from services.routing.directory_rpc import RoutingError
from services.routing.knowledge import KnowledgeProvider
from services.routing.store import DecisionRepository
from shared.contract import bounds, events
from shared.contract import reasons as reasons_coded
from shared.platform import clock as shared_clock
from shared.platform import ops
from shared.platform.checks import whole_number
from shared.platform.doors import Doors, People, Public, door
from shared.platform.identity import STAFF_ROLES, Identity, NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.outbox import outboxed, publish_saved, republish_stale
from shared.platform.privacy import scrub
from shared.platform.production import ProductionChecks
from shared.platform.timer import every

log = logging.getLogger(__name__)


EVENT_SCHEMAS = {"ticket_assigned": events.TicketAssigned,
                 "ticket_awaiting_dispatch": events.TicketAwaitingDispatch}


def outbox_of(outcome):
    return [outboxed(outcome.kind, events.new_event(EVENT_SCHEMAS[outcome.kind], **outcome.body))]


def attempt_of(outcome):
    return {k: outcome.record.get(k) for k in ("status", "department_code", "rule", "reasons",
                                               "reason_codes", "confidence", "decided_by", "decided_at",
                                               "directory_version", "model_version")}


class RoutingService(ops.Operable, directory_rpc.DirectoryRpc, calendar_rpc.CalendarRpc,
                     numbers_rpc.ForIntake):
    name = "routing"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline routing", "version": "2",
                    "description": "routing's operations port: health, readiness, metrics (its work is RPC)."}
    operations = ops.Operations(calendar=True)  # it computes deadlines

    production = ProductionChecks()
    decisions = Store(DecisionRepository)
    caller = Identity()
    knowledge = KnowledgeProvider()
    clock = shared_clock.Clock()
    config = Config()
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    notify = RpcProxy("notify")  # the demo clock

    # -- the demo clock, kept by notify (shared.platform.clock) ------------------

    @event_handler("notify", "clock_moved", requeue_on_error=True)
    @consumes(events.ClockMoved)
    def on_clock_moved(self, event):
        shared_clock.follow(self.clock, event)

    @every("CLOCK_SYNC_INTERVAL", default=30, eager=True)
    def sync_clock(self):
        return shared_clock.sync(self.clock, self.notify)

    # -- deciding --------------------------------------------------------------

    @event_handler("intake", "ticket_created", requeue_on_error=True)
    @consumes(events.TicketCreated)
    def on_ticket_created(self, ticket):
        self._record_number(ticket["number"])
        known = self.knowledge.ready(self.decisions)
        now = self.clock.now()
        decision = decide(ticket, known.directory, known.learner, known.threshold)
        outcome = records.from_decision(ticket["number"], ticket, decision, known.policy, now, known.directory)
        record = dict(outcome.record, number=ticket["number"], ticket=records.ticket_record(ticket),
                      priority=records.PRIORITY.get(ticket["urgency"], len(records.PRIORITY)),
                      attempts=[attempt_of(outcome)], refusals=[], seen_events=[ticket["event_id"]])
        doc = self.decisions.add(record, outbox_of(outcome))
        if doc is None:  # routed before: a redelivery -- or another ticket under its number
            self._check_same_ticket(self.decisions.get(ticket["number"]) or {}, ticket)
            log.info("ticket %s was routed before; redelivery ignored", ticket["number"])
            return
        publish_saved(self.decisions.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s -> %s (%s)", ticket["number"],
                 record.get("department_code") or "manual dispatch", decision.rule)

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, refusal):
        known = self.knowledge.ready(self.decisions)
        record = self.decisions.get(refusal["number"])
        if record is None or record.get("department_code") != refusal["department_code"]:
            log.warning("refusal of %s by %s ignored: routing has it %s", refusal["number"],
                        refusal["department_code"], "nowhere" if record is None else
                        f"with {record.get('department_code') or 'the dispatchers'}")
            return
        outcome = records.after_refusal(record, refusal, known.directory, known.learner, known.threshold,
                                        known.policy, self.clock.now(),
                                        int(known.setting("ROUTING_MAX_REFUSALS", records.MAX_REFUSALS)))
        doc = self.decisions.redecide(
            refusal["number"], {"status": "assigned", "department_code": refusal["department_code"]},
            outcome.record, attempt_of(outcome), outbox_of(outcome), event_id=refusal["event_id"],
            refusal={k: refusal[k] for k in ("department_code", "reason", "refused_at", "actor")})
        if doc is None:
            log.info("refusal %s of %s applied before; ignored", refusal["event_id"], refusal["number"])
            return
        self.decisions.add_refusal(refusal["number"], ticket_text(record["ticket"]),
                                   refusal["department_code"], refusal["reason"])
        publish_saved(self.decisions.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s refused by %s -> %s", refusal["number"], refusal["department_code"],
                 outcome.record.get("department_code") or "a dispatcher")

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        self.decisions.erase_personal_data(event["number"], scrub)

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, closed):
        record = self.decisions.get(closed["number"])
        if record is None:
            return
        self.decisions.add_outcome(closed["number"], ticket_text(record["ticket"]), closed["department_code"])

    # -- dispatchers -------------------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc
    def get_decision(self, number):
        return jsonable(self.decisions.get(number))

    @door(People(*STAFF_ROLES))
    @rpc
    def queue(self, limit=50, offset=0, rule=None):
        """Tickets waiting for a dispatcher, oldest first, with suggestions and reasons.

        ``rule="arbitration"`` lists only those refused too often (仲裁).
        """
        return jsonable(self.decisions.queue(whole_number("limit", limit, 1, 1000),
                                             whole_number("offset", offset or 0, 0, 10 ** 6), rule))

    @door(People(*STAFF_ROLES))
    @rpc
    def queue_size(self, rule=None):
        return self.decisions.queue_size(rule)

    @door(People("dispatcher"))
    @rpc(expected_exceptions=(RoutingError, NotAllowed))
    def assign(self, number, department_code, by, reason):
        """A dispatcher assigns a waiting ticket; ``ticket_assigned`` records who and why.

        Who is the signed-in dispatcher (``shared.platform.identity``), not ``by``.
        """
        by = self.caller.require("dispatcher").name
        known = self.knowledge.ready(self.decisions)
        if not isinstance(by, str) or not isinstance(reason, str) or not by.strip() or not reason.strip():
            raise RoutingError("say who decides (--by) and why (--reason)")
        if len(by) > bounds.NAME or len(reason) > bounds.REASON:
            raise RoutingError(f"--by has at most {bounds.NAME} characters, --reason {bounds.REASON}")
        record = self.decisions.get(number)
        if record is None:
            raise RoutingError(f"no ticket {number} in routing")
        if record["status"] != "awaiting_dispatch":
            raise RoutingError(f"{number} is not waiting for a dispatcher: it is with {record['department_code']}")
        dept = known.directory.get(department_code) or known.directory.get(known.directory.resolve(department_code))
        if dept is None:
            raise RoutingError(f"no department {department_code} in service; see `hotline routing departments`")
        suggested = [s["department_code"] for s in record.get("suggestions") or []]
        reasons = [reasons_coded.said(reason.strip())]
        if dept.code in suggested:
            reasons.append(reasons_coded.reason("suggestion_rank", rank=suggested.index(dept.code) + 1))
        refused = [r["department_code"] for r in record.get("refusals") or []]
        previous = refused[-1] if refused else None
        # the same rule as routing's own decisions: the category picked, else recognised
        entry, how, _ = known.directory.category_for(record["ticket"], dept.code)
        outcome = records.assigned(
            number, record["ticket"], dept, (entry or {}).get("class", "general"), known.policy,
            self.clock.now(), decided_by=by.strip(), rule="operator", reasons=reasons,
            directory=known.directory, suggestions=record.get("suggestions") or [],
            previous=previous, refused=refused, assignments=record.get("assignments", 0),
            category=(entry or {}).get("code"), category_source=how)
        doc = self.decisions.redecide(number, {"status": "awaiting_dispatch"}, outcome.record,
                                      attempt_of(outcome), outbox_of(outcome))
        if doc is None:
            raise RoutingError(f"{number} was dispatched by someone else meanwhile")
        publish_saved(self.decisions.outbox, self.dispatch, doc["_id"])
        return jsonable(outcome.body)

    @door(People("dispatcher"))
    @rpc(expected_exceptions=(RoutingError, NotAllowed))
    def redispatch(self, number, department_code, reason):
        """A dispatcher moves a ticket away from the department that holds it (改派).

        Publishes ``ticket_assigned`` (``redispatched``, the department it leaves
        as ``previous_department_code``); followup moves the case if it is still
        with that department and not yet approved, and ignores it otherwise.
        """
        by = self.caller.require("dispatcher").name
        known = self.knowledge.ready(self.decisions)
        if not (reason or "").strip():
            raise RoutingError("say why the ticket moves (the reason is recorded)")
        record = self.decisions.get(number)
        if record is None:
            raise RoutingError(f"no ticket {number} in routing")
        if record["status"] != "assigned":
            raise RoutingError(f"{number} is not with a department: assign it from the queue")
        dept = known.directory.get(department_code)
        if dept is None:
            raise RoutingError(f"no department {department_code} in service")
        current = record["department_code"]
        if dept.code == current:
            raise RoutingError(f"{number} is with {current} already")
        category = known.directory.catalogue.get(record["ticket"].get("category") or "") or {}
        refused = [r["department_code"] for r in record.get("refusals") or []]
        outcome = records.assigned(
            number, record["ticket"], dept, category.get("class", record.get("time_limit_class") or "general"),
            known.policy, events.utcnow(), decided_by=by, rule="redispatch",
            reasons=[reasons_coded.said(reason.strip()), reasons_coded.reason("moved_from", department=known.directory.name_of(current))],
            directory=known.directory,
            suggestions=record.get("suggestions") or [], previous=current, refused=refused,
            assignments=record.get("assignments", 1))
        outcome.body["redispatched"] = True
        doc = self.decisions.redecide(number, {"status": "assigned", "department_code": current},
                                      outcome.record, attempt_of(outcome), outbox_of(outcome))
        if doc is None:
            raise RoutingError(f"{number} was moved by someone else meanwhile")
        publish_saved(self.decisions.outbox, self.dispatch, doc["_id"])
        log.info("ticket %s re-dispatched from %s to %s by %s", number, current, dept.code, by)
        return jsonable(outcome.body)

    @door(People(*STAFF_ROLES))
    @rpc
    def suggest(self, ticket):
        """What routing would decide for ``ticket`` (title, description, category, district...), without storing."""
        known = self.knowledge.ready(self.decisions)
        decision = decide(ticket, known.directory, known.learner, known.threshold)
        return jsonable({"department_code": decision.department.code if decision.decided else None,
                         "rule": decision.rule, "reasons": decision.sentences, "reason_codes": decision.reasons,
                         "confidence": decision.confidence,
                         "time_limit_class": decision.time_limit_class, "category": decision.category,
                         "category_source": decision.category_source,
                         "suggestions": records.named(decision.suggestions, known.directory),
                         "threshold": known.threshold, "model_version": decision.model_version,
                         "directory_version": known.directory.version})

    # -- learning ----------------------------------------------------------------

    @door(People("admin"))
    @rpc
    def import_history(self, rows, source="import", replace=False):
        """Store ``[[text, department]]`` rows to learn from; says which departments are unknown.

        ``replace`` (on a file's first batch) forgets an earlier import of the same source.
        """
        known = self.knowledge.ready(self.decisions)
        clean, unknown = [], {}
        for text, label in rows:
            code = known.directory.resolve(label)
            if code is None:
                unknown[label] = unknown.get(label, 0) + 1
            clean.append((str(text), code or str(label)))
        return {"stored": self.decisions.add_history(clean, source, replace), "not_in_directory": unknown}

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def train(self):
        """Train on everything learned so far; every instance loads the new model."""
        return self._train(reason="asked")

    @door(People(*STAFF_ROLES))
    @rpc
    def model_info(self):
        known = self.knowledge.ready(self.decisions)
        model = known.model
        return jsonable({"loaded_version": model.version if model else None,
                         "learner": known.learner.kind, "threshold": known.threshold,
                         "meta": model.meta if model else None, "models": self.decisions.models_list(),
                         "examples": self.decisions.examples_since(None)})

    def _train(self, reason):
        known = self.knowledge.ready(self.decisions)
        if not self.decisions.take_lease("train", 3600):
            raise RoutingError("another routing instance is training now; try again later")
        try:
            read_at = events.utcnow()  # what arrives after this is for the next model
            texts, labels, numbers = self.decisions.training_examples()
            weights = learning.refusal_weights(numbers, self.decisions.refused_by(),
                                               float(known.setting("ROUTING_REFUSAL_WEIGHT", learning.REFUSAL_WEIGHT)))
            try:
                model = tpool.execute(learning.train, texts, labels, known.directory, known.target_precision,
                                      weights=weights)
            except learning.NotEnoughHistory as exc:
                raise RoutingError(str(exc)) from None
            from services.routing.classifier import dumps

            data = dumps(model)
            meta = dict(model.meta, reason=reason, size=len(data), examples_read_at=read_at)
            version = self.decisions.save_model(data, meta)
            model.meta = meta
            known.save_file(model)  # the next start loads it, even from an in-memory store
        finally:
            self.decisions.release_lease("train")
        known.refresh(self.decisions)
        log.info("model version %d trained (%s): %s", version, reason, meta)
        return jsonable({"version": version, "meta": meta, "threshold": known.threshold})

    @every("ROUTING_REFRESH_INTERVAL", default=10)
    def refresh_knowledge(self):
        self.knowledge.refresh(self.decisions)

    @every("ROUTING_RETRAIN_INTERVAL", default=86400)
    def retrain(self):
        """Retrain when something was learned since the newest model."""
        latest = self.decisions.latest_model()
        new = self.decisions.examples_since(
            (latest["meta"].get("examples_read_at") or latest["saved_at"]) if latest else None)
        if not new or (latest is None and new < learning.MIN_EXAMPLES):
            return
        try:
            self._train(reason="schedule")
        except RoutingError as exc:
            log.info("scheduled retraining skipped: %s", exc)

    # -- plumbing ------------------------------------------------------------------

    @door(Public())
    @rpc
    def ping(self):
        return "routing"

    @every("OUTBOX_INTERVAL", default=5, eager=True)
    def republish_outbox(self):
        self.knowledge.ready(self.decisions)  # a fresh store is seeded at start, its events queued
        republish_stale(self.decisions.outbox, self.dispatch)
        # directory and calendar announcements at once (the seed's among them): a copy
        # published twice is absorbed by its consumers, who keep only newer versions
        for outbox in (self.decisions.change_outbox, self.decisions.calendar_outbox):
            republish_stale(outbox, self.dispatch, grace_seconds=0)
