"""Spike detection: finds what rises above its own baseline, not noise."""
import datetime as dt

import numpy as np
import pytest

from services.insight.domain import spikes

DAYS = [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(56)]
WINDOW = DAYS[42]  # the last 14 days are tested


def flat_noise(seed, cells=100, rate=2.0):
    rng = np.random.default_rng(seed)
    return {(f"cat{i % 10}", f"district{i // 10}"): rng.poisson(rate, len(DAYS)).tolist()
            for i in range(cells)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_false_alarm_on_flat_poisson_noise(seed):
    # 100 cells x 14 days = 1,400 tests: without multiple-testing control a
    # 1% test would raise about 14 false alarms here.
    assert spikes.detect(flat_noise(seed), DAYS, WINDOW) == []


def test_finds_a_planted_spike_with_its_start_and_size():
    series = flat_noise(7)
    cell = ("cat3", "district4")
    for day in (50, 51, 52):
        series[cell][day] += 12
    found = spikes.detect(series, DAYS, WINDOW)
    assert [(s["category"], s["district"]) for s in found] == [cell]
    spike = found[0]
    assert spike["since"] == DAYS[50].isoformat() and spike["until"] == DAYS[52].isoformat()
    assert spike["observed"] == sum(series[cell][50:53])
    assert spike["ratio"] > 3 and spike["q_value"] < 0.01


def test_a_small_rise_in_a_busy_cell_is_not_a_spike_but_a_large_one_is():
    rng = np.random.default_rng(11)
    busy = rng.poisson(40, len(DAYS)).tolist()
    busy[55] = 52  # +30%: within what a Poisson(40) day does now and then
    assert spikes.detect({("heating", "市北区"): busy}, DAYS, WINDOW) == []
    busy[55] = 80
    assert spikes.detect({("heating", "市北区"): busy}, DAYS, WINDOW)[0]["since"] == DAYS[55].isoformat()


def test_weekday_rhythm_is_expected_not_flagged():
    rng = np.random.default_rng(5)
    rhythm = [1.3, 1.2, 1.2, 1.1, 1.0, 0.5, 0.4]
    series = {(f"cat{i}", "d"): [int(x) for x in rng.poisson([8 * rhythm[d.weekday()] for d in DAYS])]
              for i in range(20)}
    assert spikes.detect(series, DAYS, WINDOW) == []


def test_overdispersed_counts_make_a_count_less_surprising():
    rng = np.random.default_rng(2)
    poisson = [rng.poisson(5, 60) for _ in range(30)]
    gamma_poisson = [rng.poisson(rng.gamma(2.0, 2.5, 60)) for _ in range(30)]  # dispersion 0.5
    assert spikes.pooled_dispersion(poisson) < 0.05
    assert spikes.pooled_dispersion(gamma_poisson) == pytest.approx(0.5, abs=0.15)
    assert spikes.tail_probability(14, 5.0, 0.5) > 10 * spikes.tail_probability(14, 5.0, 0.0)


def test_benjamini_hochberg_matches_the_definition():
    # sorted p: 0.01, 0.03, 0.04, 0.5 -> p*m/rank: 0.04, 0.06, 0.0533, 0.5 -> running min from the top
    q = spikes.benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    assert q.tolist() == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def test_tails_agree_with_scipy_stats():
    # the service computes them from scipy.special (scipy.stats costs 50 MB of memory)
    from scipy import stats

    for observed, expected in [(0, 3.0), (1, 0.2), (5, 5.0), (14, 5.0), (40, 12.5), (3, 0.0)]:
        assert spikes.tail_probability(observed, expected) == pytest.approx(
            stats.poisson.sf(observed - 1, expected), rel=1e-9, abs=1e-300)
        for dispersion in (0.05, 0.5, 2.0):
            size = 1 / dispersion
            assert spikes.tail_probability(observed, expected, dispersion) == pytest.approx(
                stats.nbinom.sf(observed - 1, size, size / (size + expected)), rel=1e-9, abs=1e-300)
    for g2 in (0.0, 0.5, 3.84, 10.83, 60.0):
        assert spikes.chi2_sf_1df(g2) == pytest.approx(stats.chi2.sf(g2, 1), rel=1e-9, abs=1e-300)
