"""The learners that propose a department for a ticket's text.

Pure Python over scikit-learn. Two learners with one interface,
``suggest(text, exclude=(), top=3) -> [Suggestion]`` ranked best first:

* :class:`TextModel` -- trained on history. Character n-grams (1-3, TF-IDF)
  need no word segmentation, so Chinese (no spaces) and English work alike;
  a multinomial logistic regression gives a probability per department, and
  the n-grams that weighed most for it are the reasons.
* :class:`KeywordModel` -- the fallback before any model is trained: the
  directory's responsibility keywords. Nobody has measured how often it is
  right, so its confidence is capped (``KEYWORD_CONFIDENCE``) and shared
  between the departments it matches; a tie is never confident.

A trained model is stored as compressed joblib bytes (:func:`dumps` /
:func:`loads`); ``max_features`` bounds its vocabulary, hence its size.
"""
import io
import re
from dataclasses import dataclass, field

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

DEFAULT_MAX_FEATURES = 30000
DEFAULT_KEYWORD_CONFIDENCE = 0.7
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'/-]*")


@dataclass
class Suggestion:
    department_code: str
    confidence: float
    reasons: list = field(default_factory=list)

    def to_dict(self):
        return {"department_code": self.department_code,
                "confidence": round(float(self.confidence), 4), "reasons": list(self.reasons)}


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


def build_pipeline(max_features=DEFAULT_MAX_FEATURES, C=10.0):
    """Vectorizer and classifier in one estimator, so cross-validation fits both per fold."""
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer=char_grams, sublinear_tf=True, max_features=max_features,
                                  dtype=np.float32)),
        ("clf", LogisticRegression(C=C, solver="newton-cg", max_iter=1000)),  # fastest here
    ])


class TextModel:
    """A trained pipeline with its version and what it was trained on."""

    kind = "trained"

    def __init__(self, pipeline, version=0, meta=None):
        self.pipeline = pipeline
        self.version = version
        self.meta = meta or {}
        self.tfidf = pipeline.named_steps["tfidf"]
        self.clf = pipeline.named_steps["clf"]
        self.labels = [str(label) for label in self.clf.classes_]
        self.features = self.tfidf.get_feature_names_out().tolist()
        # One ticket at a time, sklearn's input checks cost more than the
        # arithmetic: vectorize() and probabilities() do the same sums directly.
        self._analyze = self.tfidf.build_analyzer()
        self._vocabulary = self.tfidf.vocabulary_
        self._idf = self.tfidf.idf_
        self._coef = self.clf.coef_
        self._intercept = self.clf.intercept_

    @classmethod
    def train(cls, texts, labels, version=0, meta=None, max_features=DEFAULT_MAX_FEATURES, weights=None):
        if len(set(labels)) < 2:
            raise ValueError("training needs examples of at least two departments")
        fit = {} if weights is None else {"clf__sample_weight": np.asarray(weights, dtype=float)}
        pipeline = build_pipeline(max_features).fit(list(texts), list(labels), **fit)
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
        """The classifier's probability per label for one vector (multinomial softmax)."""
        indices, values = vector
        scores = self._coef[:, indices] @ values + self._intercept
        if len(self.labels) == 2:  # binary: one score for the second label
            p = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - p, p])
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def explain(self, vector, index, text, limit=4, grams=12):
        """The phrases of the text whose n-grams weighed most for label ``index``.

        The top n-grams are marked where they occur in the text and joined
        into phrases (whole words where the text has spaces), strongest first.
        """
        coef = self.clf.coef_[index] if self.clf.coef_.shape[0] > 1 else self.clf.coef_[0] * (
            1 if index == 1 else -1)
        indices, values = vector
        contributions = values * coef[indices]
        weighed = [(float(contributions[k]), self.features[indices[k]].strip())
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
        return [f"words that weighed most: {', '.join(best)}"] if best else []


class KeywordModel:
    """Responsibility keywords as a learner, honest that nobody measured it."""

    kind = "keywords"
    version = 0

    def __init__(self, directory, cap=DEFAULT_KEYWORD_CONFIDENCE):
        self.directory = directory
        self.cap = float(cap)

    def suggest(self, text, exclude=(), top=3, known=None, title=""):
        """Keywords weigh by length and by how often they occur; in the title (the operator's summary) twice."""
        matches = {code: found for code, found in self.directory.keyword_matches(text).items()
                   if code not in exclude}
        if not matches:
            return []
        lowered, title = text.lower(), (title or "").lower()
        weight = {code: sum(len(k) * (lowered.count(k.lower()) + title.count(k.lower())) for k in found)
                  for code, found in matches.items()}
        total = sum(weight.values())
        ranked = sorted(matches, key=lambda c: (weight[c], len(matches[c])), reverse=True)[:top]
        suggestions = []
        for code in ranked:
            dept = self.directory.departments[code]
            suggestions.append(Suggestion(code, self.cap * weight[code] / total, [
                f"keywords {', '.join(matches[code])} are {dept.name}'s responsibility "
                f"(keyword matcher, no trained model yet: confidence not measured)"]))
        return suggestions


def dumps(model):
    """Compressed bytes of a trained model's pipeline."""
    buffer = io.BytesIO()
    joblib.dump(model.pipeline, buffer, compress=3)
    return buffer.getvalue()


def loads(data, version=0, meta=None):
    return TextModel(joblib.load(io.BytesIO(data)), version, meta)
