"""The request type (诉求类型) learned from the tickets whose type a person gave or set.

Pure Python over scikit-learn. The rules (:mod:`services.routing.domain.request_types`)
read a type from a few words: 投诉 is a complaint, 请问 a consultation, anything else a
request for help. Operators know better: "物业不作为，要求查处" is a complaint although it
never says 投诉, and "希望增设公交站" is a suggestion although it never says 建议. Every
ticket whose type an operator gave, or a dispatcher set, is such a label, and a centre
makes thousands a week.

The model reads the title and the description as routing's department model does
(character n-grams, jieba's words and word pairs, :func:`classifier.chars_and_words`),
plus what the rules say as features of their own (``rule:complaint``, where: title or
description), so it learns how far each rule is to be trusted and what it misses. A
logistic regression gives the probability of each type.

It is used only where it is measured better than the rules: training predicts every
typed ticket by a model that never saw it (``FOLDS``-fold cross-validation) and keeps the
model only if it is right more often than the rules on the same tickets; otherwise the
rules stay, with their measured agreement as their confidence. The figures -- both
accuracies, the per-type precision and recall, the calibration error of its probability --
are kept in the department model's ``meta`` (``request_type_model``) and stored with it.
"""
from collections import Counter
from dataclasses import dataclass

import numpy as np

from services.routing.domain import request_types
from services.routing.learning.classifier import TextModel, chars_and_words
from services.routing.learning.history import TITLE_END
from shared.contract.messages import CITIZEN_REQUEST_TYPES

MIN_EXAMPLES = 30  # typed tickets before a model is tried
FOLDS = 3
RULE_PREFIX = "rule:"


def joined(title: str, description: str) -> str:
    """Title and description in one string (the vectorizer takes one text), as a history file's
    title and description columns are read (``history.TITLE_END`` between them)."""
    return f"{title or ''}{TITLE_END}{description or ''}"


def type_features(text: str) -> list[str]:
    """The words of a ticket and what the rules say of it (``rule:t:complaint`` when its title
    holds a complaint's word, ``rule:d:...`` for the description, ``rule:help`` when no rule
    matched)."""
    title, _, description = text.partition(TITLE_END)
    found = chars_and_words(f"{title} {description}")
    said = False
    for where, part in (("t", title), ("d", description)):
        matched = request_types.words_in(part)
        if matched is not None:
            found.append(f"{RULE_PREFIX}{where}:{matched[0]}")
            said = True
    if not said:
        found.append(f"{RULE_PREFIX}{request_types.DEFAULT}")
    return found


def build_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", TfidfVectorizer(analyzer=type_features, sublinear_tf=True, max_features=30000,
                                               dtype=np.float32)),
                     ("clf", LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000))])


@dataclass(frozen=True)
class LearnedType:
    """The model's type for a ticket, its probability, and the words that weighed most."""

    request_type: str
    confidence: float
    words: str


class TypeModel:
    """A fitted request-type pipeline: ``suggest_type(title, description)``."""

    def __init__(self, pipeline, meta=None):
        self.pipeline = pipeline
        self.meta = dict(meta or {})
        self._model = TextModel(pipeline)  # its fast one-ticket arithmetic and its reasons

    def suggest_type(self, title: str, description: str = "") -> LearnedType | None:
        text = joined(title, description)
        vector = self._model.vectorize(text)
        if not len(vector[0]):
            return None
        probabilities = self._model.probabilities(vector)
        best = int(np.argmax(probabilities))
        said = self._model.explain(vector, best, f"{title} {description}")
        words = said[0]["params"]["words"] if said else ""
        return LearnedType(self._model.labels[best], round(float(probabilities[best]), 4), words)


def typed_rows(rows):
    """``(title, description, type)`` rows of a citizen's request type: a proactive case (主动治理)
    is opened as one, never suggested."""
    return [(str(t or ""), str(d or ""), k) for t, d, k in rows if k in CITIZEN_REQUEST_TYPES]


def _folds(labels, folds, seed):
    from sklearn.model_selection import KFold, StratifiedKFold

    fewest = min(Counter(labels).values())
    if fewest >= folds:
        return StratifiedKFold(folds, shuffle=True, random_state=seed).split(labels, labels)
    return KFold(folds, shuffle=True, random_state=seed).split(labels)  # a rare type: folds need not hold it


def measure(rows, folds=FOLDS, seed=0):
    """Out-of-fold figures of the model and the rules on the same typed rows."""
    from services.routing.learning.evaluate import calibration

    texts = [joined(t, d) for t, d, _ in rows]
    labels = np.array([k for _, _, k in rows])
    rules = np.array([request_types.suggest(t, d).request_type for t, d, _ in rows])
    predicted = np.empty(len(rows), dtype=object)
    confidence = np.zeros(len(rows))
    for train, test in _folds(list(labels), folds, seed):
        if len(set(labels[train])) < 2:
            predicted[test], confidence[test] = labels[train][0], 1.0
            continue
        fitted = build_pipeline().fit([texts[i] for i in train], labels[train])
        proba = fitted.predict_proba([texts[i] for i in test])
        classes = fitted.named_steps["clf"].classes_
        predicted[test] = classes[proba.argmax(axis=1)]
        confidence[test] = proba.max(axis=1)
    right = predicted == labels
    ece, _ = calibration(confidence, right)
    per_type = {}
    for kind in sorted(set(labels)):
        sent, actual = predicted == kind, labels == kind
        per_type[kind] = {"precision": round(float((right & sent).sum() / sent.sum()), 4) if sent.sum() else None,
                          "recall": round(float((right & actual).sum() / actual.sum()), 4),
                          "rules_recall": round(float(((rules == kind) & actual).sum() / actual.sum()), 4),
                          "support": int(actual.sum())}
    return {"examples": len(rows), "folds": folds, "cv_accuracy": round(float(right.mean()), 4),
            "rules_accuracy": round(float((rules == labels).mean()), 4), "ece": round(ece, 4),
            "per_type": per_type}


def train(rows, min_examples=MIN_EXAMPLES, folds=FOLDS):
    """``(TypeModel or None, figures)``: a model of the typed ``rows`` if it beats the rules.

    ``figures["used"]`` says whether it does, and ``figures["why"]`` why not."""
    rows = typed_rows(rows)
    counts = Counter(k for _, _, k in rows)
    figures = {"examples": len(rows), "types": dict(counts), "used": False}
    if len(rows) < min_examples or len(counts) < 2:
        figures["why"] = (f"{len(rows)} typed tickets of {len(counts)} type(s): a model is tried from "
                          f"{min_examples} of two or more types")
        return None, figures
    figures.update(measure(rows, folds))
    if figures["cv_accuracy"] <= figures["rules_accuracy"]:
        figures["why"] = (f"not better than the rules on the same tickets "
                          f"({figures['cv_accuracy']:.3f} against {figures['rules_accuracy']:.3f})")
        return None, figures
    figures["used"] = True
    pipeline = build_pipeline().fit([joined(t, d) for t, d, _ in rows], [k for _, _, k in rows])
    return TypeModel(pipeline, figures), figures
