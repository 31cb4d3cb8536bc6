"""Scorecard arithmetic from ledger counts."""
from services.followup.scorecard import as_csv, as_table, scorecard


def row(department, action, count=1, **outcome):
    return {"department": department, "action": action, "count": count,
            "on_time": outcome.get("on_time"), "reached": outcome.get("reached"),
            "resolved": outcome.get("resolved"), "satisfaction": outcome.get("satisfaction"),
            "working_days": outcome.get("working_days", 0)}


ROWS = [
    row("WATER", "assigned", 3), row("WATER", "reopened", 1),
    row("WATER", "signed_for", 3, on_time=True), row("WATER", "signed_for", 1, on_time=False),
    row("WATER", "replied", 4, on_time=True), row("WATER", "replied", 1, on_time=False),
    row("WATER", "rejected", 2), row("WATER", "approved", 2, working_days=5.0),
    row("WATER", "callback", 1, reached=True, resolved=False, satisfaction="dissatisfied"),
    row("WATER", "callback", 1, reached=True, resolved=True, satisfaction="basically_satisfied"),
    row("WATER", "callback", 2, reached=False),
    row("WATER", "closed", 1),
    row("HRSS", "assigned", 1), row("HRSS", "refused", 1),
]


def test_rates_per_department_and_city():
    card = scorecard(ROWS, {"from": "2026-11-01", "to": "2026-11-30"})
    water = next(d for d in card["departments"] if d["department"] == "WATER")
    assert water["response_rate"] == 0.75
    assert water["on_time_reply_rate"] == 0.8
    assert water["callbacks_reached"] == 2
    assert water["resolution_rate"] == 0.5 and water["satisfaction_rate"] == 0.5
    assert water["avg_handling_working_days"] == 2.5
    assert (water["rejected_replies"], water["refusals"], water["closed"]) == (2, 0, 1)
    hrss = next(d for d in card["departments"] if d["department"] == "HRSS")
    assert hrss["refusals"] == 1 and hrss["response_rate"] == 0.0
    assert hrss["resolution_rate"] is None  # nothing to count is not 0%
    assert card["city"]["dispatched"] == 5 and card["city"]["response_rate"] == 0.6


def test_outputs():
    card = scorecard(ROWS, {"from": "2026-11-01", "to": "2026-11-30"})
    lines = as_csv(card).splitlines()
    assert lines[0].startswith("department,dispatched,signed_for,response_rate")
    assert lines[-1].startswith("CITY,5,4,0.6,")
    table = as_table(card)
    assert "75.0%" in table and "CITY" in table
