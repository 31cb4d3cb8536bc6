"""``routing evaluate`` honest about itself: per-department figures, the learning curve, and the
labels a person should check first (active learning)."""
import json

import numpy as np
import pytest

from services.routing.learning.evaluate import evaluate, figures, report_lines, subsample, to_check
from services.routing.learning.synthetic import generate


def test_per_department_precision_recall_and_support_are_those_of_the_predictions():
    y = np.array(["WATER"] * 4 + ["ROADS"] * 2)
    predicted = np.array(["WATER", "WATER", "WATER", "ROADS", "ROADS", "WATER"])
    result = figures(y, np.array(["ROADS", "WATER"]), predicted, np.full(6, 0.9), (0.95,))
    # WATER: 3 right of the 4 sent to it, 3 of its 4 found; ROADS: 1 of 2, 1 of 2
    assert result["per_department"]["WATER"] == pytest.approx(
        {"precision": 0.75, "recall": 0.75, "f1": 0.75, "support": 4})
    assert result["per_department"]["ROADS"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    lines = report_lines({"rows": 6, "distinct_texts": 6, "departments": 2, "folds": 2, "group_texts": False,
                          "notes": [], "majority_baseline": 4 / 6, **result})
    header = next(i for i, line in enumerate(lines) if line.startswith("department"))
    assert lines[header].split() == ["department", "precision", "recall", "f1", "support"]
    assert lines[header + 1].split() == ["WATER", "0.750", "0.750", "0.750", "4"]


def test_the_rows_to_check_are_the_confident_contradictions_then_the_smallest_margins_de_identified():
    texts = ["小区停水三天了，联系电话13812345678", "路灯不亮", "井盖丢了", "自来水发黄", "噪音扰民", "垃圾没人清"]
    y = np.array(["WATER", "ROADS", "ROADS", "WATER", "POLICE", "CITY"])
    predicted = np.array(["ROADS", "ROADS", "WATER", "WATER", "POLICE", "CITY"])
    confidence = np.array([0.95, 0.9, 0.6, 0.5, 0.45, 0.8])
    margin = np.array([0.9, 0.8, 0.2, 0.05, 0.01, 0.7])
    found = to_check(texts, y, predicted, confidence, margin, limit=4, rows=[10, 11, 12, 13, 14, 15])
    assert [(item["row"], item["why"]) for item in found] == [
        (10, "contradicted"), (12, "contradicted"), (14, "uncertain"), (13, "uncertain")]
    first = found[0]
    assert (first["label"], first["predicted"], first["confidence"]) == ("WATER", "ROADS", 0.95)
    assert "13812345678" not in first["text"] and "[phone]" in first["text"]
    # too few uncertain rows: contradicted ones fill the list
    assert [i["why"] for i in to_check(texts[:3], y[:3], predicted[:3], confidence[:3], margin[:3], limit=3)] == [
        "contradicted", "uncertain", "contradicted"]


def test_a_share_of_the_training_fold_keeps_every_department():
    y = np.array(["A"] * 40 + ["B"] * 8 + ["C"] * 2)
    rows = subsample(np.arange(50), y, 0.25, np.random.default_rng(0))
    assert sorted(set(y[rows])) == ["A", "B", "C"]
    assert len(rows) == 10 + 2 + 1 and len(set(rows)) == len(rows)


def test_the_learning_curve_predicts_the_same_test_folds_from_growing_shares_of_history():
    rows = generate(12, seed=5)
    texts, labels = [t for t, _ in rows], [c for _, c in rows]
    result = evaluate(texts, labels, folds=3, curve=(0.25, 0.5, 1.0), check=6)
    curve = result["learning_curve"]
    assert [point["share"] for point in curve] == [0.25, 0.5, 1.0]
    sizes = [point["size"] for point in curve]
    assert sizes[0] < sizes[1] < sizes[2] == round(len(rows) * 2 / 3)
    whole = curve[-1]  # the full training folds are the evaluation itself
    assert whole["accuracy"] == pytest.approx(result["accuracy"])
    assert whole["share_at_95"] == pytest.approx(result["coverage_at_precision"]["0.95"])
    assert curve[0]["accuracy"] < whole["accuracy"]
    assert len(result["to_check"]) == 6 and all(0 <= item["row"] < len(rows) for item in result["to_check"])
    assert any("learning curve" in line for line in report_lines(result))
    json.dumps(result)
