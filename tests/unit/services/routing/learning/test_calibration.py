"""Routing's confidence: calibration figures, the baseline on the same folds, the model file."""
import json
import os
from pathlib import Path

import mongomock
import numpy as np
import pytest
from click.testing import CliRunner

from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.knowledge import Knowledge
from services.routing.commands import main
from services.routing.domain.directory import Directory
from services.routing.learning import classifier, stored
from services.routing.learning import training as learning
from services.routing.learning.evaluate import calibration, evaluate
from services.routing.learning.history import read_history
from services.routing.learning.synthetic import generate
from shared.platform.city import load_city


def shared_data(name):
    folder = os.environ.get("HOTLINE_SHARED_DATA") or Path(__file__).resolve().parents[6] / "shared" / "data"
    return Path(folder) / name


COCC = shared_data("cocc.csv")


def test_expected_calibration_error_of_a_hand_made_example():
    # 0.95-sure and right half the time: 0.45 off; 0.55-sure and always right: 0.45 off
    confidence = np.array([0.95, 0.95, 0.55, 0.55])
    correct = np.array([True, False, True, True])
    ece, table = calibration(confidence, correct)
    assert ece == pytest.approx(0.45)
    assert [(row["low"], row["tickets"], row["accuracy"]) for row in table] == [(0.5, 2, 1.0), (0.9, 2, 0.5)]
    assert table[1]["mean_confidence"] == pytest.approx(0.95)


def test_a_calibrated_model_has_no_calibration_error_and_certainty_lands_in_the_last_bin():
    confidence = np.array([0.75] * 4 + [1.0] * 2)
    correct = np.array([True, True, True, False, True, True])
    ece, table = calibration(confidence, correct)
    assert ece == pytest.approx(0.0)
    assert table[-1] == {"low": 0.9, "high": 1.0, "tickets": 2, "mean_confidence": 1.0, "accuracy": 1.0}


def test_the_baseline_is_evaluated_on_the_same_folds_and_the_lead_is_the_difference():
    rows = generate(10, seed=3)
    result = evaluate([t for t, _ in rows], [c for _, c in rows], folds=3, compare=("baseline",))
    base = result["compared"]["baseline"]
    assert result["model"] == classifier.DEFAULT_KIND
    assert result["ahead"]["baseline"]["accuracy"] == pytest.approx(result["accuracy"] - base["accuracy"])
    assert result["ahead"]["baseline"]["coverage_at_precision"]["0.95"] == pytest.approx(
        result["coverage_at_precision"]["0.95"] - base["coverage_at_precision"]["0.95"])
    assert base["ece"] is None  # an SVM margin is no probability
    assert 0 <= result["ece"] < 1 and sum(row["tickets"] for row in result["reliability"]) == result["rows"]
    json.dumps(result)


@pytest.mark.skipif(not COCC.exists(), reason="cocc.csv is not in $HOTLINE_SHARED_DATA or ../shared/data")
def test_routing_beats_the_baseline_on_telecom_complaints():
    rows = list(read_history(COCC, ["text"], "label"))
    result = evaluate([t for t, _ in rows], [label for _, label in rows], folds=5, compare=("baseline",))
    ahead = result["ahead"]["baseline"]
    assert result["accuracy"] >= 0.89 and result["coverage_at_precision"]["0.95"] >= 0.80
    assert ahead["accuracy"] > 0
    assert ahead["coverage_at_precision"]["0.95"] >= 0.02  # dispatches more at the same precision
    assert result["ece"] < 0.1


def test_a_department_with_one_example_still_trains_a_model():
    rows = generate(6, seed=2)
    texts = [t for t, _ in rows] + ["港区码头集装箱堆场夜间作业噪音"]
    labels = [c for _, c in rows] + ["PORT"]
    model = classifier.TextModel.train(texts, labels)
    assert "PORT" in model.labels
    best = model.suggest("小区突然停水，没有任何通知")[0]
    assert best.department_code == "WATER" and 0 < best.confidence <= 1


def test_words_come_from_jieba_and_explain_without_their_prefix():
    assert "w:停水" in classifier.words("小区停水两天了")
    rows = generate(20, seed=1)
    model = classifier.TextModel.train([t for t, _ in rows], [c for _, c in rows])
    reasons = model.suggest("我们单位老板已经两个月没发工资了")[0].to_dict()["reasons"]
    assert reasons and classifier.WORD_PREFIX not in reasons[0]


def test_a_model_file_is_loaded_at_start_instead_of_starting_without_a_model(tmp_path):
    directory = Directory.from_dict(load_city({}))
    rows = generate(20, seed=1)
    model = learning.train([t for t, _ in rows], [c for _, c in rows], directory)
    path = tmp_path / "routing-model.bin"
    stored.save_file(model, path)

    store = DecisionRepository(mongomock.MongoClient(tz_aware=True)["hotline_routing"], {})
    store.ensure_indexes()
    repo = store.learning  # the models, beside the decisions
    known = Knowledge({"ROUTING_MODEL_FILE": str(path)}).ready(store)
    assert known.learner.kind == "trained" and known.model.version == 1
    assert known.model.meta["threshold"] == model.meta["threshold"]
    assert "loaded from" in repo.latest_model()["meta"]["reason"]
    text = "暖气不热，室温只有十四度"
    assert [s.to_dict() for s in known.model.suggest(text)] == [s.to_dict() for s in model.suggest(text)]

    again = Knowledge({"ROUTING_MODEL_FILE": str(path)}).ready(store)  # the store has one now
    assert again.model.version == 1 and len(repo.models_list()) == 1
    missing = Knowledge({"ROUTING_MODEL_FILE": str(tmp_path / "none.bin")})
    fresh = DecisionRepository(mongomock.MongoClient(tz_aware=True)["hotline_routing"], {})
    assert missing.ready(fresh).learner.kind == "keywords"


def test_build_model_writes_a_file_routing_can_load(tmp_path):
    history = tmp_path / "h.jsonl"
    history.write_text("\n".join(json.dumps({"text": t, "department": c}, ensure_ascii=False)
                                 for t, c in generate(20, seed=1)), encoding="utf-8")
    out = tmp_path / "model.bin"
    result = CliRunner().invoke(main, ["build-model", "--history", str(history), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data, meta = stored.load_file(out)
    assert meta["examples"] == 460 and stored.loads(data).suggest("小区停水两天了")[0].department_code == "WATER"


def test_evaluate_compare_reports_calibration_and_the_lead(tmp_path):
    history = tmp_path / "h.jsonl"
    history.write_text("\n".join(json.dumps({"text": t, "department": c}, ensure_ascii=False)
                                 for t, c in generate(8, seed=4)), encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "--history", str(history), "--folds", "3",
                                       "--compare", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("calibration: expected calibration error") for line in lines)
    assert any(line.startswith(f"{classifier.DEFAULT_KIND} vs baseline: accuracy") for line in lines)
    assert set(json.loads(lines[-1])["compared"]) == {"baseline"}
