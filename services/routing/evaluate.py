"""How well routing would have dispatched a history: stratified k-fold CV.

Pure Python over scikit-learn. Every ticket is predicted by a model that never
saw it: the whole pipeline -- vectorizer included -- is fitted inside each fold
on the other folds only. From the out-of-fold probabilities:

* accuracy, macro-F1, precision and recall per department;
* precision at coverage: sorting tickets by confidence, the largest share that
  could be dispatched automatically while keeping precision at 90/95/98%, and
  the confidence threshold that achieves it (what to set ``ROUTING_THRESHOLD``
  to before switching auto-dispatch on).
"""
from collections import Counter

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from services.routing.classifier import DEFAULT_MAX_FEATURES, build_pipeline
from services.routing.history import merge_rare

TARGETS = (0.9, 0.95, 0.98)


def coverage_at_precision(confidence, correct, targets=TARGETS):
    """``{target: (share of tickets, threshold)}``; share 0 and threshold None when unreachable.

    Only cuts between distinct confidences count, so the threshold really
    selects that share: dispatch when confidence >= threshold.
    """
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], correct[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    cuts = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))  # last index of each tie group
    result = {}
    for target in targets:
        ok = cuts[precision[cuts] >= target]
        if len(ok):
            k = int(ok.max())
            result[target] = ((k + 1) / len(conf), float(conf[k]))
        else:
            result[target] = (0.0, None)
    return result


def out_of_fold_predictions(texts, y, folds, seed, max_features, progress=None, group_texts=False,
                            batch=5000):
    """Each ticket's predicted department and confidence from the pipeline fitted
    on the other folds (like ``cross_val_predict``, one fold at a time so
    ``progress(fold)`` can report, and without an all-tickets-by-all-departments
    matrix, so a large history fits in memory).

    ``group_texts`` keeps identical texts in one fold: no text is predicted by a
    model that saw the same words on another ticket.
    """
    X = np.array(texts, dtype=object)
    predicted = np.empty(len(y), dtype=object)
    confidence = np.zeros(len(y))
    if group_texts:
        splits = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y, groups=X)
    else:
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y)
    for fold, (train, test) in enumerate(splits, 1):
        pipeline = build_pipeline(max_features).fit(X[train], y[train])
        for start in range(0, len(test), batch):
            rows = test[start:start + batch]
            probabilities = pipeline.predict_proba(X[rows])
            predicted[rows] = pipeline.classes_[probabilities.argmax(axis=1)]
            confidence[rows] = probabilities.max(axis=1)
        if progress:
            progress(fold)
    return predicted.astype(str), confidence


def evaluate(texts, labels, folds=5, seed=0, max_features=DEFAULT_MAX_FEATURES, targets=TARGETS,
             progress=None, group_texts=False):
    """Cross-validated figures for history ``texts`` -> ``labels`` (department codes)."""
    texts, labels, notes = merge_rare(list(texts), list(labels), folds)
    if len(set(labels)) < 2:
        raise ValueError(f"need at least two departments with {folds} or more rows each")
    y = np.array(labels)
    classes = np.array(sorted(set(labels)))
    predicted, confidence = out_of_fold_predictions(texts, y, folds, seed, max_features, progress, group_texts)
    correct = predicted == y
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=classes, zero_division=0)
    coverage = coverage_at_precision(confidence, correct, targets)
    counts = Counter(labels)
    return {
        "rows": len(labels),
        "distinct_texts": len(set(texts)),
        "folds": folds,
        "group_texts": group_texts,
        "departments": len(classes),
        "notes": notes,
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, average="macro", zero_division=0)),
        "majority_baseline": counts.most_common(1)[0][1] / len(labels),
        "per_department": {
            str(c): {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)},
        "coverage_at_precision": {str(t): share for t, (share, _) in coverage.items()},
        "threshold_at_precision": {str(t): thr for t, (_, thr) in coverage.items()},
    }


def report_lines(result):
    """The figures as a person reads them."""
    lines = [f"{result['rows']} tickets ({result['distinct_texts']} distinct texts), {result['departments']} departments, "
             f"stratified {result['folds']}-fold cross-validation (no ticket predicted by a model that saw it"
             + ("; identical texts kept in one fold)" if result["group_texts"] else ")")]
    lines += [f"note: {note}" for note in result["notes"]]
    lines += [f"accuracy      {result['accuracy']:.3f}   (always the largest department: "
              f"{result['majority_baseline']:.3f})",
              f"macro-F1      {result['macro_f1']:.3f}", "",
              f"{'department':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'tickets':>8}"]
    for code, m in sorted(result["per_department"].items(), key=lambda kv: -kv[1]["support"]):
        lines.append(f"{code[:24]:<24} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {m['support']:>8}")
    lines += ["", "auto-dispatch at a precision of   share of tickets   set threshold to"]
    for target, share in result["coverage_at_precision"].items():
        threshold = result["threshold_at_precision"][target]
        shown = f"{threshold:.3f}" if threshold is not None else "unreachable"
        lines.append(f"{float(target):>30.0%}   {share:>16.1%}   {shown:>16}")
    return lines
