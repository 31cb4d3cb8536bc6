"""Erlang C: how many operators answer a share of calls within a target time.

The M/M/N queue (Poisson arrivals, exponential handling times, N operators,
callers wait and do not hang up) in the textbook formulation used for call
centres:

* offered traffic ``A = lambda * AHT`` in Erlangs;
* Erlang B by its numerically stable recurrence
  ``B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1))``;
* Erlang C, the probability a caller waits,
  ``C(N, A) = N B(N) / (N - A (1 - B(N)))`` for ``N > A``;
* service level ``SL(t) = 1 - C exp(-(N - A) t / AHT)``;
* average speed of answer ``ASA = C AHT / (N - A)``.

Pure Python; no factorials, so it stays exact for thousands of operators.
"""
from __future__ import annotations

import math


def erlang_b(agents: float, traffic: float) -> float:
    """Blocking probability of ``agents`` servers offered ``traffic`` Erlangs."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    b = 1.0
    for n in range(1, int(agents) + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(agents: float, traffic: float) -> float:
    """Probability that a call waits (1.0 when the operators cannot keep up)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1.0 - b))


def service_level(agents: float, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of calls answered within ``target_seconds``."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    wait = erlang_c(agents, traffic)
    return 1.0 - wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def average_speed_of_answer(agents: float, traffic: float, aht_seconds: float) -> float:
    """Mean wait in seconds over all calls (infinite when overloaded)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def traffic_intensity(calls_per_hour: float, aht_seconds: float) -> float:
    """Offered load in Erlangs."""
    return calls_per_hour * aht_seconds / 3600.0


def agents_needed(calls_per_hour: float, aht_seconds: float, target_share: float = 0.8,
                  target_seconds: float = 15.0) -> tuple[int, float, float]:
    """The fewest operators on the phones that meet the service level.

    Returns ``(agents, achieved service level, ASA seconds)``; no calls need
    no operators.
    """
    if not 0 < target_share < 1:
        raise ValueError("target_share must be between 0 and 1")
    if aht_seconds <= 0:
        raise ValueError("the average handling time must be positive")
    traffic = traffic_intensity(calls_per_hour, aht_seconds)
    if traffic <= 0:
        return 0, 1.0, 0.0
    agents = max(1, math.floor(traffic) + 1)
    while service_level(agents, traffic, aht_seconds, target_seconds) < target_share:
        agents += 1
    return (agents, service_level(agents, traffic, aht_seconds, target_seconds),
            average_speed_of_answer(agents, traffic, aht_seconds))


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Operators to roster so ``agents`` are on the phones after breaks,
    training, meetings and absence (``shrinkage`` is that share of paid time)."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9) if agents else 0
