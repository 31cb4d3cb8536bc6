"""How well routing would have dispatched a history: stratified k-fold CV.

Pure Python over scikit-learn. Every ticket is predicted by a model that never
saw it: the whole pipeline -- vectorizer included -- is fitted inside each fold
on the other folds only. From the out-of-fold probabilities:

* accuracy, macro-F1, precision and recall per department;
* calibration: the expected calibration error and a reliability table (how
  often tickets of each confidence bin were right);
* with ``compare``, other models (the ``baseline``) on the very same folds,
  and how far ahead routing's model is;
* precision at coverage: sorting tickets by confidence, the largest share that
  could be dispatched automatically while keeping precision at 90/95/98%, and
  the confidence threshold that achieves it (what to set ``ROUTING_THRESHOLD``
  to before switching auto-dispatch on);
* with ``curve``, the learning curve: the same test folds predicted by models
  fitted on 10/25/50/100% of each training fold (every department kept), so
  the figures say whether more history would still help;
* ``to_check``: the labels a person should look at first (active learning),
  from the out-of-fold probabilities -- rows whose label the model confidently
  contradicts (likely mislabelled) and the least certain ones (the smallest
  margin between the two best departments), texts de-identified.
"""
from collections import Counter

import numpy as np

from services.routing.learning.classifier import DEFAULT_KIND, DEFAULT_MAX_FEATURES, build_pipeline, scores
from services.routing.learning.history import merge_rare
from shared.platform.privacy import deidentify

TARGETS = (0.9, 0.95, 0.98)
CURVE_SHARES = (0.1, 0.25, 0.5, 1.0)
CURVE_TARGET = 0.95
CHECK_ROWS = 20
EXCERPT = 80


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


def calibration(confidence, correct, bins=10):
    """Expected calibration error and the reliability table, in ``bins`` equal-width confidence bins.

    ECE = sum over bins of (tickets in bin / all) * |accuracy in bin - mean confidence in bin|:
    how far, on average, "80% sure" is from being right 80% of the time. Confidence 1.0
    falls in the last bin. Empty bins are left out of the table.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        if not n:
            continue
        accuracy, mean = float(correct[inside].mean()), float(confidence[inside].mean())
        ece += n / len(confidence) * abs(accuracy - mean)
        table.append({"low": b / bins, "high": (b + 1) / bins, "tickets": n,
                      "mean_confidence": mean, "accuracy": accuracy})
    return float(ece), table


def splits_of(X, y, folds, seed, group_texts):
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if group_texts:
        return list(StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y, groups=X))
    return list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y))


def subsample(train, y, share, rng):
    """``share`` of the ``train`` indices, drawn per department so every department keeps at least one."""
    if share >= 1:
        return train
    kept = []
    for label in np.unique(y[train]):
        rows = train[y[train] == label]
        kept.append(rng.choice(rows, size=max(1, int(round(share * len(rows)))), replace=False))
    return np.sort(np.concatenate(kept))


def out_of_fold_predictions(texts, y, folds, seed, max_features, progress=None, group_texts=False,
                            batch=5000, kinds=(DEFAULT_KIND,), shares=(1.0,), extra=None):
    """``{kind: (predicted, confidence, margin)}``: each ticket's predicted department,
    confidence and margin over the second best from each kind of pipeline fitted on
    the other folds -- the same folds for every kind, so their figures compare (like
    ``cross_val_predict``, one fold at a time so ``progress(fold)`` can report, and
    without an all-tickets-by-all-departments matrix, so a large history fits in memory).

    ``group_texts`` keeps identical texts in one fold: no text is predicted by a
    model that saw the same words on another ticket. ``shares`` other than 1 add
    ``(kind, share)`` keys: the same test folds predicted by the first kind fitted
    on that share of each training fold (the learning curve), and ``("sizes", share)``
    the training rows each fold had. ``extra``: ``(texts, labels, weights)`` the first
    kind also learns from in every fold, never predicted (the directory's pseudo-examples).
    """
    X = np.array(texts, dtype=object)
    keys = [(kind, 1.0) for kind in kinds] + [(kinds[0], s) for s in shares if s < 1]
    out = {key: (np.empty(len(y), dtype=object), np.zeros(len(y)), np.zeros(len(y))) for key in keys}
    sizes = {share: [] for share in shares}
    rng = np.random.default_rng(seed)
    for fold, (train, test) in enumerate(splits_of(X, y, folds, seed, group_texts), 1):
        for kind, share in keys:
            predicted, confidence, margin = out[(kind, share)]
            rows_used = subsample(train, y, share, rng)
            if kind == kinds[0]:
                sizes[share].append(len(rows_used))
            fit_X, fit_y, fit = X[rows_used], y[rows_used], {}
            if extra is not None and kind == kinds[0]:
                fit_X = np.concatenate([fit_X, np.array(extra[0], dtype=object)])
                fit_y = np.concatenate([fit_y, np.array(extra[1])])
                fit = {"clf__sample_weight": np.concatenate([np.ones(len(rows_used)),
                                                             np.asarray(extra[2], dtype=float)])}
            pipeline = build_pipeline(max_features, kind=kind, labels=list(fit_y)).fit(fit_X, fit_y, **fit)
            for start in range(0, len(test), batch):
                rows = test[start:start + batch]
                values = scores(pipeline, X[rows])
                best = np.sort(values, axis=1)
                predicted[rows] = pipeline.classes_[values.argmax(axis=1)]
                confidence[rows] = best[:, -1]
                margin[rows] = best[:, -1] - (best[:, -2] if values.shape[1] > 1 else 0.0)
        if progress:
            progress(fold)
    result = {(kind if share == 1.0 else (kind, share)): (predicted.astype(str), confidence, margin)
              for (kind, share), (predicted, confidence, margin) in out.items()}
    result.update({("sizes", share): rows for share, rows in sizes.items()})
    return result


def learning_curve(y, predictions, sizes, target=CURVE_TARGET):
    """``[{share, size, accuracy, share_at_95}]`` from ``{share: (predicted, confidence, margin)}``
    on the same test folds; ``size`` is the mean number of training rows of a fold at that share."""
    curve = []
    for share in sorted(predictions):
        predicted, confidence, _margin = predictions[share]
        correct = predicted == y
        coverage, _ = coverage_at_precision(confidence, correct, (target,))[target]
        curve.append({"share": float(share), "size": int(round(float(np.mean(sizes[share])))),
                      "accuracy": float(correct.mean()), "share_at_95": float(coverage)})
    return curve


def to_check(texts, y, predicted, confidence, margin, limit=CHECK_ROWS, rows=None):
    """The rows a person should check first: ``[{row, text, label, predicted, confidence, margin, why}]``.

    ``contradicted``: the model, never having seen the row, is surest of another
    department -- the likeliest mislabels, most confident first; ``uncertain``:
    the smallest margins between the two best departments, where one more
    confirmed label teaches the model most. Up to half of ``limit`` are
    contradicted; uncertain ones fill the rest (contradicted ones again if
    there are too few). ``rows`` maps back to the caller's row numbers.
    Texts are de-identified and cut to an excerpt.
    """
    wrong = np.flatnonzero(predicted != y)
    contradicted = [int(i) for i in wrong[np.argsort(-confidence[wrong], kind="stable")]]
    chosen = [(i, "contradicted") for i in contradicted[:limit // 2]]
    taken = {i for i, _ in chosen}
    for i in np.argsort(margin, kind="stable"):
        if len(chosen) >= limit:
            break
        if int(i) not in taken and int(i) not in contradicted:
            chosen.append((int(i), "uncertain"))
            taken.add(int(i))
    chosen += [(i, "contradicted") for i in contradicted if i not in taken][:limit - len(chosen)]
    return [{"row": int(rows[i]) if rows is not None else i, "text": excerpt(texts[i]), "label": str(y[i]),
             "predicted": str(predicted[i]), "confidence": float(confidence[i]), "margin": float(margin[i]),
             "why": why} for i, why in chosen]


def excerpt(text, length=EXCERPT):
    """A de-identified excerpt of a history text, for a report anyone may read."""
    clean = " ".join(str(deidentify(str(text or ""))).split())
    return clean if len(clean) <= length else clean[:length - 1] + "…"


def figures(y, classes, predicted, confidence, targets, probabilistic=True):
    """The figures of one kind of model from its out-of-fold predictions."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    correct = predicted == y
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=classes, zero_division=0)
    coverage = coverage_at_precision(confidence, correct, targets)
    result = {
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, average="macro", zero_division=0)),
        "per_department": {
            str(c): {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)},
        "coverage_at_precision": {str(t): share for t, (share, _) in coverage.items()},
        "threshold_at_precision": {str(t): thr for t, (_, thr) in coverage.items()},
        "ece": None, "reliability": [],
    }
    if probabilistic:  # an SVM's margin is no probability: it has no calibration to report
        result["ece"], result["reliability"] = calibration(confidence, correct)
    return result


def evaluate(texts, labels, folds=5, seed=0, max_features=DEFAULT_MAX_FEATURES, targets=TARGETS,
             progress=None, group_texts=False, kind=DEFAULT_KIND, compare=(), curve=(), check=CHECK_ROWS,
             extra=None):
    """Cross-validated figures for history ``texts`` -> ``labels`` (department codes).

    ``compare``: other kinds (e.g. ``("baseline",)``) evaluated on the same folds,
    their figures under ``compared[kind]`` with ``ahead[kind]``: how far ``kind`` is ahead.
    ``curve``: shares of the training folds (e.g. :data:`CURVE_SHARES`) for
    ``learning_curve``; ``check``: how many rows ``to_check`` lists (row numbers
    index ``texts``). ``extra``: ``(texts, labels, weights)`` every fold of ``kind`` learns
    from too and nothing predicts (see :func:`out_of_fold_predictions`).
    """
    given = list(labels)
    texts, labels, notes = merge_rare(list(texts), given, folds)
    if len(set(labels)) < 2:
        raise ValueError(f"need at least two departments with {folds} or more rows each")
    kept = set(labels)
    rows = list(range(len(given))) if len(labels) == len(given) else [
        i for i, label in enumerate(given) if label in kept]
    y = np.array(labels)
    classes = np.array(sorted(set(labels)))
    kinds = (kind,) + tuple(k for k in compare if k != kind)
    shares = tuple(sorted({float(s) for s in curve} | {1.0}))
    predictions = out_of_fold_predictions(texts, y, folds, seed, max_features, progress, group_texts,
                                          kinds=kinds, shares=shares, extra=extra)
    counts = Counter(labels)
    predicted, confidence, margin = predictions[kind]
    result = {
        "rows": len(labels),
        "distinct_texts": len(set(texts)),
        "folds": folds,
        "group_texts": group_texts,
        "departments": len(classes),
        "notes": notes,
        "model": kind,
        "majority_baseline": counts.most_common(1)[0][1] / len(labels),
        **figures(y, classes, predicted, confidence, targets, kind != "baseline"),
        "to_check": to_check(texts, y, predicted, confidence, margin, check, rows) if check else [],
    }
    if curve:
        by_share = {share: predictions[(kind, share)] if share < 1 else predictions[kind] for share in shares}
        result["learning_curve"] = learning_curve(
            y, by_share, {share: predictions[("sizes", share)] for share in shares})
    if len(kinds) > 1:
        result["compared"], result["ahead"] = {}, {}
        for other in kinds[1:]:
            theirs = figures(y, classes, *predictions[other][:2], targets, other != "baseline")
            theirs.pop("per_department")
            result["compared"][other] = theirs
            result["ahead"][other] = {
                "accuracy": result["accuracy"] - theirs["accuracy"],
                "macro_f1": result["macro_f1"] - theirs["macro_f1"],
                "coverage_at_precision": {t: result["coverage_at_precision"][t] - share
                                          for t, share in theirs["coverage_at_precision"].items()}}
    return result


def report_lines(result):
    """The figures as a person reads them."""
    lines = [f"{result['rows']} tickets ({result['distinct_texts']} distinct texts), {result['departments']} departments, "
             f"stratified {result['folds']}-fold cross-validation (no ticket predicted by a model that saw it"
             + ("; identical texts kept in one fold)" if result["group_texts"] else ")")]
    lines += [f"note: {note}" for note in result["notes"]]
    lines += [f"accuracy      {result['accuracy']:.3f}   (always the largest department: "
              f"{result['majority_baseline']:.3f})",
              f"macro-F1      {result['macro_f1']:.3f}", "",
              "per department: precision = right of the tickets sent to it, recall = its tickets sent to it, "
              "support = its tickets",
              f"{'department':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for code, m in sorted(result["per_department"].items(), key=lambda kv: -kv[1]["support"]):
        lines.append(f"{code[:24]:<24} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {m['support']:>8}")
    lines += ["", "auto-dispatch at a precision of   share of tickets   set threshold to"]
    for target, share in result["coverage_at_precision"].items():
        threshold = result["threshold_at_precision"][target]
        shown = f"{threshold:.3f}" if threshold is not None else "unreachable"
        lines.append(f"{float(target):>30.0%}   {share:>16.1%}   {shown:>16}")
    if result.get("learning_curve"):
        lines += ["", "learning curve: the same test folds, models fitted on part of each training fold",
                  f"{'history':>8} {'rows':>8} {'accuracy':>9} {'share@95%':>10}"]
        for point in result["learning_curve"]:
            lines.append(f"{point['share']:>8.0%} {point['size']:>8} {point['accuracy']:>9.3f} "
                         f"{point['share_at_95']:>10.1%}")
    if result.get("ece") is not None:
        lines += ["", f"calibration: expected calibration error {result['ece']:.3f} "
                      "(0 = a confidence of 80% is right 80% of the time)",
                  f"{'confidence':>12} {'tickets':>8} {'mean confidence':>16} {'right':>7}"]
        for row in result["reliability"]:
            lines.append(f"{row['low']:>5.1f}-{row['high']:<6.1f} {row['tickets']:>8} "
                         f"{row['mean_confidence']:>16.3f} {row['accuracy']:>7.3f}")
    if result.get("to_check"):
        lines += ["", "labels to check first (contradicted: the model is sure of another department; "
                      "uncertain: the two best are close)",
                  f"{'row':>6} {'why':<13} {'label':<14} {'predicted':<14} {'conf':>5}  text"]
        for item in result["to_check"]:
            lines.append(f"{item['row']:>6} {item['why']:<13} {item['label'][:14]:<14} {item['predicted'][:14]:<14} "
                         f"{item['confidence']:>5.2f}  {item['text']}")
    if result.get("compared"):
        lines += ["", f"the same folds, other models ({result['model']} ahead by):",
                  f"{'model':<22} {'accuracy':>9} {'share@90%':>10} {'share@95%':>10} {'share@98%':>10} {'ECE':>6}"]
        rows = [(result["model"], result)] + list(result["compared"].items())
        for name, m in rows:
            share = m["coverage_at_precision"]
            ece = f"{m['ece']:.3f}" if m.get("ece") is not None else "-"
            lines.append(f"{name:<22} {m['accuracy']:>9.3f} " + " ".join(
                f"{share.get(t, 0):>10.1%}" for t in ("0.9", "0.95", "0.98")) + f" {ece:>6}")
        for name, ahead in result["ahead"].items():
            lines.append(f"{result['model']} vs {name}: accuracy {ahead['accuracy']:+.3f}, share at 95% "
                         f"precision {ahead['coverage_at_precision'].get('0.95', 0):+.1%}")
    return lines
