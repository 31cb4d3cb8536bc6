"""The monthly "top problems" report (每月一题) and departments' scorecards.

A problem is a catalogue category (a cluster of requests the city already
names) and, inside it, the districts where it concentrates. The report lists
the month's largest problems and its fastest-growing ones -- growth against
the previous month tested with the same log-likelihood ratio as emerging
terms, so a rise from 2 to 6 requests does not outrank one from 200 to 300 --
each with the scorecard (三率) of the department that handles it.

Scorecards come from followup when it offers them; otherwise insight computes
them from the outcomes it learnt from followup's events (or the imported
history), over the cases followup has reported on: response rate (signed
for / cases), resolution rate (resolved / callbacks that reached the
citizen) and satisfaction rate (satisfied or basically satisfied / callbacks
with an answer).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from services.insight.domain.figures import Record, Report, Scorecards
from services.insight.domain.hotspots import UNCATEGORISED, UNTYPED, by_request_type, is_proactive
from services.insight.domain.requests import type_of
from services.insight.domain.spikes import chi2_sf_1df
from services.insight.domain.terms import log_likelihood_ratio


def local_scorecards(outcomes: Iterable[Record]) -> Scorecards:
    """``{department: scorecard}`` from ``[{department_code, outcome}]``."""
    cards: dict[str, Counter[str]] = {}
    for row in outcomes:
        code = row.get("department_code")
        if not code:
            continue
        card = cards.setdefault(code, Counter())
        card["dispatched"] += 1
        outcome = row.get("outcome") or {}
        if not outcome:
            continue  # nothing reported on this case yet: it counts in no rate
        card["reported"] += 1
        card["signed_for"] += bool(outcome.get("signed_for"))
        card["rejections"] += int(outcome.get("rejections") or 0)
        if outcome.get("reached"):
            card["reached"] += 1
            card["resolved"] += outcome.get("resolved") is True
        if outcome.get("satisfaction"):
            card["answered"] += 1
            card["satisfied"] += outcome["satisfaction"] in ("satisfied", "basically_satisfied")
    return {code: _rates(card) for code, card in cards.items()}


def _rates(card: Counter[str]) -> dict[str, Any]:
    def share(part: str, whole: str) -> float | None:
        return round(card[part] / card[whole], 3) if card[whole] else None
    return {"dispatched": card["dispatched"], "reported": card["reported"],
            "rejections": card["rejections"],
            "response_rate": share("signed_for", "reported"),
            "resolution_rate": share("resolved", "reached"),
            "satisfaction_rate": share("satisfied", "answered"),
            "source": "insight"}


def normalise_scorecards(reply: Any) -> Scorecards:
    """followup's ``scorecard`` reply as ``{department: scorecard}``:
    accepts a mapping by department, or a list of rows with ``department_code``
    (or ``department``), optionally under a ``departments`` key."""
    if isinstance(reply, dict) and "departments" in reply:
        reply = reply["departments"]
    rows = reply.items() if isinstance(reply, dict) else \
        ((r.get("department_code") or r.get("department"), r) for r in reply or () if isinstance(r, dict))
    return {code: dict(card, source="followup") for code, card in rows
            if code and isinstance(card, dict)}


def top_problems(month_records: Iterable[Record], previous_records: Iterable[Record],
                 scorecards: Mapping[str, Any], limit: int = 5, min_count: int = 20,
                 fdr: float = 0.01) -> Report:
    """Largest and fastest-growing categories of a month, with their departments."""
    now: Counter[str] = Counter()
    before: Counter[str] = Counter()
    districts: dict[str, Counter[str]] = {}
    departments: dict[str, Counter[str]] = {}
    types: Counter[str] = Counter()
    for record in month_records:
        types[type_of(record) or UNTYPED] += 1
        if is_proactive(record):  # the hotline's own case: counted by type, not as a problem
            continue
        category = record.get("category") or UNCATEGORISED
        now[category] += 1
        districts.setdefault(category, Counter())[record.get("district") or "unknown"] += 1
        if record.get("department_code"):
            departments.setdefault(category, Counter())[record["department_code"]] += 1
    for record in previous_records:
        if not is_proactive(record):
            before[record.get("category") or UNCATEGORISED] += 1
    n_now, n_before = sum(now.values()), sum(before.values())

    def problem(category: str) -> dict[str, Any]:
        dept = departments.get(category, Counter()).most_common(1)
        code = dept[0][0] if dept else None
        growth = round(now[category] / before[category], 2) if before[category] else None
        return {"category": category, "count": now[category], "previous": before[category],
                "share": round(now[category] / n_now, 3), "growth": growth,
                "districts": [{"name": d, "count": n} for d, n in districts[category].most_common(3)],
                "department": code, "scorecard": scorecards.get(code) if code else None}

    largest = [problem(c) for c, _ in now.most_common(limit)]
    growing: list[dict[str, Any]] = []
    if n_before:
        tests: list[tuple[str, float, float]] = []
        for category, k in now.items():
            if k < min_count or k / n_now <= before[category] / n_before:
                continue
            g2 = log_likelihood_ratio(k, n_now, before[category], n_before)
            tests.append((category, g2, chi2_sf_1df(g2)))
        m = max(len(tests), 1)
        for category, g2, p in sorted(tests, key=lambda t: t[1], reverse=True)[:limit]:
            if p * m < fdr:  # Bonferroni over the categories tested
                growing.append(dict(problem(category), g2=round(g2, 1)))
    return {"requests": n_now, "previous_requests": n_before,
            "largest": largest, "fastest_growing": growing, "by_request_type": by_request_type(types)}
