"""The types insight's figures are made of (plain data, shaped for JSON).

A *record* is one request of the read model: a mapping with ``received_at``
(an aware datetime), ``category``, ``district``, ``channel``, ``number``,
``title``, ``terms`` and, when known, ``department_code``,
``handling_seconds`` and ``outcome``.
"""
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

Record = Mapping[str, Any]               # one request of the read model
Report = dict[str, Any]                  # a figure, shaped for JSON
Counts = npt.NDArray[np.float64]         # counts or rates, by day or hour
Cell = tuple[str, str]                   # (category, district)
Scorecards = dict[str, dict[str, Any]]   # department -> its rates (三率)
FollowupScorecards = Callable[[str, str], Any]  # (first day, last day) -> followup's reply
