"""The dispatchers' review list, pure: which recent tickets routing most wants a person to label."""
from services.routing.domain.review import ReviewItem, contradicted_examples, low_margin_dispatches, review_list


def dispatched(number, *confidences, rule="classifier", status="assigned", text="路灯不亮"):
    codes = ["URBAN_MGMT", "TRANSPORT", "WATER"]
    return {"number": number, "status": status, "rule": rule, "department_code": codes[0],
            "confidence": confidences[0] if confidences else None,
            "suggestions": [{"department_code": c, "confidence": p} for c, p in zip(codes, confidences)],
            "ticket": {"title": text, "description": "联系电话13912345678", "address": "书院路88号"}}


def test_automatic_dispatches_whose_two_best_were_close_are_listed_closest_first():
    found = low_margin_dispatches([
        dispatched("A", 0.55, 0.40),                      # margin 0.15
        dispatched("B", 0.90, 0.05),                      # sure
        dispatched("C", 0.48, 0.45),                      # margin 0.03
        dispatched("D", 0.50, 0.49, rule="catalogue"),    # the catalogue decided: no model doubt
        dispatched("E", 0.50, 0.49, status="awaiting_dispatch"),  # a person decides it anyway
        dispatched("F"),                                  # no ranking
    ], limit=0.2)
    assert [(i.number, i.why, i.suggested) for i in found] == [("C", "low_margin", "TRANSPORT"),
                                                               ("A", "low_margin", "TRANSPORT")]
    assert found[0].margin == 0.03 and found[0].department_code == "URBAN_MGMT"
    assert "13912345678" not in found[0].text and "[phone]" in found[0].text


def test_examples_the_model_would_send_elsewhere_are_listed_surest_first():
    examples = [{"number": "A", "text": "自来水停了", "department_code": "URBAN_MGMT"},
                {"number": "B", "text": "路灯不亮", "department_code": "URBAN_MGMT"},
                {"number": "C", "text": "水管爆了", "department_code": "HOUSING"},
                {"number": "D", "text": "", "department_code": "HOUSING"}]
    guesses = {"自来水停了": ("WATER", 0.7), "路灯不亮": ("URBAN_MGMT", 0.9), "水管爆了": ("WATER", 0.95)}
    found = contradicted_examples(examples, lambda text: guesses.get(text))
    assert [(i.number, i.suggested, i.confidence, i.why) for i in found] == [
        ("C", "WATER", 0.95, "contradicted"), ("A", "WATER", 0.7, "contradicted")]


def item(number, why):
    return ReviewItem(number, "", "X", None, None, None, why)


def test_the_list_alternates_the_kinds_once_per_ticket_and_leaves_out_what_was_reviewed():
    low = [item(n, "low_margin") for n in ("L1", "L2", "L3", "S")]
    contradicted = [item(n, "contradicted") for n in ("C1", "S", "R")]
    chosen = review_list(low, contradicted, reviewed={"R", "L2"}, size=5)  # S once; L2, R reviewed already
    assert [(i.number, i.why) for i in chosen] == [("L1", "low_margin"), ("C1", "contradicted"),
                                                   ("L3", "low_margin"), ("S", "contradicted")]
    assert len(review_list(low, contradicted, set(), size=2)) == 2
