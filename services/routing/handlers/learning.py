"""What routing learns from, and training: import history, train, retrain, describe the model.

A model learns from the imported history, closed tickets' final units, what happened after
each dispatch (refusals, re-dispatches, arbitrations, co-handlers added: dated, weighted,
stale once the unit's responsibilities changed) and the directory's own words
(:mod:`services.routing.learning.outcomes`).

The learning itself (:mod:`services.routing.learning`) runs in a real thread
(``tpool``): training takes seconds to minutes and must not stop the worker's
event loop. One routing instance trains at a time (a lease); every instance
loads the new model on its refresh timer.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from eventlet import tpool

from services.routing.domain import request_types
from services.routing.domain.errors import RoutingError
from services.routing.learning import outcomes, request_type_model, stored, training
from shared.contract import events
from shared.platform.jsonable import jsonable

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps

log = logging.getLogger(__name__)
EVIDENCE_READ = 50000  # the newest decisions the side suggestions are measured on


def import_history(deps: Deps, rows, source="import", replace=False):
    """Store ``[[text, department]]`` rows to learn from; says which departments are unknown."""
    known = deps.known()
    clean: list[tuple[str, str]] = []
    unknown: dict[str, int] = {}
    for text, label in rows:
        code = known.directory.resolve(label)
        if code is None:
            unknown[label] = unknown.get(label, 0) + 1
        clean.append((str(text), code or str(label)))
    return {"stored": deps.learning.add_history(clean, source, replace), "not_in_directory": unknown}


def model_info(deps: Deps):
    known = deps.known()
    model = known.model
    return jsonable({"loaded_version": model.version if model else None,
                     "learner": known.learner.kind, "threshold": known.threshold,
                     "meta": model.meta if model else None, "models": deps.learning.models_list(),
                     "examples": deps.learning.examples_since(None)})


def side_calibration(typed, proposed, co_signals):
    """How often the rules' request type and the proposed co-handlers were what a person chose
    (``outcomes.request_type_table``, ``outcomes.co_handler_table``), kept in the model's meta;
    ``typed`` and ``proposed`` as ``decisions.typed_and_proposed`` reads them."""
    types = outcomes.request_type_table(
        (request_types.suggest(title, description).request_type, given) for title, description, given in typed)
    co = outcomes.co_handler_table(
        (float(p.get("confidence") or 0), p.get("department_code") in set(kept) | co_signals.get(number, set()))
        for number, proposals, kept in proposed for p in proposals)
    return {"request_type_calibration": types, "co_handler_calibration": co,
            "calibration_tickets": {"typed": len(typed), "co_handler_proposals": sum(c[1] for c in co)}}


def train(deps: Deps, reason):
    """Train on everything learned so far; every instance loads the new model."""
    known = deps.known()
    learned = deps.learning
    if not learned.take_lease("train", 3600):
        raise RoutingError("another routing instance is training now; try again later")
    try:
        read_at = events.utcnow()  # what arrives after this is for the next model
        weights = outcomes.Weights.from_config(known.setting)
        examples, signals = learned.dated_examples(), learned.outcome_signals()
        changed = outcomes.responsibility_changes(deps.directory.responsibility_history())
        typed, proposed = deps.decisions.typed_and_proposed(EVIDENCE_READ)

        def learn():  # in a real thread: weighing a large history takes a while too
            made = outcomes.weighted_examples(examples, signals, changed, weights)
            model = training.train(made.texts, made.labels, known.directory, known.target_precision,
                                   weights=made.weights, priors=outcomes.prior_examples(known.directory,
                                                                                         weights.prior, made.labels),
                                   counts=made.counts)
            # the request type people gave: a model of it rides with this one where it beats the rules
            model.types, model.meta["request_type_model"] = request_type_model.train(typed)
            return made, model
        try:
            made, model = tpool.execute(learn)
        except training.NotEnoughHistory as exc:
            raise RoutingError(str(exc)) from None
        data = stored.dumps(model)
        meta = dict(model.meta, reason=reason, size=len(data), examples_read_at=read_at,
                    **side_calibration(typed, proposed, made.signals_by_number))
        version = deps.uow.run(lambda: learned.save_model(data, meta))
        model.meta = meta
        known.save_file(model)  # the next start loads it, even from an in-memory store
    finally:
        learned.release_lease("train")
    known.refresh(deps.decisions)
    types = meta.get("request_type_model") or {}
    log.info("model version %d trained (%s): %s examples of %s departments, cross-validated accuracy %s, "
             "threshold %s; request type %s", version, reason, meta.get("examples"), meta.get("departments"),
             meta.get("cv_accuracy"), meta.get("threshold") and round(meta["threshold"], 3),
             f"learned (accuracy {types.get('cv_accuracy')}, rules {types.get('rules_accuracy')})"
             if types.get("used") else "by the rules")
    return jsonable({"version": version, "meta": meta, "threshold": known.threshold})


def retrain(deps: Deps):
    """Retrain when something was learned since the newest model."""
    latest = deps.learning.latest_model()
    new = deps.learning.learned_since(
        (latest["meta"].get("examples_read_at") or latest["saved_at"]) if latest else None)
    if not new or (latest is None and new < training.MIN_EXAMPLES):
        return
    try:
        train(deps, reason="schedule")
    except RoutingError as exc:
        log.info("scheduled retraining skipped: %s", exc)
