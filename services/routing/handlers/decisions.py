"""Deciding who handles a ticket, and a dispatcher's choices: get, call the domain, save.

The rules and the events live in :mod:`services.routing.domain.decision`; the
unit of work publishes what a save wrote to the decision's outbox.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from services.routing.domain import request_types
from services.routing.domain.decision import MAX_REFUSALS, Decision, check_same_ticket, check_words, named
from services.routing.domain.errors import RoutingError
from services.routing.domain.rules import decide, ticket_text
from services.routing.handlers.intake import record_number
from services.routing.learning import outcomes
from shared.contract import events
from shared.platform.checks import whole_number
from shared.platform.jsonable import jsonable
from shared.platform.privacy import scrub

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps

log = logging.getLogger(__name__)


def ticket_created(deps: Deps, ticket):
    """Decide a new ticket; the outcome, or ``None`` for a redelivery.

    ``NumberReused`` when routing holds its number for another ticket.
    """
    record_number(deps, ticket["number"])
    known = deps.known()
    decision, outcome = Decision.received(ticket, known, deps.clock.now())

    def work():
        if deps.decisions.create(deps.uow, decision, outcome):
            return outcome
        # routed before: a redelivery -- or another ticket under its number
        check_same_ticket(deps.decisions.get(ticket["number"]) or {}, ticket)
        log.info("ticket %s was routed before; redelivery ignored", ticket["number"])
        return None
    return deps.uow.run(work)


def _step_of_holder(deps: Deps, event, what, step, then=None):
    """Load the ticket's decision, take ``step(decision)`` if routing still has it with the
    event's department, and save it (``then(decision)`` after the save); the outcome, or
    ``None`` when routing has it elsewhere or the event was applied before."""
    number, holder = event["number"], event["department_code"]

    def work():
        decision = deps.decisions.load(number)
        if decision is None or not decision.holds(holder):
            log.warning("%s of %s by %s ignored: routing has it %s", what, number, holder,
                        "nowhere" if decision is None else
                        f"with {decision.department_code or 'the dispatchers'}")
            return None
        outcome = step(decision)
        if not deps.decisions.save(deps.uow, decision, outcome):
            log.info("%s %s of %s applied before; ignored", what, event["event_id"], number)
            return None
        if then is not None:
            then(decision)
        return outcome
    return deps.uow.run(work)


def case_refused(deps: Deps, refusal):
    """The department holding the ticket refused it: route it again, or a person arbitrates."""
    known = deps.known()
    number, refuser = refusal["number"], refusal["department_code"]
    outcome = _step_of_holder(
        deps, refusal, "refusal",
        lambda decision: decision.refused(refusal, known, deps.clock.now(),
                                          int(known.setting("ROUTING_MAX_REFUSALS", MAX_REFUSALS))),
        lambda decision: deps.learning.add_refusal(number, ticket_text(decision.ticket), refuser,
                                                   refusal["reason"]))
    if outcome is not None:
        log.info("ticket %s refused by %s -> %s", number, refuser,
                 outcome.record.get("department_code") or "a dispatcher")


def case_raised(deps: Deps, raised):
    """Reopened too often, the case is raised a level (提级): to the unit's parent, or the centre."""
    known = deps.known()
    outcome = _step_of_holder(deps, raised, "raise",
                              lambda decision: decision.raised(raised, known, deps.clock.now()))
    if outcome is not None:
        log.info("ticket %s raised from %s -> %s", raised["number"], raised["department_code"],
                 outcome.record.get("department_code") or "the dispatchers (the centre)")


def case_closed(deps: Deps, closed):
    """The department that finally handled a closed ticket: an example to learn from."""
    record = deps.decisions.get(closed["number"])
    if record is None:
        return
    deps.learning.add_outcome(closed["number"], ticket_text(record["ticket"]), closed["department_code"])


def co_handler_added(deps: Deps, opened):
    """followup opened a co-handling part (协办) a person named: "this unit too", for the learner.
    Routing's own proposals (``assigned_by`` routing) and parts passed down are no evidence."""
    if opened.get("role") != "co" or opened.get("assigned_by") in ("", "routing"):
        return
    record = deps.decisions.get(opened["number"])
    if record is None:
        return
    deps.learning.add_signal(opened["number"], ticket_text(record["ticket"]), opened["unit_code"], "co_handler")


def personal_data_erased(deps: Deps, event):
    """intake erased a closed ticket's personal data: scrub this service's copy too."""
    deps.decisions.erase_personal_data(event["number"], scrub)


def with_confidences(deps: Deps, record):
    """``record`` (a decision, a suggestion) with the measured confidence of its suggested request
    type (``request_type_confidence``: the learned model's probability, kept with the decision, or
    how often the rules' suggestion agreed with people) and of each proposed co-handler
    (``co_confidence``), from what the model in use measured (``outcomes.request_type_confidence``);
    ``None``: not measured."""
    if not isinstance(record, dict):
        return record
    model = deps.known().model
    meta = model.meta if model is not None else {}
    if record.get("request_type_source") == "suggested" and record.get("request_type_confidence") is None:
        # the rules' suggestion: how often it agreed with people (a learned one keeps its probability)
        record["request_type_confidence"] = outcomes.request_type_confidence(
            meta.get("request_type_calibration"), record.get("request_type") or "")
    if record.get("co_handler_proposals"):
        record["co_handler_proposals"] = [
            dict(p, co_confidence=outcomes.co_handler_confidence(meta.get("co_handler_calibration"),
                                                                 float(p.get("confidence") or 0)))
            for p in record["co_handler_proposals"] if isinstance(p, dict)]
    return record


def get_decision(deps: Deps, number):
    return jsonable(with_confidences(deps, deps.decisions.get(number)))


def queue(deps: Deps, limit=50, offset=0, rule=None):
    return jsonable([with_confidences(deps, item) for item in deps.decisions.queue(
        whole_number("limit", limit, 1, 1000), whole_number("offset", offset or 0, 0, 10 ** 6), rule)])


def queue_size(deps: Deps, rule=None):
    return deps.decisions.queue_size(rule)


def _waiting_decision(deps: Deps, number):
    decision = deps.decisions.load(number)
    if decision is None:
        raise RoutingError(f"no ticket {number} in routing")
    return decision


def assign(deps: Deps, number, department_code, reason, co_handlers=(), *, request_type=None):
    """A dispatcher assigns a waiting ticket (with co-handlers beside it, and may set its request
    type); the ``ticket_assigned`` body."""
    person = deps.caller.require("dispatcher")
    known = deps.known()
    by, reason = check_words(person.name, reason)
    if not isinstance(co_handlers, (list, tuple)) or not all(isinstance(c, str) for c in co_handlers):
        raise RoutingError("co_handlers: a list of department codes")

    def work():
        decision = _waiting_decision(deps, number)
        disputed = bool(decision.refusals)  # waiting after refusals: arbitration (仲裁)
        outcome = decision.assign(department_code, by, reason, known, deps.clock.now(), co_handlers,
                                  request_type=request_type)
        outcome.body["decided_by_id"] = person.user_id  # the person, as followup's ledger names them
        if not deps.decisions.save(deps.uow, decision, outcome):
            raise RoutingError(f"{number} was dispatched by someone else meanwhile")
        # a label for the learner: where a person sent it (co-handlers come back from followup)
        deps.learning.add_signal(number, ticket_text(decision.ticket), decision.department_code,
                                 "arbitrated" if disputed else "assigned")
        return outcome
    return jsonable(deps.uow.run(work).body)


def redispatch(deps: Deps, number, department_code, reason, *, request_type=None):
    """A dispatcher moves a ticket away from the department that holds it (改派)."""
    person = deps.caller.require("dispatcher")
    by = person.name
    known = deps.known()
    if not (reason or "").strip():
        raise RoutingError("say why the ticket moves (the reason is recorded)")

    def work():
        decision = _waiting_decision(deps, number)
        current = decision.department_code
        outcome = decision.redispatch(department_code, by, reason, known, events.utcnow(),
                                      request_type=request_type)
        outcome.body["decided_by_id"] = person.user_id
        if not deps.decisions.save(deps.uow, decision, outcome):
            raise RoutingError(f"{number} was moved by someone else meanwhile")
        text = ticket_text(decision.ticket)  # labels for the learner: not that unit, this one
        deps.learning.add_signal(number, text, current, "redispatched_from")
        deps.learning.add_signal(number, text, decision.department_code, "redispatched_to")
        return current, outcome
    current, outcome = deps.uow.run(work)
    log.info("ticket %s re-dispatched from %s to %s by %s", number, current, outcome.body["department_code"], by)
    return jsonable(outcome.body)


def suggest(deps: Deps, ticket):
    """What routing would decide for ``ticket``, without storing."""
    known = deps.known()
    choice = decide(ticket, known.directory, known.learner, known.threshold,
                    co_handler_threshold=known.co_handler_threshold)
    typed = request_types.choose(ticket, known.type_learner)
    return jsonable(with_confidences(deps, {"request_type": typed.request_type, "request_type_source": typed.source,
                     "request_type_reason": typed.reason, "request_type_confidence": typed.confidence,
                     "department_code": choice.department.code if choice.department else None,
                     "rule": choice.rule, "reasons": choice.sentences, "reason_codes": choice.reasons,
                     "confidence": choice.confidence,
                     "time_limit_class": choice.time_limit_class, "category": choice.category,
                     "category_source": choice.category_source,
                     "suggestions": named(choice.suggestions, known.directory),
                     "co_handler_proposals": [p.to_dict() for p in choice.proposed],
                     "threshold": known.threshold, "co_handler_threshold": known.co_handler_threshold, "model_version": choice.model_version,
                     "directory_version": known.directory.version}))
