"""Next week's arrivals, hour by hour, from past weeks.

A week has 168 hours (Monday 00:00 to Sunday 23:00, local time). The
forecast multiplies

* the week's total, from a least-squares linear trend over the weekly totals
  of the last ``trend_weeks`` full weeks (flat with fewer than three), by
* the hour-of-week profile: each hour's share of the weekly total, pooled
  over the last ``profile_weeks`` weeks (so one odd week does not dominate).

The backtest replays this on past weeks -- forecast week j from the weeks
before it only -- and reports WAPE (sum |error| / sum actual, the
volume-weighted MAPE), MAPE over the hours with at least ``mape_floor``
arrivals (night hours with one or two calls would make plain MAPE
meaningless), and the same WAPE of the seasonal-naive forecast (last
week's same hour) as the benchmark to beat.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Counts = npt.NDArray[np.float64]

HOURS_PER_WEEK = 168


def forecast_week(weeks: npt.ArrayLike, trend_weeks: int = 6, profile_weeks: int = 4,
                  ahead: int = 0) -> Counts:
    """``weeks``: array (W, 168) of past full weeks, oldest first -> 168 floats
    for the week after them (``ahead`` weeks later still)."""
    weeks = np.asarray(weeks, dtype=float)
    if weeks.ndim != 2 or weeks.shape[1] != HOURS_PER_WEEK or len(weeks) == 0:
        raise ValueError("need at least one full week of hourly arrivals (W x 168)")
    recent = weeks[-profile_weeks:]
    total = recent.sum()
    profile = recent.sum(axis=0) / total if total > 0 else np.full(HOURS_PER_WEEK, 1 / 168)
    return profile * next_total(weeks.sum(axis=1), trend_weeks, ahead)


def next_total(totals: npt.ArrayLike, trend_weeks: int = 6, ahead: int = 0) -> float:
    """The next weekly total from a linear trend over recent totals."""
    totals = np.asarray(totals, dtype=float)[-trend_weeks:]
    if len(totals) < 3:
        return float(totals.mean())
    x = np.arange(len(totals))
    slope, intercept = np.polyfit(x, totals, 1)
    return float(max(intercept + slope * (len(totals) + ahead), 0.0))


def errors(forecast: npt.ArrayLike, actual: npt.ArrayLike, mape_floor: float = 5) -> dict[str, Any]:
    forecast, actual = np.asarray(forecast, float), np.asarray(actual, float)
    absolute = np.abs(forecast - actual)
    busy = actual >= mape_floor
    return {
        "wape": float(absolute.sum() / actual.sum()) if actual.sum() else None,
        "mape": float(np.mean(absolute[busy] / actual[busy])) if busy.any() else None,
        "hours_in_mape": int(busy.sum()),
    }


def backtest(weeks: npt.ArrayLike, test_weeks: int = 3, min_history: int = 2,
             **options: int) -> list[dict[str, Any]]:
    """Forecast each of the last ``test_weeks`` weeks from the weeks before it."""
    weeks = np.asarray(weeks, dtype=float)
    results: list[dict[str, Any]] = []
    for j in range(max(min_history, len(weeks) - test_weeks), len(weeks)):
        predicted = forecast_week(weeks[:j], **options)
        result = {"week_index": j, **errors(predicted, weeks[j]),
                  "actual_total": float(weeks[j].sum()), "forecast_total": float(predicted.sum())}
        result["naive_wape"] = errors(weeks[j - 1], weeks[j])["wape"]
        results.append(result)
    return results
