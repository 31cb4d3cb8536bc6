"""The assessment's refusal rate (回退率) and closures that held (防反弹) on a lagged cohort:
their direction in the score, the cohort's month, the window, and what insight learns."""
import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from services.insight.adapters.repository import InsightRepository
from services.insight.domain.assessment import (
    AssessmentSettings,
    HeldCohort,
    assess,
    cases_behind,
    check_weights,
    held,
    held_cohort,
)
from services.insight.handlers import learning
from services.insight.handlers.assessment import monthly_report
from services.insight.report_files import method_lines, xlsx
from shared.contract.rebounds import ReboundTerms
from shared.platform import memory_store

ZONE = ZoneInfo("Asia/Shanghai")
DAYS_30 = ReboundTerms()


def at(*args):
    return dt.datetime(*args, tzinfo=ZONE)


def units_of(report):
    return {u["unit"]: u for g in report["groups"] for u in g["units"]}


def dispatched(number, unit, before=(), refused=(), category="easy"):
    return {"number": number, "department_code": unit, "category": category, "district": "市南区",
            "request_type": "complaint", "dispatched_to": [*before, unit], "refused_by": list(refused),
            "outcome": {}}


def closure(number, unit, closed_at, rebound_at=None, outcome="resolved", category="easy"):
    found = {"closed_at": closed_at, "closed_as": outcome, "closed_by": unit}
    if rebound_at is not None:
        found["rebounds"] = [{"number": f"{number}-R", "at": rebound_at}]
    return {"number": number, "department_code": unit, "category": category, "district": "市南区",
            "request_type": "complaint", "outcome": found}


# -- 回退率: refusals / dispatches, lower is better ------------------------------------------

def test_the_refusal_rate_counts_every_unit_a_case_was_dispatched_to_against_its_refusals():
    rows = [dispatched(f"Q-{i}", "GOOD", before=["BAD"], refused=["BAD"]) for i in range(4)]
    rows += [dispatched(f"P-{i}", "BAD") for i in range(4)]
    units = units_of(assess(rows, AssessmentSettings(weights={"refused": 1.0}, min_cases=1)))
    bad, good = units["BAD"], units["GOOD"]
    assert (bad["rates"]["refused"]["events"], bad["rates"]["refused"]["n"]) == (4, 8)
    assert (good["rates"]["refused"]["events"], good["rates"]["refused"]["n"]) == (0, 4)
    # lower is better: refusing half scores 50, refusing none 100, and ranks first
    assert bad["raw_score"] == pytest.approx(50.0) and good["raw_score"] == pytest.approx(100.0)
    assert good["raw_rank"] == 1 and bad["raw_rank"] == 2
    assert bad["n_cases"] == 8  # the four it refused are cases it was held to
    behind = cases_behind(rows, "BAD", "refused")
    assert behind["rates"]["refused"]["events"] == [f"Q-{i}" for i in range(4)]


def test_a_case_recorded_before_dispatches_were_learnt_counts_in_no_refusal_rate():
    row = dispatched("Q-1", "A")
    del row["dispatched_to"], row["refused_by"]
    assert "refused" not in units_of(assess([row], AssessmentSettings(min_cases=1)))["A"]["rates"]


def test_the_new_rates_have_weights_of_their_own():
    assert check_weights({"refused": "0.2", "held": 0.3}) == {"refused": 0.2, "held": 0.3}
    defaults = AssessmentSettings().weights
    assert defaults["refused"] > 0 and defaults["held"] > 0


# -- closures that held: the cohort and the window --------------------------------------------

def test_the_cohort_is_the_month_before_up_to_a_31_day_window_then_further_back():
    assert held_cohort("2026-11", dt.timedelta(days=30)) == "2026-10"
    assert held_cohort("2026-01", dt.timedelta(days=14)) == "2025-12"
    assert held_cohort("2026-11", dt.timedelta(days=31)) == "2026-10"
    assert held_cohort("2026-11", dt.timedelta(days=45)) == "2026-09"
    assert held_cohort("2026-03", dt.timedelta(days=90)) == "2025-12"


def test_a_closure_held_when_nothing_came_back_within_its_window():
    closed = at(2026, 10, 10, 9)
    as_of = at(2026, 12, 1)
    assert held({"closed_at": closed, "closed_as": "resolved"}, DAYS_30, as_of) is True
    came_back = {"closed_at": closed, "closed_as": "resolved", "rebounds": [{"at": at(2026, 11, 8)}]}
    assert held(came_back, DAYS_30, as_of) is False
    too_late = {"closed_at": closed, "closed_as": "resolved", "rebounds": [{"at": at(2026, 11, 10)}]}
    assert held(too_late, DAYS_30, as_of) is True
    # a window still open is not judged, rebounded or not
    assert held(came_back, DAYS_30, at(2026, 11, 9)) is None
    assert held({"closed_at": closed, "closed_as": "resolved"}, DAYS_30, at(2026, 11, 9)) is None
    # an outcome the city does not hold to account, or 不合理诉求, is never judged
    assert held({"closed_at": closed, "closed_as": "partly_resolved"}, DAYS_30, as_of) is None
    assert held({"closed_at": closed, "closed_as": "unreasonable"}, DAYS_30, as_of) is None
    wider = ReboundTerms(window=dt.timedelta(days=10))
    assert held(too_late, wider, as_of) is True and held(came_back, wider, as_of) is True


def test_the_held_rate_scores_the_cohort_higher_is_better_and_names_it():
    month = [dispatched(f"M-{u}-{i}", u) for u in ("A", "B") for i in range(5)]
    cohort = [closure(f"A-{i}", "A", at(2026, 10, 5 + i), at(2026, 10, 20) if i < 2 else None) for i in range(10)]
    cohort += [closure(f"B-{i}", "B", at(2026, 10, 5 + i)) for i in range(10)]
    # closed on the last day of October: its window passes on 30 November, before the report's date
    cohort.append(closure("B-last", "B", at(2026, 10, 31, 18)))
    report = assess(month, AssessmentSettings(weights={"held": 1.0}, min_cases=1),
                    HeldCohort("2026-10", cohort, at(2026, 12, 1), DAYS_30))
    units = units_of(report)
    a, b = units["A"]["rates"]["held"], units["B"]["rates"]["held"]
    assert (a["events"], a["n"]) == (8, 10) and (b["events"], b["n"]) == (11, 11)
    assert units["B"]["raw_score"] == pytest.approx(100.0) and units["A"]["raw_score"] == pytest.approx(80.0)
    assert units["A"]["n_cases"] == 5  # the cohort's closures are not this month's cases
    assert report["cases"] == 10
    assert report["held_cohort"] == {"month": "2026-10", "window_days": 30, "as_of": at(2026, 12, 1).isoformat(),
                                     "outcomes": ["resolved"], "judged": 21, "not_judged": 0}
    assert any("2026-10 月办结" in line for line in method_lines(report))


def test_in_a_short_month_the_cohorts_last_days_are_left_out_not_judged():
    """February's report judges January's closures on 1 March: a 30-day window of one
    closed on 31 January has not passed. It is left out -- counted, not judged -- even when a
    request came back, so the rate is not made of the rebounded ones."""
    cohort = [closure("J-1", "A", at(2027, 1, 10)), closure("J-2", "A", at(2027, 1, 31, 9), at(2027, 2, 3)),
              closure("J-3", "A", at(2027, 1, 30, 12))]
    report = assess([dispatched("F-1", "A")], AssessmentSettings(weights={"held": 1.0}, min_cases=1),
                    HeldCohort("2027-01", cohort, at(2027, 3, 1), DAYS_30))
    assert units_of(report)["A"]["rates"]["held"]["n"] == 1
    assert (report["held_cohort"]["judged"], report["held_cohort"]["not_judged"]) == (1, 2)


# -- learnt from the events, read from insight's own store ---------------------------------------

def deps_at(now, terms=DAYS_30):
    repo = InsightRepository(memory_store.client()[f"held_{id(object())}"], {})
    repo.ensure_indexes()
    return SimpleNamespace(requests=repo, settings=SimpleNamespace(zone=ZONE), now=lambda: now,
                           assessment=AssessmentSettings(weights={"held": 1.0, "refused": 1.0}, min_cases=1),
                           rebounds=terms, unit_name=lambda code: code)


def arrive(deps, number, received_at, unit):
    learning.ticket_created(deps, {"number": number, "received_at": received_at, "category": "easy",
                                   "district": "市南区", "channel": "phone", "title": "路灯不亮", "description": ""})
    learning.ticket_assigned(deps, {"number": number, "department_code": unit, "attempt": 1})


def close(deps, number, unit, closed_at):
    learning.case_closed(deps, {"number": number, "department_code": unit, "closed_at": closed_at,
                                "resolved": True, "satisfaction": "satisfied", "outcome": "resolved"})


def test_the_report_takes_the_held_rate_of_the_month_befores_closures_from_the_events():
    deps = deps_at(at(2026, 12, 1, 9))
    for i in range(3):
        arrive(deps, f"OCT-{i}", at(2026, 10, 2), "A")
        close(deps, f"OCT-{i}", "A", at(2026, 10, 12))
    event = {"number": "NOV-R", "rebound_of": "OCT-0", "received_at": at(2026, 10, 20),
             "closed_at": at(2026, 10, 12)}
    learning.ticket_rebounded(deps, event)
    learning.ticket_rebounded(deps, event)  # a redelivery counts once
    arrive(deps, "NOV-R", at(2026, 11, 3), "B")
    learning.ticket_assigned(deps, {"number": "NOV-R", "department_code": "A", "attempt": 2})
    learning.case_refused(deps, {"number": "NOV-R", "department_code": "B", "attempt": 1})
    # closed in November: November's closures are December's cohort, not this report's
    arrive(deps, "NOV-1", at(2026, 11, 4), "A")
    close(deps, "NOV-1", "A", at(2026, 11, 5))

    report = monthly_report(deps, "2026-11")
    units = units_of(report)
    assert report["held_cohort"]["month"] == "2026-10"
    assert (units["A"]["rates"]["held"]["events"], units["A"]["rates"]["held"]["n"]) == (2, 3)
    assert units["B"]["rates"]["refused"]["events"] == 1 and units["A"]["rates"]["refused"]["events"] == 0
    assert deps.requests.get("OCT-0")["outcome"]["rebounds"] == [{"number": "NOV-R", "at": at(2026, 10, 20)}]

    book = xlsx(report)
    from io import BytesIO

    from openpyxl import load_workbook
    sheet = load_workbook(BytesIO(book))["分项指标"]
    labels = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "办结未反弹率（2026-10 办结批次）" in labels and "回退率" in labels
