"""The request type learned from the tickets people typed, where it beats the rules."""
import io

import joblib
import numpy as np
import pytest

from services.routing.domain import request_types
from services.routing.learning import classifier, request_type_model, stored
from tests.typed_orders import typed_orders

# Wordings no template of the training orders has: the operators' types, and what the rules say.
UNSEEN = [
    ("某饭店后厨卫生差", "后厨老鼠乱窜，一直无人管，要求严肃处理", "complaint", "help"),
    ("物业乱收停车费", "物业不作为，乱收费，要求给个说法", "complaint", "help"),
    ("想了解居住证续签", "需要什么材料", "consultation", "help"),
]


@pytest.fixture(scope="module")
def trained():
    return request_type_model.train(typed_orders(300, seed=0))


def test_a_model_of_the_types_people_gave_beats_the_rules_on_tickets_it_never_saw(trained):
    model, figures = trained
    assert figures["used"] and model is not None
    # measured at training, out of fold: the model against the rules on the same tickets
    assert figures["cv_accuracy"] > figures["rules_accuracy"]
    assert set(figures["per_type"]) == {"complaint", "help", "consultation", "suggestion", "report", "praise"}
    held_out = typed_orders(200, seed=1)
    learned = np.mean([model.suggest_type(t, d).request_type == k for t, d, k in held_out])
    rules = np.mean([request_types.suggest(t, d).request_type == k for t, d, k in held_out])
    assert learned > rules + 0.2, (learned, rules)
    for title, description, kind, said_by_rules in UNSEEN:
        assert request_types.suggest(title, description).request_type == said_by_rules
        guess = model.suggest_type(title, description)
        assert guess.request_type == kind, (title, guess)
        assert 0 < guess.confidence <= 1 and guess.words


def test_where_people_type_as_the_rules_do_the_rules_stay():
    rows = [(t, d, request_types.suggest(t, d).request_type) for t, d, _ in typed_orders(200, seed=2)]
    model, figures = request_type_model.train(rows)
    assert model is None and not figures["used"]
    assert figures["rules_accuracy"] == 1.0 and "not better than the rules" in figures["why"]


def test_too_few_typed_tickets_leave_the_rules():
    model, figures = request_type_model.train(typed_orders(request_type_model.MIN_EXAMPLES - 1))
    assert model is None and figures["examples"] == request_type_model.MIN_EXAMPLES - 1
    assert "a model is tried from" in figures["why"]


def test_a_proactive_case_is_never_learned_as_a_citizens_type():
    rows = typed_orders(100, seed=3) + [("巡查发现占道经营", "网格员巡查发现", "proactive")] * 40
    model, figures = request_type_model.train(rows)
    assert "proactive" not in figures["types"] and figures["examples"] == 100
    assert model.suggest_type("巡查发现占道经营", "网格员巡查发现").request_type != "proactive"


def test_the_type_model_is_stored_and_loaded_with_the_department_model(trained, tmp_path):
    types, figures = trained
    texts = ["小区停水三天", "楼下饭店油烟扰民", "自来水发黄", "路边摊贩占道"] * 6
    model = classifier.TextModel.train(texts, ["WATER", "URBAN_MGMT"] * 12, meta={"request_type_model": figures})
    model.types = types
    title, description, kind, _ = UNSEEN[0]
    expected = types.suggest_type(title, description)

    again = stored.loads(stored.dumps(model), 1, model.meta)
    assert again.types.suggest_type(title, description) == expected
    assert again.types.meta["cv_accuracy"] == figures["cv_accuracy"]

    stored.save_file(model, tmp_path / "model.bin")
    data, meta = stored.load_file(tmp_path / "model.bin")
    assert stored.loads(data, 2, meta).types.suggest_type(title, description) == expected

    model.types = None  # as stored before request types were learned: a bare pipeline
    buffer = io.BytesIO()
    joblib.dump(model.pipeline, buffer)
    older = stored.loads(buffer.getvalue(), 3, {})
    assert older.types is None and older.suggest("停水", top=1)[0].department_code == "WATER"
