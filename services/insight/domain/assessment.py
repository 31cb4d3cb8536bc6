"""The monthly assessment of units (考核): rates, a weighted score, ranks within groups,
and beside the raw score one adjusted for case mix, with its interval.

Each case a unit handled in the month counts in the rates it has an event for
(from the outcomes followup's events reported, ``learning``):

==========  =====================================================  ===============
rate        a case counts when / the event counted                 better
==========  =====================================================  ===============
response    signed for / signed for in time (响应率)                 higher
solved      a callback reached the citizen / resolved (解决率)        higher
satisfied   the citizen rated it / satisfied or basically (满意率)    higher
on_time     replied / the reply was in time (按时办结率)               higher
returned    replied / the centre sent a reply back (打回率)           lower
refused     dispatched to the unit / the unit refused it (回退率)      lower
reopened    a callback reached the citizen / reopened (重办率)        lower
held        closed in the cohort month / no rebound in the window    higher
==========  =====================================================  ===============

Proactive cases (主动治理, opened by the hotline from a finding: 未诉先办) count like any
case in the rates they have events for -- sign-for, reply, returns; with no citizen they
have no callback, so none in 解决率, 满意率 or 重办率 -- and are listed with their unit and
how far each went.

``refused`` (回退率, 退单): every unit a case was dispatched to (``dispatched_to``)
counts it once, the final one and each one before it; the event is that unit having
refused it (``refused_by``), once or more. Cases recorded before insight learnt dispatches count in
no refusal rate.

``held`` (closures that held, 防反弹) is judged on a lagged cohort (``HeldCohort``):
in the report of month M, the closures of month M − k (k = ⌈window / 31 days⌉: M − 1
up to a 31-day window), with an outcome held to account, each held when no request
came back to it within the window. A closure whose window has not passed by the
report's date (the day after the month) is not judged, whatever happened, and is
counted as such: judging only the ones that rebounded would condemn every unit.

Excluded, and listed: a case ruled 不合理诉求 (closed ``unreasonable``) counts in no
rate of its unit; an accepted appeal (考核申诉) takes the contested event's case out of
the one rate that event scored in.

**Case mix** (indirect standardisation). A stratum is a request type × category ×
district; the city's rate in each stratum is what the whole city achieved there.
For a unit and a rate, ``O`` is its events and ``E`` the sum, over its cases, of
the city's rate in the case's stratum: what the city would have achieved on the
very same cases. ``O/E`` above 1 is better than the city on like cases (for a
higher-is-better rate); the adjusted rate is ``O/E`` × the city's rate. Its
interval is the Clopper-Pearson interval of ``O`` out of the unit's ``n`` cases
(the beta quantiles, scipy's ``betaincinv``), scaled by ``n/E``. A difference is *real* when the
interval leaves out the city's level, otherwise it is noise. A case in a stratum
no other unit had is compared with itself (``O = E`` there): each unit's
``comparable_share`` says how many of its cases another unit shared a stratum with.

**Score** = 100 × Σ weight × rate (``1 − rate`` for the lower-is-better ones) / Σ
weight, over the rates the unit has cases for; raw from the raw rates, adjusted
from the adjusted ones. The adjusted score's interval puts every rate at its
bound at once (conservative: as if the rates moved together), and is compared
with the city's own score over the same weights. Units are ranked within their
group by the adjusted score (the raw rank beside it); a unit with fewer cases
than ``min_cases`` is not ranked.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy import special  # the beta quantiles; not scipy.stats: a second more at each start

from services.insight.domain.figures import Record, Report
from services.insight.domain.hotspots import UNCATEGORISED, UNKNOWN_PLACE, UNTYPED
from services.insight.domain.requests import type_of
from shared.contract.messages import PROACTIVE
from shared.contract.rebounds import ReboundTerms

RATES: tuple[str, ...] = ("response", "solved", "satisfied", "on_time", "returned", "refused", "reopened",
                          "held")
LOWER_IS_BETTER = frozenset({"returned", "refused", "reopened"})
# An appeal's contested event (followup's ``scored``) and the rate it counts in.
APPEAL_RATE = {"late_sign_for": "response", "late_reply": "on_time",
               "reply_rejected": "returned", "callback_unsatisfied": "satisfied"}
DEFAULT_WEIGHTS: Mapping[str, float] = {"response": 0.15, "solved": 0.25, "satisfied": 0.25,
                                        "on_time": 0.15, "returned": 0.1, "refused": 0.05,
                                        "reopened": 0.1, "held": 0.1}
SATISFIED = ("satisfied", "basically_satisfied")
UNREASONABLE = "unreasonable"
TOO_FEW = "too_few_cases"

Stratum = tuple[str, str, str]


@dataclass(frozen=True)
class AssessmentSettings:
    """The city's formula: groups of units, weights per rate, the floor for a rank."""

    groups: Mapping[str, Sequence[str]] = field(default_factory=dict)  # group -> unit codes
    default_group: str = "other"
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    min_cases: int = 20
    confidence: float = 0.95

    def group_of(self, unit: str) -> str:
        for group, units in self.groups.items():
            if unit in units:
                return group
        return self.default_group

    def group_order(self) -> list[str]:
        return [*self.groups, *([self.default_group] if self.default_group not in self.groups else [])]


def check_weights(weights: Mapping[str, Any]) -> dict[str, float]:
    """The weights as numbers; ``ValueError`` naming a rate unknown, a weight below 0, or none above."""
    checked: dict[str, float] = {}
    for rate, weight in weights.items():
        if rate not in RATES:
            raise ValueError(f"unknown rate {rate!r}: one of {', '.join(RATES)}")
        value = float(weight)
        if not value >= 0:
            raise ValueError(f"the weight of {rate} must be a number of 0 or more")
        checked[rate] = value
    if not any(checked.values()):
        raise ValueError("at least one rate needs a weight above 0")
    return checked


def stratum_of(record: Record) -> Stratum:
    return (type_of(record) or UNTYPED, record.get("category") or UNCATEGORISED,
            record.get("district") or UNKNOWN_PLACE)


def observations(outcome: Mapping[str, Any] | None) -> dict[str, bool]:
    """``{rate: event happened}`` for the rates a case counts in (appeals not applied)."""
    o = outcome or {}
    seen: dict[str, bool] = {}
    if o.get("signed_for"):
        seen["response"] = not o.get("signed_late")
    if o.get("reached"):
        if o.get("resolved") is not None:
            seen["solved"] = o.get("resolved") is True
        seen["reopened"] = int(o.get("reopened") or 0) > 0
    if o.get("satisfaction"):
        seen["satisfied"] = o.get("satisfaction") in SATISFIED
    rejections = int(o.get("rejections") or 0)
    if "replied_late" in o:
        seen["on_time"] = not o.get("replied_late")
    if o.get("replied") or o.get("approved") or rejections:
        seen["returned"] = rejections > 0
    return seen


@dataclass
class Case:
    number: str
    unit: str
    stratum: Stratum
    seen: dict[str, bool]            # after accepted appeals
    appealed: list[str]              # the rates an accepted appeal took it out of
    of_month: bool = True            # False: a closure of the held cohort, not the month's case


def _units_dispatched(unit: str, record: Record) -> dict[str, bool] | None:
    """``{unit: refused it}`` for every unit the case was dispatched to, or None when the
    record predates what insight learns of dispatches (no refusal rate then). Learnt from
    the events, or in an imported history's ``outcome``."""
    outcome = record.get("outcome") or {}
    dispatched = record.get("dispatched_to", outcome.get("dispatched_to"))
    refused = record.get("refused_by", outcome.get("refused_by"))
    if dispatched is None and refused is None:
        return None
    refusers = {str(u) for u in refused or ()}
    units = {str(u) for u in dispatched or ()} | refusers | {unit}
    return {u: u in refusers for u in sorted(units)}


def cases_of(records: Iterable[Record]) -> tuple[list[Case], list[dict[str, Any]], list[dict[str, Any]]]:
    """The assessed cases, the cases ruled unreasonable, and the accepted appeals.

    A case other units were dispatched to before its unit comes once more for each of
    them, counting only in their refusal rate (``refused``)."""
    cases: list[Case] = []
    unreasonable: list[dict[str, Any]] = []
    appeals: list[dict[str, Any]] = []
    for record in records:
        unit = record.get("department_code")
        if not unit:
            continue
        outcome = record.get("outcome") or {}
        number = str(record.get("number"))
        if outcome.get("closed_as") == UNREASONABLE:
            unreasonable.append({"number": number, "unit": unit})
            continue
        seen = observations(outcome)
        appealed: list[str] = []
        for scored in outcome.get("appeals_accepted") or ():
            rate = APPEAL_RATE.get(str(scored))
            appeals.append({"number": number, "unit": unit, "scored": scored, "rate": rate})
            if rate and rate in seen:
                del seen[rate]
                appealed.append(rate)
        stratum = stratum_of(record)
        dispatched = _units_dispatched(unit, record)
        if dispatched is not None:
            seen["refused"] = dispatched.pop(unit)
            cases.extend(Case(number, other, stratum, {"refused": refused}, [])
                         for other, refused in dispatched.items())
        cases.append(Case(number, unit, stratum, seen, appealed))
    return cases, unreasonable, appeals


@dataclass(frozen=True)
class HeldCohort:
    """The closures the held rate of a month's report judges: those made in ``month``
    (``held_cohort``), judged as of ``as_of`` with the city's rebound ``terms``."""

    month: str
    records: Sequence[Record]
    as_of: dt.datetime
    terms: ReboundTerms = field(default_factory=ReboundTerms)


def _shift(month: str, months: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def held_cohort(month: str, window: dt.timedelta) -> str:
    """The month whose closures the report of ``month`` judges for the held rate: the month
    before it for a window up to 31 days, and one month further back per 31 days more, so
    that each month's closures are judged once, in one report, with their windows passed
    (but for the last days of a month before a short one: see ``held_cases``)."""
    lag = max(1, math.ceil(window / dt.timedelta(days=31)))
    return _shift(month, -lag)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def held(outcome: Mapping[str, Any], terms: ReboundTerms, as_of: dt.datetime) -> bool | None:
    """Whether a closure held (no request came back within the window): ``None`` when it is
    not judged -- not closed, closed with an outcome not held to account, or its window still
    open at ``as_of`` (rebounded or not: judging only the rebounded ones would be unfair)."""
    closed_at = outcome.get("closed_at")
    if closed_at is None or outcome.get("closed_as") == UNREASONABLE or not terms.counts(outcome.get("closed_as")):
        return None
    closed_at = _aware(closed_at)
    until = closed_at + terms.window
    if until > _aware(as_of):
        return None
    return not any(closed_at <= _aware(r["at"]) <= until for r in outcome.get("rebounds") or () if r.get("at"))


def held_cases(cohort: HeldCohort) -> tuple[list[Case], int]:
    """The cohort's closures judged (as cases counting only in ``held``), and how many of its
    closures held to account are not judged yet (their window still open on the report's date)."""
    cases: list[Case] = []
    waiting = 0
    for record in cohort.records:
        outcome = record.get("outcome") or {}
        unit = outcome.get("closed_by") or record.get("department_code")
        if not unit or outcome.get("closed_at") is None:
            continue
        closed_as = outcome.get("closed_as")
        if closed_as == UNREASONABLE or not cohort.terms.counts(closed_as):
            continue
        judged = held(outcome, cohort.terms, cohort.as_of)
        if judged is None:
            waiting += 1
            continue
        cases.append(Case(str(record.get("number")), str(unit), stratum_of(record), {"held": judged}, [],
                          of_month=False))
    return cases, waiting


def clopper_pearson(events: int, n: int, confidence: float) -> tuple[float, float]:
    """The exact binomial interval of ``events`` out of ``n``, from the beta quantiles
    (scipy's ``binomtest(...).proportion_ci(method="exact")`` gives the same, 30 times slower)."""
    tail = (1 - confidence) / 2
    low = float(special.betaincinv(events, n - events + 1, tail)) if events > 0 else 0.0
    high = float(special.betaincinv(events + 1, n - events, 1 - tail)) if events < n else 1.0
    return low, high


def _good(rate: str, value: float) -> float:
    return 1.0 - value if rate in LOWER_IS_BETTER else value


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _rate_figures(rate: str, events: int, n: int, expected: float, city: float,
                  confidence: float) -> dict[str, Any]:
    raw = events / n
    if expected > 0:
        ratio = events / expected
        low, high = clopper_pearson(events, n, confidence)
        ratio_low, ratio_high = low * n / expected, high * n / expected
    else:  # the city had no such event on these cases, nor had the unit: as expected
        ratio, ratio_low, ratio_high = 1.0, 0.0, float("inf")
    real = ratio_low > 1 or ratio_high < 1
    verdict = "as_city"
    if real:
        above = ratio_low > 1
        verdict = "worse" if above == (rate in LOWER_IS_BETTER) else "better"
    high = city * ratio_high if ratio_high != float("inf") else 1.0
    return {"n": n, "events": events, "raw": round(raw, 4), "expected": round(expected, 2),
            "city": round(city, 4), "ratio": round(ratio, 3),
            "ratio_interval": [round(ratio_low, 3), round(ratio_high, 3) if ratio_high != float("inf") else None],
            "adjusted": round(_clip(city * ratio), 4),
            "adjusted_interval": [round(_clip(city * ratio_low), 4), round(_clip(high), 4)],
            "verdict": verdict}


def _score(rates: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float],
           pick: str) -> float | None:
    total = sum(weights.get(r, 0.0) for r in rates)
    if not total:
        return None
    return round(100 * sum(weights.get(r, 0.0) * _good(r, float(f[pick])) for r, f in rates.items()) / total, 2)


def _score_interval(rates: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float]) -> list[float] | None:
    total = sum(weights.get(r, 0.0) for r in rates)
    if not total:
        return None
    low = high = 0.0
    for rate, figures in rates.items():
        a, b = figures["adjusted_interval"]
        good = sorted((_good(rate, a), _good(rate, b)))
        low += weights.get(rate, 0.0) * good[0]
        high += weights.get(rate, 0.0) * good[1]
    return [round(100 * low / total, 2), round(100 * high / total, 2)]


def _rank(units: list[dict[str, Any]], key: str, field_name: str) -> None:
    ranked = sorted((u for u in units if u["n_cases"] is not None and u.get("ranked") and u[key] is not None),
                    key=lambda u: -float(u[key]))
    position, last = 0, None
    for index, unit in enumerate(ranked, start=1):
        if unit[key] != last:
            position, last = index, unit[key]
        unit[field_name] = position


def assess(records: Iterable[Record], settings: AssessmentSettings, cohort: HeldCohort | None = None) -> Report:
    """One period's assessment of every unit with cases in ``records``; the held rate from
    ``cohort`` (none without)."""
    cases, unreasonable, appeals = cases_of(records)
    closures, waiting = held_cases(cohort) if cohort is not None else ([], 0)
    cases += closures
    weights = settings.weights
    city_events: dict[str, dict[Stratum, list[int]]] = {r: defaultdict(lambda: [0, 0]) for r in RATES}
    city_total: dict[str, list[int]] = {r: [0, 0] for r in RATES}
    for case in cases:
        for rate, happened in case.seen.items():
            cell = city_events[rate][case.stratum]
            cell[0] += happened
            cell[1] += 1
            city_total[rate][0] += happened
            city_total[rate][1] += 1
    city_rates = {r: city_total[r][0] / city_total[r][1] for r in RATES if city_total[r][1]}

    by_unit: dict[str, list[Case]] = defaultdict(list)
    units_in: dict[Stratum, set[str]] = defaultdict(set)
    for case in cases:
        by_unit[case.unit].append(case)
        if case.of_month:
            units_in[case.stratum].add(case.unit)
    units: list[dict[str, Any]] = []
    for unit, own in sorted(by_unit.items()):
        rates: dict[str, dict[str, Any]] = {}
        for rate in RATES:
            counted = [c for c in own if rate in c.seen]
            if not counted:
                continue
            events = sum(c.seen[rate] for c in counted)
            expected = 0.0
            for c in counted:
                cell = city_events[rate][c.stratum]
                expected += cell[0] / cell[1]
            rates[rate] = _rate_figures(rate, events, len(counted), expected, city_rates[rate],
                                        settings.confidence)
        city_score = _score({r: {"city": city_rates[r]} for r in rates}, weights, "city")
        interval = _score_interval(rates, weights)
        verdict = "as_city"
        if interval and city_score is not None:
            verdict = "above" if interval[0] > city_score else "below" if interval[1] < city_score else "as_city"
        # the month's cases (a case it refused counts once): the held cohort's closures are another month's
        month_cases = {c.number: c for c in own if c.of_month}
        n_cases = len(month_cases)
        # a case in a stratum no other unit had is compared with itself: the adjustment
        # says little for a unit with few cases in shared strata
        compared = sum(len(units_in[c.stratum]) > 1 for c in month_cases.values())
        units.append({"unit": unit, "group": settings.group_of(unit), "n_cases": n_cases,
                      "comparable_share": round(compared / n_cases, 3) if n_cases else None,
                      "ranked": n_cases >= settings.min_cases,
                      "not_ranked": None if n_cases >= settings.min_cases else TOO_FEW,
                      "rates": rates, "raw_score": _score(rates, weights, "raw"),
                      "adjusted_score": _score(rates, weights, "adjusted"),
                      "adjusted_interval": interval, "city_score": city_score, "verdict": verdict,
                      "rank": None, "raw_rank": None,
                      "unreasonable": sum(1 for u in unreasonable if u["unit"] == unit),
                      "appeals_accepted": sum(1 for a in appeals if a["unit"] == unit)})
    groups: list[dict[str, Any]] = []
    for group in settings.group_order():
        members = [u for u in units if u["group"] == group]
        if not members:
            continue
        _rank(members, "adjusted_score", "rank")
        _rank(members, "raw_score", "raw_rank")
        members.sort(key=lambda u: (u["rank"] is None, u["rank"] or 0, -(u["adjusted_score"] or 0), u["unit"]))
        groups.append({"group": group, "units": members})
    held_of = None if cohort is None else {
        "month": cohort.month, "window_days": cohort.terms.days, "as_of": cohort.as_of.isoformat(),
        "outcomes": list(cohort.terms.outcomes), "judged": len(closures), "not_judged": waiting}
    return {"groups": groups, "city": {r: round(v, 4) for r, v in city_rates.items()},
            "cases": len({c.number for c in cases if c.of_month}), "held_cohort": held_of,
            "excluded": {"unreasonable": unreasonable, "appeals_accepted": appeals},
            "weights": {r: weights.get(r, 0.0) for r in RATES}, "min_cases": settings.min_cases,
            "confidence": settings.confidence}


def proactive_stage(outcome: Mapping[str, Any] | None) -> str:
    """How far a proactive case (主动治理) has gone: ``closed`` (its reply approved: the
    review closes it), ``replied`` (in review), ``signed_for``, or ``assigned``."""
    o = outcome or {}
    if o.get("closed") or o.get("approved"):
        return "closed_unreasonable" if o.get("closed_as") == UNREASONABLE else "closed"
    if o.get("replied"):
        return "replied"
    return "signed_for" if o.get("signed_for") else "assigned"


def proactive_cases(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The month's proactive cases (未诉先办) with their unit and how each went, by unit."""
    found = []
    for record in records:
        if record.get("channel") != PROACTIVE and type_of(record) != PROACTIVE:
            continue
        outcome = record.get("outcome") or {}
        found.append({"number": str(record.get("number")), "unit": record.get("department_code"),
                      "category": record.get("category"), "district": record.get("district"),
                      "title": record.get("title") or "", "stage": proactive_stage(outcome),
                      "late": bool(outcome.get("signed_late") or outcome.get("replied_late")),
                      "rejections": int(outcome.get("rejections") or 0)})
    return sorted(found, key=lambda c: (str(c["unit"]), c["number"]))


def monthly(month: str, records: Iterable[Record], previous_records: Iterable[Record],
            settings: AssessmentSettings, cohort: HeldCohort | None = None,
            previous_cohort: HeldCohort | None = None) -> Report:
    """The month's assessment with, per unit, the month before's scores and ranks; the held
    rates from the closures of ``cohort`` (and ``previous_cohort`` for the month before);
    and the month's proactive cases (主动治理) listed."""
    records = list(records)
    report = assess(records, settings, cohort)
    report["proactive"] = proactive_cases(records)
    before = assess(previous_records, settings, previous_cohort)
    earlier = {u["unit"]: u for g in before["groups"] for u in g["units"]}
    for group in report["groups"]:
        for unit in group["units"]:
            last = earlier.get(unit["unit"])
            unit["previous"] = None if last is None else {
                key: last[key] for key in ("raw_score", "adjusted_score", "rank", "raw_rank", "n_cases")}
            unit["change"] = (round(unit["adjusted_score"] - last["adjusted_score"], 2)
                              if last and last["adjusted_score"] is not None
                              and unit["adjusted_score"] is not None else None)
    report["month"] = month
    return report


def cases_behind(records: Iterable[Record], unit: str, rate: str | None = None,
                 cohort: HeldCohort | None = None) -> Report:
    """The case numbers behind a unit's figures: per rate those counted and those with the
    event (for ``held``, the cohort's closures judged and those that held); and the unit's
    cases ruled unreasonable and its accepted appeals."""
    found, unreasonable, appeals = cases_of(records)
    found += held_cases(cohort)[0] if cohort is not None else []
    cases = [c for c in found if c.unit == unit]
    unreasonable = [u for u in unreasonable if u["unit"] == unit]
    appeals = [a for a in appeals if a["unit"] == unit]
    rates = [rate] if rate else list(RATES)
    out: dict[str, Any] = {}
    for name in rates:
        counted = sorted(c.number for c in cases if name in c.seen)
        events = sorted(c.number for c in cases if c.seen.get(name))
        out[name] = {"counted": counted, "events": events}
    return {"unit": unit, "rates": out, "cases": sorted({c.number for c in cases if c.of_month}),
            "held_cohort": cohort.month if cohort is not None else None,
            "unreasonable": sorted(u["number"] for u in unreasonable),
            "appeals_accepted": sorted(appeals, key=lambda a: (a["number"], str(a["scored"])))}
