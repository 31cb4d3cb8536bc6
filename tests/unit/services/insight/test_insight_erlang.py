"""Erlang C against published figures, and against an independent formula.

Sources of the figures:

* Erlang B table, grade of service 1% (the traffic N lines carry with 1% of
  calls blocked), as printed in teletraffic handbooks (e.g. the ITU-D
  Teletraffic Engineering Handbook's Erlang B table): 5 lines 1.361 E,
  10 lines 4.461 E, 20 lines 12.031 E. Erlang C is built on Erlang B, so
  these pin the recurrence.
* The classic call-centre worked example of the Erlang C formula (360 calls
  per half hour, 4-minute calls, 55 agents, 15 s answer target; reproduced on
  call-centre planning sites): traffic 48 Erlangs, occupancy 87.3%,
  probability of waiting about 24%, average speed of answer about 8.2 s,
  service level about 85% within 15 s.
* M/M/c textbook closed forms: M/M/1 waits with probability rho; M/M/3 with
  A = 2 waits with probability 4/9.
"""
import math

import pytest
from scipy import stats

from services.insight.domain import erlang


@pytest.mark.parametrize("lines, traffic", [(5, 1.361), (10, 4.461), (20, 12.031)])
def test_erlang_b_matches_the_one_percent_table(lines, traffic):
    assert erlang.erlang_b(lines, traffic) == pytest.approx(0.01, abs=0.0002)


def test_the_classic_call_centre_example():
    calls_per_hour, aht, agents = 720, 240, 55
    traffic = erlang.traffic_intensity(calls_per_hour, aht)
    assert traffic == pytest.approx(48)
    assert traffic / agents == pytest.approx(0.873, abs=0.0005)
    assert erlang.erlang_c(agents, traffic) == pytest.approx(0.24, abs=0.005)
    assert erlang.average_speed_of_answer(agents, traffic, aht) == pytest.approx(8.2, abs=0.05)
    assert erlang.service_level(agents, traffic, aht, 15) == pytest.approx(0.85, abs=0.005)


def test_textbook_closed_forms():
    assert erlang.erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang.erlang_c(3, 2) == pytest.approx(4 / 9)


@pytest.mark.parametrize("agents, traffic", [(2, 1.3), (7, 5.5), (30, 25.0), (120, 110.0), (800, 780.0)])
def test_agrees_with_an_independent_poisson_formula(agents, traffic):
    # Erlang B = P(X = N) / P(X <= N) for X ~ Poisson(A); C from B.
    b = stats.poisson.pmf(agents, traffic) / stats.poisson.cdf(agents, traffic)
    c = agents * b / (agents - traffic * (1 - b))
    assert erlang.erlang_c(agents, traffic) == pytest.approx(c, rel=1e-9)


def test_agents_needed_is_the_fewest_meeting_the_target():
    agents, level, asa = erlang.agents_needed(720, 240, 0.8, 15)
    assert level >= 0.8
    assert erlang.service_level(agents - 1, 48, 240, 15) < 0.8
    assert agents == 55 and math.isfinite(asa)


def test_edges_and_shrinkage():
    assert erlang.agents_needed(0, 240) == (0, 1.0, 0.0)
    assert erlang.erlang_c(4, 4) == 1.0  # overloaded: everyone waits
    assert erlang.with_shrinkage(10, 0.3) == 15
    assert erlang.with_shrinkage(7, 0.3) == 10
    with pytest.raises(ValueError):
        erlang.agents_needed(100, 240, target_share=1.2)
