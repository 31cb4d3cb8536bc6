"""Training a model from what routing has learned, and choosing how sure is sure.

Pure Python. The examples are imported history, the final department of every
closed ticket and what happened after dispatches, weighted by
:mod:`services.routing.learning.outcomes` (a refused ticket weighs
``REFUSAL_WEIGHT`` times under the unit that took it: routing got it wrong),
with the directory's words as weak pseudo-examples. Only examples whose
department is active in the directory are used: a model must not propose a
department that no longer takes work orders.

The confidence threshold is measured, not guessed: a cross-validation on the
same examples finds the lowest confidence at which automatic dispatch still
reaches the target precision (``ROUTING_TARGET_PRECISION``); the model keeps
that threshold with its other figures.
"""
from collections import Counter

from services.routing.learning.classifier import DEFAULT_MAX_FEATURES, TextModel
from services.routing.learning.evaluate import evaluate

MIN_EXAMPLES = 20
REFUSAL_WEIGHT = 3.0
CALIBRATION_FOLDS = 3


class NotEnoughHistory(ValueError):
    """Too few usable examples to train a model."""


def usable_examples(texts, labels, directory, weights=None):
    """Examples whose label names an active department, with labels as codes; and what was left out.

    With ``weights`` returns ``(texts, labels, unknown, weights)``.
    """
    kept_texts, kept_labels, kept_weights, unknown = [], [], [], Counter()
    for n, (text, label) in enumerate(zip(texts, labels)):
        code = directory.resolve(label)
        if code is None:
            unknown[label] += 1
        else:
            kept_texts.append(text)
            kept_labels.append(code)
            kept_weights.append(1.0 if weights is None else float(weights[n]))
    if weights is None:
        return kept_texts, kept_labels, unknown
    return kept_texts, kept_labels, unknown, kept_weights


def refusal_weights(numbers, refused_by, weight=REFUSAL_WEIGHT):
    """Closed tickets that were refused on the way weigh ``weight`` times: routing got them wrong."""
    return [weight if number and number in refused_by else 1.0 for number in numbers]


def train(texts, labels, directory, target_precision=0.95, folds=CALIBRATION_FOLDS,
          max_features=DEFAULT_MAX_FEATURES, weights=None, priors=None, counts=None):
    """A :class:`TextModel` whose ``meta`` holds its measured threshold and figures.

    ``priors`` (an :class:`outcomes.Training`): the directory's pseudo-examples, added to
    the model's own training only -- the threshold is measured on real examples.
    ``counts``: what the examples were made of (:func:`outcomes.weighted_examples`), kept in
    ``meta``.
    """
    weights = [1.0] * len(texts) if weights is None else weights
    texts, labels, unknown, weights = usable_examples(texts, labels, directory, weights)
    if len(texts) < MIN_EXAMPLES or len(set(labels)) < 2:
        raise NotEnoughHistory(
            f"{len(texts)} usable examples of {len(set(labels))} department(s): need at least "
            f"{MIN_EXAMPLES} of two or more departments in the directory"
            + (f" ({sum(unknown.values())} name departments not in it, e.g. "
               f"{', '.join(label for label, _ in unknown.most_common(3))})" if unknown else ""))
    target_precision = float(target_precision)
    meta = {"target_precision": target_precision, "threshold": None,
            "not_in_directory": sum(unknown.values())}
    try:
        # The threshold is measured on the model that dispatches: with the directory's
        # pseudo-examples in every fold (they make it surer of some texts).
        extra = (priors.texts, priors.labels, priors.weights) if priors is not None and priors.texts else None
        figures = evaluate(texts, labels, folds=folds, max_features=max_features,
                           targets=(float(target_precision),), check=0, extra=extra)
        meta.update(threshold=figures["threshold_at_precision"].get(str(target_precision)),
                    cv_accuracy=figures["accuracy"], cv_macro_f1=figures["macro_f1"],
                    cv_coverage=figures["coverage_at_precision"].get(str(target_precision)),
                    notes=figures["notes"])
        if meta["threshold"] is None:
            meta["notes"].append(f"precision {target_precision} unreachable: every ticket goes to a person")
    except ValueError as exc:  # too few rows per department to cross-validate
        meta["notes"] = [f"threshold not measured: {exc}"]
    meta["weighted_for_refusals"] = sum(1 for w in weights if w != 1.0)  # or reviewed on the review list
    if counts:
        meta["learned_from"] = dict(counts)
    real, departments = len(texts), len(set(labels))
    if priors is not None and priors.texts:
        meta["prior_examples"] = len(priors.texts)
        texts, labels, weights = texts + priors.texts, labels + priors.labels, weights + priors.weights
    model = TextModel.train(texts, labels, meta=meta, max_features=max_features, weights=weights)
    # the tickets and their departments; the pseudo-examples and the units they add apart
    model.meta.update(examples=real, departments=departments, units=len(model.labels))
    return model


def threshold_for(learner, setting, min_threshold=0.2, keyword_threshold=0.5):
    """The confidence at or above which ``learner`` dispatches by itself.

    ``setting`` is a number, or ``auto``: the trained model's measured
    threshold (never below ``min_threshold``); unmeasured or unreachable
    means nothing is dispatched by the model alone.
    """
    if setting not in (None, "", "auto"):
        return float(setting)
    if learner.kind != "trained":
        return float(keyword_threshold)
    measured = learner.meta.get("threshold")
    if measured is None:
        return 1.01  # nothing is that sure: every ticket waits for a person
    return max(float(measured), float(min_threshold))
