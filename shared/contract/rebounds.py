"""What a rebound (反弹) is, as intake finds it and followup counts it: one reading of ``REBOUNDS``.

A request that comes back within ``window_days`` after a case closed with one of
``outcomes`` is a rebound of it (intake, ``services/intake/domain/rebounds.py``);
followup counts it against the unit that closed the case, and holds each closure
to account once its window has passed (the scorecard's ``held_rate``). Both read
the same terms from here, so they cannot disagree about the window.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The outcomes a closure may have (``case_closed.outcome``); ``unreached``: closed with no
# outcome, the citizen not reached after the callback's tries. ``unreasonable`` (不合理诉求)
# is never held to account: the request itself was ruled out.
OUTCOMES = ("resolved", "partly_resolved", "untrue", "unreached")
UNREACHED = "unreached"
DEFAULT_OUTCOMES = ("resolved",)
DEFAULT_WINDOW_DAYS = 30.0


@dataclass(frozen=True)
class ReboundTerms:
    window: dt.timedelta = dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ReboundTerms:
        """From the ``REBOUNDS`` section of ``config``; ``ValueError`` for a window that is no
        positive number of days, or an outcome not in ``OUTCOMES`` (a misspelt one would count
        nothing, quietly)."""
        section = (config or {}).get("REBOUNDS") or {}
        try:
            days = float(section.get("window_days", DEFAULT_WINDOW_DAYS))
        except (TypeError, ValueError):
            days = -1.0
        if not days > 0:
            raise ValueError("REBOUNDS.window_days: a number of days above 0")
        outcomes = tuple(str(o) for o in section.get("outcomes") or DEFAULT_OUTCOMES)
        unknown = [o for o in outcomes if o not in OUTCOMES]
        if unknown:
            raise ValueError(f"REBOUNDS.outcomes: unknown {', '.join(unknown)}; one of {', '.join(OUTCOMES)}")
        return cls(window=dt.timedelta(days=days), outcomes=outcomes)

    @property
    def days(self) -> int:
        return round(self.window.total_seconds() / 86400)

    def counts(self, outcome: str | None) -> bool:
        """Whether a closure with ``outcome`` (None: unreached) is held to account."""
        return (outcome or UNREACHED) in self.outcomes

    def outcome_values(self) -> list[str | None]:
        """The ``outcome`` values stored for the counted closures (None for ``unreached``)."""
        return [None if o == UNREACHED else o for o in self.outcomes]
