"""Spikes: a category in a district rising well above its own recent baseline.

For every (category, district) cell and every day in the window asked for,
the day's count is tested against that cell's trailing baseline:

* the baseline is the ``baseline_days`` days ending ``guard_days`` before the
  day tested (a guard band, as in CDC's EARS C2, so the first days of an
  outbreak do not raise the baseline of the days after);
* the expected count is the baseline mean, scaled by the day of week's
  city-wide volume (weekends are quieter everywhere);
* the tail probability ``P(X >= observed)`` is Poisson, or negative binomial
  when the counts are overdispersed (variance above mean), with one
  dispersion estimated from all cells' history before the window;
* the p-values of all cells and days are corrected together with
  Benjamini-Hochberg: a day is flagged when its false discovery rate is
  below ``fdr`` (default 1%) and at least ``min_count`` requests arrived.

Flagged days of one cell that touch (one quiet day allowed between) form one
spike. Its start ("since") is then traced back over the days just before
that were already elevated at the nominal level ``onset_p`` (detection is
controlled for false discoveries; dating an event known to exist need not
be). A spike is reported with when it started, how many requests came
against how many were expected, and the ratio.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special  # not scipy.stats: it costs the service 50 MB more

from services.insight.domain.figures import Cell, Counts, Spike

Hit = tuple[int, int, float, float, "float | None"]  # (day index, observed, expected, p, q)


@dataclass(frozen=True)
class SpikeSettings:
    baseline_days: int = 28
    guard_days: int = 2
    fdr: float = 0.01
    min_count: int = 3
    onset_p: float = 0.01


def tail_probability(observed: float, expected: float, dispersion: float = 0.0) -> float:
    """``P(X >= observed)``: Poisson, or negative binomial with variance
    ``mean + dispersion * mean^2`` when the counts are overdispersed."""
    if observed <= 0:
        return 1.0
    if dispersion > 1e-3:
        size = 1.0 / dispersion
        p = size / (size + expected)
        # the negative binomial's survival function, as scipy.stats.nbinom.sf computes it
        return float(special.betainc(observed, size, 1.0 - p))
    return float(special.pdtrc(observed - 1, expected))  # P(X > observed - 1)


def chi2_sf_1df(statistic: float) -> float:
    """``P(chi-square(1) >= statistic)``: the p-value of a G^2 on a 2x2 table."""
    return float(special.chdtrc(1, statistic))


def pooled_dispersion(histories: Iterable[npt.ArrayLike]) -> float:
    """One overdispersion for all cells, by the method of moments:
    ``sum(variance - mean) / sum(mean^2)`` over the cells' past counts (0 when
    they vary no more than Poisson). One cell's few small counts are too
    noisy to estimate its own."""
    excess, scale = 0.0, 0.0
    for counts in histories:
        counts = np.asarray(counts, dtype=float)
        if len(counts) > 1 and counts.mean() > 0:
            excess += counts.var(ddof=1) - counts.mean()
            scale += counts.mean() ** 2
    return max(0.0, excess / scale) if scale else 0.0


def benjamini_hochberg(p_values: npt.ArrayLike) -> Counts:
    """q-values (BH adjusted p-values), in input order."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(ranked, 1.0)
    return q


def weekday_factors(totals: npt.ArrayLike, days: Sequence[dt.date]) -> Counts:
    """City-wide volume of each weekday relative to the mean day."""
    totals = np.asarray(totals, dtype=float)
    weekdays = np.array([d.weekday() for d in days])
    overall = totals.mean() if totals.size and totals.mean() > 0 else 1.0
    factors = np.ones(7)
    for wd in range(7):
        mask = weekdays == wd
        if mask.any():
            factors[wd] = max(totals[mask].mean() / overall, 0.1)
    return factors


def _first_tested(days: list[dt.date], window_start: dt.date, settings: SpikeSettings) -> int:
    first = days.index(window_start) if window_start in days else 0
    return max(first, settings.guard_days + settings.baseline_days)


def detect(series: Mapping[Cell, Sequence[int]], days: Iterable[dt.date], window_start: dt.date,
           settings: SpikeSettings = SpikeSettings()) -> list[Spike]:
    """Spikes in the days from ``window_start`` on.

    ``series``: ``{(category, district): daily counts aligned with days}``;
    ``days``: consecutive dates, with the baseline before ``window_start``
    (days without a full baseline are not tested). Returns a list of spike
    dicts, largest excess first.
    """
    days = list(days)
    first = _first_tested(days, window_start, settings)
    lag = settings.guard_days + settings.baseline_days
    totals = np.sum([np.asarray(c, dtype=float) for c in series.values()], axis=0) \
        if series else np.zeros(len(days))
    factors = weekday_factors(totals[:first], days[:first])
    dispersion = pooled_dispersion(np.asarray(c[:first], dtype=float) for c in series.values())
    tests: list[tuple[Cell, int, int, float, float]] = []  # (cell, day index, observed, expected, p)
    for cell, daily in series.items():
        counts = np.asarray(daily, dtype=float)
        for t in range(first, len(days)):
            start, end = t - lag, t - settings.guard_days
            baseline = counts[start:end]
            scale = factors[days[t].weekday()] / np.mean([factors[d.weekday()] for d in days[start:end]])
            expected = max(baseline.mean(), 0.5 / len(baseline)) * scale
            observed = int(counts[t])
            p = tail_probability(observed, expected, dispersion) if observed > expected else 1.0
            tests.append((cell, t, observed, expected, p))
    q_values = benjamini_hochberg([test[4] for test in tests])
    flagged: dict[Cell, list[Hit]] = {}
    for (cell, t, observed, expected, p), q in zip(tests, q_values):
        if q < settings.fdr and observed >= settings.min_count:
            flagged.setdefault(cell, []).append((t, observed, expected, p, q))
    by_day = {(cell, t): (observed, expected, p) for cell, t, observed, expected, p in tests}
    spikes: list[Spike] = []
    for cell, hits in flagged.items():
        for run in _runs(hits):
            spikes.append(_spike(cell, _onset(cell, run, by_day, settings), run, days))
    return sorted(spikes, key=lambda s: s["observed"] - s["expected"], reverse=True)


def dispersion_of(series: Mapping[Cell, Sequence[int]], days: Iterable[dt.date], window_start: dt.date,
                  settings: SpikeSettings = SpikeSettings()) -> float:
    """The dispersion :func:`detect` uses, for the report's method section."""
    first = _first_tested(list(days), window_start, settings)
    return pooled_dispersion(np.asarray(c[:first], dtype=float) for c in series.values())


def _runs(hits: list[Hit], max_gap: int = 1) -> Iterator[list[Hit]]:
    run = [hits[0]]
    for hit in hits[1:]:
        if hit[0] - run[-1][0] <= max_gap + 1:
            run.append(hit)
        else:
            yield run
            run = [hit]
    yield run


def _onset(cell: Cell, run: list[Hit], by_day: Mapping[tuple[Cell, int], tuple[int, float, float]],
           settings: SpikeSettings) -> list[Hit]:
    """Days just before a detected run that were already elevated (nominal p
    below ``onset_p``): when the spike began, once it is known there is one."""
    onset: list[Hit] = []
    t = run[0][0] - 1
    while (cell, t) in by_day and by_day[(cell, t)][2] < settings.onset_p:
        observed, expected, p = by_day[(cell, t)]
        onset.insert(0, (t, observed, expected, p, None))
        t -= 1
    return onset


def _spike(cell: Cell, onset: list[Hit], run: list[Hit], days: Sequence[dt.date]) -> Spike:
    span = onset + run
    observed = sum(h[1] for h in span)
    expected = sum(h[2] for h in span)
    return {
        "category": cell[0], "district": cell[1],
        "since": days[span[0][0]].isoformat(), "until": days[run[-1][0]].isoformat(),
        "days_flagged": [days[h[0]].isoformat() for h in run],
        "observed": int(observed), "expected": round(float(expected), 2),
        "ratio": round(float(observed / expected), 1) if expected else None,
        "peak_day": days[max(span, key=lambda h: h[1])[0]].isoformat(),
        "peak_count": int(max(h[1] for h in span)),
        "p_value": float(min(h[3] for h in run)), "q_value": float(min(h[4] or 0.0 for h in run)),
    }
