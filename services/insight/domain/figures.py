"""The types insight's figures are made of (plain data, shaped for JSON).

A *record* is one request of the read model: a mapping with ``received_at``
(an aware datetime), ``category``, ``district``, ``channel``, ``number``,
``title``, ``terms`` and, when known, ``department_code``,
``handling_seconds`` and ``outcome``.
"""
from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict

import numpy as np
import numpy.typing as npt

Record = Mapping[str, Any]               # one request of the read model
Report = dict[str, Any]                  # a figure, shaped for JSON
Counts = npt.NDArray[np.float64]         # counts or rates, by day or hour
Cell = tuple[str, str]                   # (category, district)
Scorecards = dict[str, dict[str, Any]]   # department -> its rates (三率)
FollowupScorecards = Callable[[str, str], Any]  # (first day, last day) -> followup's reply


class Spike(TypedDict):
    """A category rising in a district above its own baseline (``spikes.detect``)."""

    category: str
    district: str
    since: str                  # the day it began (ISO date), traced back from the first flagged
    until: str
    days_flagged: list[str]
    observed: int               # requests from ``since`` to ``until``
    expected: float
    ratio: float | None
    peak_day: str
    peak_count: int
    p_value: float
    q_value: float              # Benjamini-Hochberg, over every cell and day tested
    daily: NotRequired[list[int]]  # the cell's counts in the report's window (``hotspots.build``)
    key: NotRequired[str]          # the finding's key: one proactive case (主动治理) per key
    numbers: NotRequired[list[str]]  # the cell's tickets from ``since`` to ``until`` (at most 50)


class StaffingHour(TypedDict):
    """One hour of the week planned (``staffing.plan``)."""

    weekday: str
    hour: int
    start: str                  # local ISO time
    forecast: dict[str, float]  # calls by channel
    calls: float                # of the staffed channels
    erlangs: float
    agents: int                 # on the phones (Erlang C)
    service_level: float
    asa_seconds: float
    operators: int              # to roster, with shrinkage
