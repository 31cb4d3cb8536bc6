"""The learners that propose a department for a ticket's text.

Pure Python over scikit-learn. Two learners with one interface,
``suggest(text, exclude=(), top=3) -> [Suggestion]`` ranked best first:

* :class:`TextModel` -- trained on history. Features are character n-grams
  (1-3, which need no segmentation, so Chinese and English work alike),
  jieba's words and pairs of neighbouring words (``w:`` + word), in one TF-IDF
  space. Two linear models average their probabilities: a linear SVM whose
  scores a per-department sigmoid fitted on cross-validated scores turns into
  probabilities (Platt, ``CalibratedClassifierCV``), and a logistic regression
  with balanced class weights (a city's history is small and lopsided). One
  threshold then dispatches at a measured precision. The n-grams and words
  that weighed most for the SVM are the reasons. ``build_pipeline(kind)`` also
  builds the candidates it was measured against (``docs/routing.md``), among
  them ``baseline``: character 1-3-grams and a plain linear SVM.
* :class:`KeywordModel` -- the fallback before any model is trained: the
  directory's responsibility keywords; a pure rule, so it lives in the domain
  (:mod:`services.routing.domain.keywords`), as the :class:`Suggestion`
  both learners make.

scikit-learn and joblib are imported where a model is built, stored or loaded: a
routing with no model yet (a new city, most tests) starts a second sooner.

A trained model is stored as compressed joblib bytes
(:mod:`services.routing.learning.stored`); ``max_features`` bounds its
vocabulary, hence its size.
"""
import re
from collections import Counter

import numpy as np

from services.routing.domain.keywords import DEFAULT_KEYWORD_CONFIDENCE as DEFAULT_KEYWORD_CONFIDENCE
from services.routing.domain.keywords import KeywordModel as KeywordModel  # the learner before a model
from services.routing.domain.keywords import Suggestion
from shared.contract.reasons import reason
from shared.platform.segmenter import segmenter

DEFAULT_MAX_FEATURES = 60000
DEFAULT_KIND = "svm+lr"
CALIBRATION_FOLDS = 3
WORD_PREFIX = "w:"
CJK = re.compile(r"[\u3400-\u9fff]")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'/-]*")


DIGITS = re.compile(r"\d+")


def normalise(text):
    """One line of lower-case text, blanks collapsed, every number ``0``.

    House numbers, phone numbers and dates say nothing about who is responsible.
    """
    return " ".join(DIGITS.sub("0", str(text or "").lower()).split())


def char_grams(text, shortest=1, longest=3):
    """Character n-grams within each word, padded by a space at both ends (as sklearn's
    ``char_wb``), except the bare space: it is in every text and says nothing."""
    grams = []
    for word in normalise(text).split():
        padded = f" {word} "
        for n in range(shortest, longest + 1):
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return [g for g in grams if not g.isspace()]


def words(text):
    """jieba's words of two or more characters (Chinese) or letters/digits, ``w:``-prefixed."""
    found = []
    for token in segmenter().lcut(normalise(text)):
        token = token.strip()
        if len(token) >= 2 and all(ch.isalnum() for ch in token):
            found.append(WORD_PREFIX + token)
    return found


def chars_and_single_words(text):
    """Character 1-3-grams and jieba's words: a word says what the grams only hint at
    (``物业`` vs ``物`` + ``业``), the grams survive a word jieba cuts wrongly."""
    return char_grams(text) + words(text)


def chars_and_words(text):
    """Character 1-3-grams, jieba's words and each pair of neighbouring words
    (``w:没发_工资``, ``w:loud_music``): who is responsible is often in a phrase."""
    found = words(text)
    return char_grams(text) + found + [f"{a}_{b.removeprefix(WORD_PREFIX)}" for a, b in zip(found, found[1:])]


def _tfidf(analyzer, max_features):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, max_features=max_features,
                           dtype=np.float32)


def calibration_folds(labels, folds=CALIBRATION_FOLDS):
    """Folds for the calibration's inner cross-validation: no more than the rarest department has."""
    fewest = min(Counter(labels).values()) if len(labels) else 0
    return min(folds, fewest)


KINDS = ("svm+lr", "svm+lr-single-words", "svm-sigmoid", "svm-sigmoid-balanced", "svm-isotonic", "lr-words", "svm-sigmoid-chars", "previous", "baseline")


def build_pipeline(max_features=DEFAULT_MAX_FEATURES, kind=DEFAULT_KIND, labels=None):
    """Vectorizer and classifier in one estimator, so cross-validation fits both per fold.

    ``kind`` (see ``KINDS``): ``svm+lr`` is routing's model; the rest are
    what it was measured against. ``labels`` (the training labels) bound the
    calibration's inner folds; a department with a single example leaves no
    fold to calibrate on, and the model falls back to a logistic regression.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import VotingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    if kind == "baseline":  # the ten-line baseline: an SVM margin, not a probability
        return Pipeline([("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)),
                         ("clf", LinearSVC(random_state=0))])
    if kind == "previous":  # routing's model before issue 17
        return Pipeline([("tfidf", _tfidf(char_grams, 30000)),
                         ("clf", LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000))])
    analyzer = {"svm-sigmoid-chars": char_grams, "svm+lr-single-words": chars_and_single_words}.get(
        kind, chars_and_words)
    folds = calibration_folds(labels) if labels is not None else CALIBRATION_FOLDS
    regression = LogisticRegression(C=10.0, class_weight="balanced", solver="newton-cg", max_iter=1000)
    if kind == "lr-words" or folds < 2:
        clf = regression
    else:  # sklearn's defaults for the SVM (C=1), not tuned to any one history
        method = "isotonic" if kind == "svm-isotonic" else "sigmoid"
        weights = "balanced" if kind == "svm-sigmoid-balanced" else None
        clf = CalibratedClassifierCV(LinearSVC(class_weight=weights, random_state=0), method=method, cv=folds, ensemble=False)
        if kind.startswith("svm+lr"):  # the two average their probabilities
            clf = VotingClassifier([("svm", clf), ("lr", regression)], voting="soft")
    return Pipeline([("tfidf", _tfidf(analyzer, max_features)), ("clf", clf)])


def scores(pipeline, texts):
    """Per-label scores of a fitted pipeline: probabilities, or the SVM's margins (``baseline``)."""
    if hasattr(pipeline, "predict_proba") and hasattr(pipeline.named_steps["clf"], "predict_proba"):
        return pipeline.predict_proba(texts)
    margins = pipeline.decision_function(texts)
    if margins.ndim == 1:  # binary: one margin, for the second label
        margins = np.column_stack([-margins, margins])
    return margins


def linear_parts(clf):
    """``[(coef, intercept, sigmoids)]`` of a fitted classifier: one logistic regression or
    calibrated SVM, or each of a soft vote's. ``sigmoids`` are the calibration's ``(a, b)``
    per scored label (``p = 1 / (1 + exp(a * score + b))``), ``None`` for a regression."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import VotingClassifier

    if isinstance(clf, VotingClassifier):
        return [part for estimator in clf.estimators_ for part in linear_parts(estimator)]
    sigmoids = None
    if isinstance(clf, CalibratedClassifierCV):
        calibrated = clf.calibrated_classifiers_[0]  # one: fitted with ensemble=False
        sigmoids = (np.array([c.a_ for c in calibrated.calibrators]),
                    np.array([c.b_ for c in calibrated.calibrators]))
        clf = calibrated.estimator
    return [(np.asarray(clf.coef_), np.asarray(clf.intercept_), sigmoids)]


def part_probabilities(part, indices, values, n_labels):
    """One linear scorer's probabilities for one TF-IDF vector: a softmax of a regression's
    scores, or an SVM's scores through each label's sigmoid, normalised (as sklearn does)."""
    coef, intercept, sigmoids = part
    scores = coef[:, indices] @ values + intercept
    if sigmoids is not None:
        a, b = sigmoids
        p = 1.0 / (1.0 + np.exp(a * scores + b))
        if n_labels == 2:  # binary: one score, for the second label
            return np.array([1.0 - p[0], p[0]])
        total = p.sum()
        return p / total if total else np.full(len(p), 1.0 / len(p))
    if n_labels == 2:
        p = 1.0 / (1.0 + np.exp(-scores[0]))
        return np.array([1.0 - p, p])
    scores = np.exp(scores - scores.max())
    return scores / scores.sum()


class TextModel:
    """A trained pipeline with its version and what it was trained on."""

    kind = "trained"

    def __init__(self, pipeline, version=0, meta=None, types=None):
        self.pipeline = pipeline
        self.version = version
        self.meta = meta or {}
        # the request-type model trained with it (``request_type_model.TypeModel``), if one beat the rules
        self.types = types
        self.tfidf = pipeline.named_steps["tfidf"]
        self.clf = pipeline.named_steps["clf"]
        self.labels = [str(label) for label in self.clf.classes_]
        self.features = self.tfidf.get_feature_names_out().tolist()
        # One ticket at a time, sklearn's input checks cost more than the
        # arithmetic: vectorize() and probabilities() do the same sums directly.
        self._analyze = self.tfidf.build_analyzer()
        self._vocabulary = self.tfidf.vocabulary_
        self._idf = self.tfidf.idf_
        # the linear scorers whose probabilities are averaged: (coef, intercept, sigmoids)
        self._parts = linear_parts(self.clf)
        self._coef = self._parts[0][0]  # the reasons: what weighed most for the first scorer

    def warm(self):
        """Load what the first ticket would otherwise wait for (jieba's dictionary)."""
        self.suggest("预热 warm up")
        return self

    @classmethod
    def train(cls, texts, labels, version=0, meta=None, max_features=DEFAULT_MAX_FEATURES, weights=None):
        if len(set(labels)) < 2:
            raise ValueError("training needs examples of at least two departments")
        fit = {} if weights is None else {"clf__sample_weight": np.asarray(weights, dtype=float)}
        pipeline = build_pipeline(max_features, labels=list(labels)).fit(list(texts), list(labels), **fit)
        return cls(pipeline, version, dict(meta or {}, examples=len(labels),
                                           departments=len(set(labels))))

    def suggest(self, text, exclude=(), top=3, known=None, title=""):
        """Ranked suggestions; ``known`` (a set of codes) drops labels not in the directory."""
        vector = self.vectorize(text)
        if not len(vector[0]):
            return []
        probabilities = self.probabilities(vector)
        keep = [i for i, label in enumerate(self.labels)
                if label not in exclude and (known is None or label in known)]
        if not keep:
            return []
        total = float(probabilities[keep].sum()) or 1.0
        # Refused or unknown departments are ruled out: the rest share their probability.
        ranked = sorted(keep, key=lambda i: probabilities[i], reverse=True)[:top]
        return [Suggestion(self.labels[i], float(probabilities[i]) / total,
                           self.explain(vector, i, text)) for i in ranked]

    def vectorize(self, text):
        """``(indices, values)``: the text's TF-IDF vector, as ``tfidf.transform`` computes it."""
        counts = {}
        for gram in self._analyze(text):
            j = self._vocabulary.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.tfidf.sublinear_tf:
            values = np.log(values) + 1
        values = values * self._idf[indices]
        norm = np.sqrt(np.dot(values, values))
        return indices, (values / norm if norm else values)

    def probabilities(self, vector):
        """The probability per label for one vector, as ``pipeline.predict_proba`` computes it."""
        indices, values = vector
        if len(self._parts) == 1:
            return part_probabilities(self._parts[0], indices, values, len(self.labels))
        return sum(part_probabilities(part, indices, values, len(self.labels))
                   for part in self._parts) / len(self._parts)

    def explain(self, vector, index, text, limit=4, grams=12):
        """The phrases of the text whose n-grams weighed most for label ``index``.

        The top n-grams are marked where they occur in the text and joined
        into phrases (whole words where the text has spaces), strongest first.
        """
        coef = self._coef[index] if self._coef.shape[0] > 1 else self._coef[0] * (1 if index == 1 else -1)
        indices, values = vector
        contributions = values * coef[indices]
        weighed = [(float(contributions[k]), self.features[indices[k]].removeprefix(WORD_PREFIX).strip())
                   for k in np.argsort(-contributions)[:grams * 2]]
        top = [(w, g) for w, g in weighed if w > 0 and len(g) >= 2 and all(ch.isalnum() for ch in g)][:grams]
        line = normalise(text)
        marks = [0.0] * len(line)
        for weight, gram in top:
            start = line.find(gram)
            while start != -1:
                for i in range(start, start + len(gram)):
                    marks[i] += weight / len(gram)
                start = line.find(gram, start + 1)
        phrases, i = {}, 0
        while i < len(line):
            if not marks[i]:
                i += 1
                continue
            j = i
            while j < len(line) and marks[j]:
                j += 1
            a, b = i, j
            while a > 0 and line[a - 1].isascii() and line[a - 1].isalnum():
                a -= 1
            while b < len(line) and line[b].isascii() and line[b].isalnum():
                b += 1
            phrase = line[a:b].strip()
            if phrase:
                phrases[phrase] = phrases.get(phrase, 0.0) + sum(marks[i:j])
            i = j
        best = sorted(phrases, key=phrases.get, reverse=True)[:limit]
        return [reason("weighed", words=", ".join(best))] if best else []
