"""The monthly assessment: groups, weights, ranks, exclusions, and the case-mix adjustment."""
import pytest

from services.insight.domain.assessment import (
    AssessmentSettings,
    assess,
    cases_behind,
    check_weights,
    monthly,
    observations,
)

SOLVED_ONLY = {"solved": 1.0}


def case(number, unit, category="easy", district="市南区", resolved=True, **outcome):
    return {"number": number, "department_code": unit, "category": category, "district": district,
            "request_type": "complaint",
            "outcome": {"reached": True, "resolved": resolved, **outcome}}


def batch(unit, category, n, solved, prefix=None):
    prefix = prefix or f"{unit}-{category}"
    return [case(f"{prefix}-{i:03d}", unit, category, resolved=i < solved) for i in range(n)]


def units_of(report):
    return {u["unit"]: u for g in report["groups"] for u in g["units"]}


def planted_month():
    """A takes mostly the hard category (the city solves ~half), B mostly easy ones (~95%):
    both do exactly as well as each other within each category. C is worse in both."""
    return (batch("A", "hard", 300, 150) + batch("A", "easy", 60, 57)
            + batch("B", "hard", 60, 30) + batch("B", "easy", 300, 285)
            + batch("C", "hard", 150, 45) + batch("C", "easy", 150, 105))


def test_the_adjusted_score_removes_a_planted_case_mix_effect_and_keeps_a_real_difference():
    settings = AssessmentSettings(weights=SOLVED_ONLY, min_cases=20)
    units = units_of(assess(planted_month(), settings))
    a, b, c = units["A"], units["B"], units["C"]
    # Raw: A looks far worse than B, for taking the hard cases.
    assert b["raw_score"] - a["raw_score"] >= 25
    assert a["raw_rank"] > b["raw_rank"]
    # Adjusted: A and B level (same performance on like cases), C apart and below.
    assert abs(a["adjusted_score"] - b["adjusted_score"]) < 3
    assert a["verdict"] == b["verdict"]  # (both above the city, which C pulls down)
    assert a["adjusted_interval"][0] < b["adjusted_score"] < a["adjusted_interval"][1]
    assert c["verdict"] == "below" and c["rates"]["solved"]["verdict"] == "worse"
    assert c["adjusted_interval"][1] < min(a["adjusted_interval"][0], b["adjusted_interval"][0])
    assert c["rank"] == 3 and {a["rank"], b["rank"]} <= {1, 2}
    # the intervals come from the library's exact binomial interval, scaled by n/E
    low, high = a["rates"]["solved"]["ratio_interval"]
    assert low < a["rates"]["solved"]["ratio"] < high
    assert low < b["rates"]["solved"]["ratio"] < high


def test_the_expected_count_is_the_citys_rate_on_the_units_own_cases():
    settings = AssessmentSettings(weights=SOLVED_ONLY)
    rows = batch("A", "hard", 10, 5) + batch("B", "hard", 10, 5) + batch("B", "easy", 10, 10)
    solved = units_of(assess(rows, settings))["B"]["rates"]["solved"]
    # city: hard 10/20, easy 10/10 -> B's expected = 10 x 0.5 + 10 x 1.0
    assert solved["expected"] == 15.0 and solved["events"] == 15 and solved["ratio"] == 1.0


def test_a_unit_below_the_minimum_is_listed_but_not_ranked():
    rows = batch("BIG", "easy", 40, 30) + batch("SMALL", "easy", 8, 8)
    units = units_of(assess(rows, AssessmentSettings(weights=SOLVED_ONLY, min_cases=20)))
    assert units["SMALL"]["rank"] is None and units["SMALL"]["not_ranked"] == "too_few_cases"
    assert units["BIG"]["rank"] == 1
    # with eight cases all solved its interval is wide and holds the city's level: noise
    assert units["SMALL"]["verdict"] == "as_city"


def test_units_are_ranked_within_their_own_group_and_unnamed_ones_fall_in_the_default():
    rows = batch("HOUSING", "easy", 30, 20) + batch("WATER", "easy", 30, 29) \
        + batch("SHINAN", "easy", 30, 25) + batch("GAS_CO", "easy", 30, 10)
    settings = AssessmentSettings(groups={"bureaus": ["HOUSING", "WATER"], "districts": ["SHINAN"]},
                                  default_group="others", weights=SOLVED_ONLY, min_cases=5)
    report = assess(rows, settings)
    assert [g["group"] for g in report["groups"]] == ["bureaus", "districts", "others"]
    bureaus = report["groups"][0]["units"]
    assert [(u["unit"], u["rank"]) for u in bureaus] == [("WATER", 1), ("HOUSING", 2)]
    assert [(u["unit"], u["rank"]) for u in report["groups"][1]["units"]] == [("SHINAN", 1)]
    assert [(u["unit"], u["rank"]) for u in report["groups"][2]["units"]] == [("GAS_CO", 1)]


def test_weights_make_the_score_and_lower_is_better_rates_count_inverted():
    rows = [case(f"X-{i}", "X", approved=True, rejections=1 if i < 3 else 0, replied_late=False)
            for i in range(10)]
    unit = units_of(assess(rows, AssessmentSettings(weights={"returned": 1.0, "on_time": 1.0},
                                                    min_cases=1)))["X"]
    assert unit["rates"]["returned"]["raw"] == 0.3 and unit["rates"]["on_time"]["raw"] == 1.0
    assert unit["raw_score"] == pytest.approx(100 * (0.7 + 1.0) / 2)
    only_returned = units_of(assess(rows, AssessmentSettings(weights={"returned": 1.0}, min_cases=1)))["X"]
    assert only_returned["raw_score"] == pytest.approx(70.0)


def test_check_weights_refuses_an_unknown_rate_a_negative_weight_or_all_zero():
    assert check_weights({"solved": "0.5"}) == {"solved": 0.5}
    for bad in ({"speed": 1}, {"solved": -1}, {"solved": 0}):
        with pytest.raises(ValueError):
            check_weights(bad)


def test_unreasonable_rulings_and_accepted_appeals_are_excluded_and_listed():
    rows = batch("A", "easy", 20, 20)
    rows.append(case("A-unreasonable", "A", resolved=False, closed_as="unreasonable"))
    rows.append(case("A-appealed", "A", resolved=True, satisfaction="dissatisfied",
                     appeals_accepted=["callback_unsatisfied"]))
    report = assess(rows, AssessmentSettings(min_cases=1))
    unit = units_of(report)["A"]
    assert unit["rates"]["solved"]["n"] == 21  # the appealed one still counts as solved
    assert unit["rates"]["solved"]["raw"] == 1.0  # the unreasonable one counts in nothing
    assert "satisfied" not in unit["rates"]  # its only satisfaction event was taken out
    assert unit["unreasonable"] == 1 and unit["appeals_accepted"] == 1
    assert report["excluded"]["unreasonable"] == [{"number": "A-unreasonable", "unit": "A"}]
    assert report["excluded"]["appeals_accepted"][0]["rate"] == "satisfied"
    behind = cases_behind(rows, "A", "solved")
    assert "A-unreasonable" not in behind["rates"]["solved"]["counted"]
    assert behind["unreasonable"] == ["A-unreasonable"]


def test_every_figure_drills_down_to_its_case_numbers():
    rows = batch("A", "easy", 5, 3)
    behind = cases_behind(rows, "A")
    assert behind["rates"]["solved"]["counted"] == [f"A-easy-{i:03d}" for i in range(5)]
    assert behind["rates"]["solved"]["events"] == ["A-easy-000", "A-easy-001", "A-easy-002"]


def test_the_month_is_shown_against_the_last():
    settings = AssessmentSettings(weights=SOLVED_ONLY, min_cases=1)
    now = batch("A", "easy", 10, 9) + batch("B", "easy", 10, 5)
    before = batch("A", "easy", 10, 5, prefix="a0") + batch("B", "easy", 10, 9, prefix="b0")
    units = units_of(monthly("2026-11", now, before, settings))
    assert units["A"]["previous"]["rank"] == 2 and units["A"]["rank"] == 1
    assert units["A"]["change"] > 0 > units["B"]["change"]


def test_observations_read_the_outcomes_followup_reported():
    assert observations({"signed_for": True, "signed_late": True}) == {"response": False}
    assert observations({"reached": True, "resolved": False, "reopened": 1}) == {
        "solved": False, "reopened": True}
    assert observations({"replied": True, "replied_late": False}) == {"on_time": True, "returned": False}
    assert observations({}) == {}


def test_the_cli_writes_the_reports_files_and_prints_the_table(monkeypatch, tmp_path):
    import base64

    from click.testing import CliRunner

    from hotline import insight_cli

    asked = []

    def call(method, query):
        asked.append((method, query))
        if method == "assessment":
            return monthly("2026-11", planted_month(), [], AssessmentSettings(weights=SOLVED_ONLY, min_cases=400))
        return {"month": "2026-11", "files": {kind: {"base64": base64.b64encode(f"{kind} bytes".encode()).decode()}
                                              for kind in query["formats"]}}
    monkeypatch.setattr(insight_cli, "call", call)
    pdf, xlsx = tmp_path / "out.pdf", tmp_path / "out.xlsx"
    done = CliRunner().invoke(insight_cli.insight, ["report", "--month", "2026-11", "--pdf", str(pdf),
                                                    "--xlsx", str(xlsx)])
    assert done.exit_code == 0, done.output
    assert pdf.read_bytes() == b"pdf bytes" and xlsx.read_bytes() == b"xlsx bytes"
    assert asked[-1] == ("assessment_files", {"month": "2026-11", "formats": ["pdf", "xlsx"]})
    shown = CliRunner().invoke(insight_cli.insight, ["assessment", "--month", "2026-11"])
    assert shown.exit_code == 0, shown.output
    assert "BELOW (real)" in shown.output and "not ranked: too few cases" in shown.output


def test_the_interval_is_scipys_exact_binomial_interval():
    from scipy.stats import binomtest

    from services.insight.domain.assessment import clopper_pearson

    for events, n in ((0, 8), (8, 8), (3, 8), (450, 500)):
        exact = binomtest(events, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(events, n, 0.95) == pytest.approx((exact.low, exact.high), abs=1e-9)


def test_the_months_proactive_cases_are_listed_with_their_unit_and_outcome_in_the_report_and_its_files():
    import io

    from openpyxl import load_workbook

    from services.insight import report_files

    rows = batch("A", "easy", 20, 18)
    proactive = {"category": "water", "district": "李沧区", "request_type": "proactive", "channel": "proactive"}
    rows.append(dict(proactive, number="QD-P1", department_code="WATER", title="主动治理：李沧区供水诉求激增",
                     outcome={"signed_for": True, "replied": True, "approved": True, "closed": True}))
    rows.append(dict(proactive, number="QD-P2", department_code="A", title="主动治理：新出现的问题「飞线充电」",
                     outcome={"signed_for": True, "signed_late": True}))
    report = monthly("2026-11", rows, [], AssessmentSettings(min_cases=1))
    assert [(c["number"], c["unit"], c["stage"], c["late"]) for c in report["proactive"]] == [
        ("QD-P2", "A", "signed_for", True), ("QD-P1", "WATER", "closed", False)]
    assert units_of(report)["WATER"]["n_cases"] == 1  # a case like any: it counts where it has events
    report["names"] = {"WATER": "市水务集团"}
    book = load_workbook(io.BytesIO(report_files.xlsx(report)))
    sheet = [[cell for cell in row] for row in book["主动治理"].iter_rows(values_only=True)]
    assert "2 件" in sheet[0][0]
    listed = {row[0]: row for row in sheet[2:]}
    assert listed["QD-P1"][1] == "市水务集团" and listed["QD-P1"][6] == "已办结（审核通过）"
    assert listed["QD-P2"][6] == "办理中" and listed["QD-P2"][7] == "是"
    assert report_files.pdf(report).startswith(b"%PDF")
    assert monthly("2026-11", batch("A", "easy", 5, 5), [], AssessmentSettings())["proactive"] == []


def test_between_two_units_of_very_different_case_mix_the_adjusted_score_keeps_the_real_difference():
    """HARD takes mostly hard cases and does better than the city on each category; EASY takes
    mostly easy ones and does worse on each. Raw, EASY looks better; adjusted, HARD is."""
    rows = (batch("HARD", "hard", 300, 180) + batch("HARD", "easy", 30, 30)        # 60%, 100%
            + batch("EASY", "hard", 30, 9) + batch("EASY", "easy", 300, 255)      # 30%, 85%
            + batch("CITY", "hard", 300, 135) + batch("CITY", "easy", 300, 276))  # 45%, 92%
    units = units_of(assess(rows, AssessmentSettings(weights=SOLVED_ONLY, min_cases=20)))
    hard, easy = units["HARD"], units["EASY"]
    assert easy["raw_score"] - hard["raw_score"] >= 15 and easy["raw_rank"] < hard["raw_rank"]
    assert hard["adjusted_interval"][0] > easy["adjusted_interval"][1]  # apart, beyond noise
    assert hard["rank"] == 1 and easy["rank"] == 3
    assert hard["verdict"] == "above" and easy["verdict"] == "below"


def test_on_a_generated_month_housings_case_mix_is_removed_and_hrss_planted_gap_kept():
    """The generated history (``hotline insight load-history``): HOUSING takes the hardest
    categories and WATER the easiest, both doing as the city does; HRSS is planted 15 points
    worse on every category. On the report's own rows: raw, HOUSING trails WATER far behind;
    adjusted, the two are level and as the city, and HRSS alone is really below."""
    import datetime as dt

    from hotline.insight_history import generate
    from services.insight.bootstrap import assessment_settings
    from services.insight.report_files import summary_rows
    from shared.platform.config import load_config

    records, _ = generate(weeks=6, seed=8, daily_volume=400, now=dt.datetime(2026, 12, 3, tzinfo=dt.UTC))
    november = [r for r in records if r["received_at"].startswith("2026-11") and r.get("outcome")]
    report = monthly("2026-11", november, [], assessment_settings(load_config()))
    units = units_of(report)
    housing, water, hrss = units["HOUSING"], units["WATER"], units["HRSS"]
    assert water["raw_score"] - housing["raw_score"] >= 10 and housing["raw_rank"] > water["raw_rank"] + 5
    assert abs(housing["adjusted_score"] - water["adjusted_score"]) < 2
    assert housing["adjusted_interval"][0] < water["adjusted_score"] < housing["adjusted_interval"][1]
    assert housing["verdict"] == water["verdict"] == "as_city" and housing["rank"] < housing["raw_rank"]
    assert hrss["verdict"] == "below" and hrss["rates"]["solved"]["verdict"] == "worse"
    assert hrss["rank"] == max(u["rank"] for u in units.values() if u["group"] == "city_bureaus" and u["rank"])
    # the report's table shows both scores, the interval and both ranks
    row = next(r for r in summary_rows(report) if r[2] == "HOUSING")
    assert row[4:9] == [housing["raw_score"], housing["raw_rank"], housing["adjusted_score"],
                        f"{housing['adjusted_interval'][0]:.1f}–{housing['adjusted_interval'][1]:.1f}",
                        housing["rank"]]
