"""Routing's learner, evaluation and refusals: pure logic, no broker."""
import json
import random
from pathlib import Path

import numpy as np
import pytest

from services.routing.domain import decision as records
from services.routing.domain.rules import decide
from services.routing.learning import classifier, stored
from services.routing.learning import training as learning
from services.routing.learning.evaluate import coverage_at_precision, evaluate
from services.routing.learning.history import HistoryError, HistoryReport, merge_rare, read_history
from services.routing.learning.synthetic import generate
from shared.contract.events import utcnow
from shared.timelimits.deadlines import DeadlinePolicy

NYC = Path(__file__).resolve().parents[6] / "shared" / "data" / "nyc311_sample.csv"


@pytest.fixture(scope="module")
def model(directory):
    rows = generate(20, seed=1)
    return learning.train([t for t, _ in rows], [c for _, c in rows], directory)


# -- reading history -----------------------------------------------------------

def test_history_joins_text_columns_and_counts_what_it_skips(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("type,detail,agency\nNoise,Loud Music,NYPD\n,,DOT\nPothole,,\n", encoding="utf-8")
    report = HistoryReport()
    rows = list(read_history(path, ["type", "detail"], "agency", report=report))
    assert rows == [("Noise Loud Music", "NYPD")]
    assert report.summary() == "1 of 3 rows used (skipped: 1 no text, 1 no department)"
    assert list(read_history(path, ["type,detail"], "agency")) == rows  # comma-separated too


def test_a_missing_column_names_the_columns_the_file_has(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("type,agency\nNoise,NYPD\n", encoding="utf-8")
    with pytest.raises(HistoryError, match="no column Descriptor; it has: type, agency"):
        list(read_history(path, ["type", "Descriptor"], "agency"))


def test_json_lines_with_a_broken_line(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"text": "停水", "department": "WATER"}\nnot json\n[1]\n', encoding="utf-8")
    report = HistoryReport()
    assert list(read_history(path, ["text"], "department", report=report)) == [("停水", "WATER")]
    assert report.skipped == {"unreadable JSON": 1, "not a JSON object": 1}


def test_rare_departments_are_merged_or_dropped():
    texts, labels, notes = merge_rare(list("abcdefg"), ["A"] * 5 + ["B", "C"], min_rows=2)
    assert labels == ["A"] * 5 + ["other", "other"] and "merged into 'other'" in notes[0]
    texts, labels, notes = merge_rare(list("abcdef"), ["A"] * 5 + ["B"], min_rows=2)
    assert labels == ["A"] * 5 and texts == list("abcde") and "dropped" in notes[0]


# -- evaluation ----------------------------------------------------------------

def test_coverage_at_precision_cuts_only_between_distinct_confidences():
    confidence = np.array([0.9, 0.8, 0.8, 0.7, 0.6])
    correct = np.array([True, True, False, True, False])
    result = coverage_at_precision(confidence, correct, targets=(0.9, 0.7, 0.5))
    assert result[0.9] == (0.2, 0.9)       # taking both 0.8s would drop to 2/3
    assert result[0.7] == (0.8, 0.7)       # 3 of 4
    assert result[0.5] == (1.0, 0.6)


def test_evaluation_never_predicts_a_ticket_with_a_model_that_saw_it():
    # Unique random strings with random labels: a model that saw the test rows
    # would recall them; one that did not can only guess.
    rng = random.Random(5)
    texts = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12)) for _ in range(200)]
    labels = [rng.choice(["A", "B"]) for _ in texts]
    assert evaluate(texts, labels, folds=5)["accuracy"] < 0.65


@pytest.mark.skipif(not NYC.exists(), reason="the NYC 311 sample is not beside the repository")
def test_evaluating_the_nyc_sample_gives_every_figure():
    rows = list(read_history(NYC, ["Complaint Type", "Descriptor"], "Agency"))
    result = evaluate([t for t, _ in rows], [a for _, a in rows], folds=5)
    assert result["rows"] == 1000
    assert any("DCAS" in note for note in result["notes"])  # 1 row: cannot be in 5 folds
    assert result["majority_baseline"] < result["accuracy"] <= 1
    assert 0 < result["macro_f1"] <= 1
    assert set(result["coverage_at_precision"]) == {"0.9", "0.95", "0.98"}
    assert result["per_department"]["NYPD"]["support"] == 347
    json.dumps(result)  # the --json line


def test_chinese_work_orders_are_learned_without_segmentation():
    rows = generate(20, seed=2)
    result = evaluate([t for t, _ in rows], [c for _, c in rows], folds=3)
    assert result["accuracy"] > 0.85
    assert result["coverage_at_precision"]["0.9"] > 0.5


# -- the trained model ---------------------------------------------------------

def test_the_model_proposes_with_reasons_and_measures_its_threshold(model):
    best = model.suggest("我们单位老板已经两个月没发工资了，找他就躲")[0]
    assert best.department_code == "HRSS"
    assert best.reasons[0]["code"] == "weighed" and "工资" in best.reasons[0]["params"]["words"]
    assert 0 < model.meta["threshold"] <= 1
    assert model.meta["examples"] == 460


def test_a_refused_department_is_ruled_out_and_the_rest_share_its_probability(model):
    full = model.suggest("小区停水两天了，没有任何通知", top=30)
    assert full[0].department_code == "WATER"
    rest = model.suggest("小区停水两天了，没有任何通知", exclude={"WATER"}, top=30)
    assert "WATER" not in {s.department_code for s in rest}
    assert sum(s.confidence for s in rest) == pytest.approx(1.0, abs=1e-6)


def test_a_model_survives_storage(model):
    again = stored.loads(stored.dumps(model), 3, model.meta)
    text = "暖气不热，室温只有十四度"
    assert again.version == 3
    assert [s.to_dict() for s in again.suggest(text)] == [s.to_dict() for s in model.suggest(text)]


def test_history_naming_departments_not_in_the_directory_is_left_out(directory):
    with pytest.raises(learning.NotEnoughHistory, match="NYPD"):
        learning.train(["Loud music"] * 30, ["NYPD"] * 30, directory)
    texts, labels, unknown = learning.usable_examples(["a", "b", "c"], ["市水务管理局", "water", "NYPD"], directory)
    assert labels == ["WATER", "WATER"] and unknown == {"NYPD": 1}


def test_threshold_setting():
    keyword = classifier.KeywordModel(None)
    assert learning.threshold_for(keyword, "auto") == 0.5
    assert learning.threshold_for(keyword, "0.8") == 0.8

    class Trained:
        kind = "trained"
        meta = {"threshold": 0.05}
    assert learning.threshold_for(Trained, "auto", min_threshold=0.2) == 0.2
    Trained.meta = {"threshold": None}
    assert learning.threshold_for(Trained, "auto") > 1  # unmeasured: a person decides


# -- deciding with a model, and refusals ----------------------------------------

def test_a_model_decides_free_text_and_doubts_what_it_cannot_read(directory, model):
    threshold = learning.threshold_for(model, "auto")
    sure = decide({"title": "网约车司机中途把我甩在高速路口", "description": ""}, directory, model, threshold)
    assert (sure.department.code, sure.rule) == ("TRANSPORT", "classifier")
    assert sure.model_version == model.version
    unsure = decide({"title": "我想问一下", "description": "麻烦帮忙看看"}, directory, model, threshold)
    assert not unsure.decided and unsure.rule == "manual"
    assert len(unsure.suggestions) == 3


def test_certain_rules_come_before_the_model(directory, model):
    zone = decide({"title": "太清宫门口停车乱收费"}, directory, model, 0.2)
    assert (zone.department.code, zone.rule) == ("Z-LAOSHAN-SCENIC", "zone")
    category = decide({"title": "暖气不热", "category": "gas"}, directory, model, 0.2)
    assert category.rule == "catalogue" and category.department.code == "ENERGY"
    assert decide({"title": "暖气不热", "category": "gas"}, directory, model, 0.2,
                  exclude={"ENERGY"}).rule != "catalogue"


def test_a_place_decides_for_the_street_office(directory):
    decision = decide({"title": "有事反映", "district": "市南区", "street": "八大关街道"}, directory)
    assert (decision.department.code, decision.rule) == ("S-BADAGUAN", "place")


def test_refusals_reroute_then_ask_a_person(directory, model):
    policy = DeadlinePolicy.from_config({})
    ticket = {"title": "小区停水两天了", "description": "停水没有通知", "urgency": "normal"}
    record = {"number": "QD-1", "ticket": ticket, "assignments": 1, "refusals": []}
    now = utcnow()
    again = records.after_refusal(record, {"department_code": "WATER", "reason": "不是我们", "refusal_count": 1},
                                  directory, model, 0.0, policy, now)
    assert again.kind == "ticket_assigned"
    assert again.body["department_code"] != "WATER" and again.body["attempt"] == 2
    assert again.body["previous_department_code"] == "WATER"

    record.update(assignments=2, refusals=[{"department_code": "WATER"}])
    second = again.body["department_code"]
    person = records.after_refusal(record, {"department_code": second, "reason": "也不是", "refusal_count": 2},
                                   directory, model, 0.0, policy, now)
    assert person.kind == "ticket_awaiting_dispatch" and person.record["rule"] == "arbitration"
    assert person.body["refused_departments"] == sorted({"WATER", second})
    assert not {"WATER", second} & {s["department_code"] for s in person.body["suggestions"]}


def test_the_fast_path_computes_what_sklearn_computes(model):
    for text in ("小区停水两天了，没有任何通知", "Loud music from the bar next door", "？", "网约车 甩客 taxi"):
        vector = model.vectorize(text)
        reference = model.clf.predict_proba(model.tfidf.transform([text]))[0]
        if len(vector[0]):
            assert np.allclose(model.probabilities(vector), reference, atol=1e-6)
        else:
            assert model.tfidf.transform([text]).nnz == 0 and model.suggest(text) == []


def test_history_exported_from_a_chinese_spreadsheet_in_gb18030(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes("内容,承办单位\n小区停水两天了,市水务管理局\n".encode("gb18030"))
    assert list(read_history(path, ["内容"], "承办单位")) == [("小区停水两天了", "市水务管理局")]


def test_history_as_one_json_array(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(' [{"text": "停水", "department": "WATER"}, 3]', encoding="utf-8")
    report = HistoryReport()
    assert list(read_history(path, ["text"], "department", report=report)) == [("停水", "WATER")]
    assert report.skipped == {"not a JSON object": 1}


def test_grouping_identical_texts_measures_wording_never_seen():
    # Each random string always has the same (random) department: remembering a
    # text helps only if the same text was in training.
    rng = random.Random(9)
    distinct = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12)) for _ in range(60)]
    label_of = {t: rng.choice(["A", "B"]) for t in distinct}
    texts = distinct * 4
    labels = [label_of[t] for t in texts]
    assert evaluate(texts, labels, folds=4)["accuracy"] > 0.95
    grouped = evaluate(texts, labels, folds=4, group_texts=True)
    assert grouped["accuracy"] < 0.7 and grouped["distinct_texts"] == 60
