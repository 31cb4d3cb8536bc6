"""What happens after a dispatch, as training signal; and the directory's own words as prior knowledge.

Pure Python. Each ticket's path through the hotline says something about who is
responsible for its words, and every such statement is a dated :class:`Signal`:

* ``refused`` -- a refusal (退单) the centre approved in review: "not this unit";
* ``redispatched_from`` / ``redispatched_to`` -- a re-dispatch (改派): "not that
  unit, this one";
* ``arbitrated`` -- a dispatcher settled a ticket refused too often (仲裁): "this one";
* ``assigned`` -- a dispatcher assigned a ticket routing was not sure of: "this one";
* ``co_handler`` -- a dispatcher added a co-handler (协办, 加派): "this one too".

:func:`weighted_examples` turns the stored examples (imported history, closed
tickets' final units) and the signals into one weighted training set:

* a positive signal is an example of its unit, weighing ``Weights.<kind>``,
  unless the ticket has closed: its final unit is the example then;
* a ticket with negative evidence (refused, moved away) weighs ``refused`` times
  under the unit that took it: routing got it wrong once;
* an example of a unit for a text that unit refused (the same words, once
  normalised) weighs ``negative`` times as much: the unit said it is not its job;
* every label dated before the last change of its unit's responsibilities
  (keywords, duties, catalogue entries: :func:`responsibility_changes`) weighs
  ``stale`` times as much: the unit's 职责清单 moved since.

:func:`prior_examples` makes weak pseudo-examples of each unit from the directory:
its duty lines (职责清单), its keywords and the catalogue entries it answers for,
each weighing ``Weights.prior``, so a unit with little or no history can still be
proposed.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from services.routing.learning.classifier import normalise

NEGATIVE = ("refused", "redispatched_from")
LEAD = ("redispatched_to", "arbitrated", "assigned")
KINDS = NEGATIVE + LEAD + ("co_handler",)
RESPONSIBILITIES = ("keywords", "duties", "areas")
PRIORS_PER_UNIT = 3  # the calibration's inner folds need as many of every unit
PRIORS_UNTIL = 10    # a unit with as many examples of its own learns from them alone


@dataclass(frozen=True)
class Weights:
    """How much each kind of evidence weighs (``ROUTING_*_WEIGHT`` in config.yaml)."""

    refused: float = 3.0          # a ticket with negative evidence, under the unit that took it
    negative: float = 0.2         # an example of a unit for a text that unit refused
    redispatched_to: float = 2.0  # where a dispatcher moved a ticket
    arbitrated: float = 2.0       # where a dispatcher settled a disputed ticket
    assigned: float = 1.0         # where a dispatcher sent a ticket routing was unsure of
    co_handler: float = 0.5       # a co-handler a dispatcher added: "this one too"
    stale: float = 0.3            # a label older than its unit's last change of responsibilities
    prior: float = 0.3            # each of a unit's pseudo-examples from the directory

    @classmethod
    def from_config(cls, setting: Any) -> Weights:
        """``setting(key, default)`` reads ``ROUTING_<FIELD>_WEIGHT`` (``ROUTING_REFUSAL_WEIGHT``
        for ``refused``)."""
        defaults = cls()
        values: dict[str, float] = {}
        for f in fields(cls):
            key = "ROUTING_REFUSAL_WEIGHT" if f.name == "refused" else f"ROUTING_{f.name.upper()}_WEIGHT"
            value = setting(key, getattr(defaults, f.name))
            values[f.name] = getattr(defaults, f.name) if value in (None, "") else float(value)
        return cls(**values)


@dataclass(frozen=True)
class Signal:
    """One statement of the work about a ticket's text and a unit, with its date."""

    number: str
    text: str
    department_code: str
    kind: str
    at: datetime | None = None

    @property
    def negative(self) -> bool:
        return self.kind in NEGATIVE


@dataclass
class Training:
    """The weighted examples, and what went into them."""

    texts: list[str]
    labels: list[str]
    weights: list[float]
    counts: dict[str, int]
    signals_by_number: dict[str, set[str]] = field(default_factory=dict)  # co-handlers added, by ticket


def responsibility_changes(changes: Iterable[Mapping[str, Any]]) -> dict[str, datetime]:
    """``{unit code: when its responsibilities last changed}`` from the directory's history:
    an update that changed its keywords, duties or areas, or a catalogue entry moved to or
    from it. Adding a unit or changing its phone is no change of what it answers for."""
    last: dict[str, datetime] = {}

    def mark(code: object, at: object) -> None:
        if isinstance(code, str) and code and isinstance(at, datetime) and (code not in last or at > last[code]):
            last[code] = at

    for change in changes:
        before, after = change.get("before") or {}, change.get("after") or {}
        at = change.get("at")
        if change.get("action") == "catalogue":
            if before.get("department") != after.get("department") or \
                    list(before.get("keywords") or ()) != list(after.get("keywords") or ()):
                mark(before.get("department"), at)
                mark(after.get("department"), at)
        elif change.get("action") == "update" and before and any(
                list(before.get(f) or ()) != list(after.get(f) or ()) for f in RESPONSIBILITIES):
            mark(change.get("code"), at)
    return last


def _is_stale(label: str, at: object, changed: Mapping[str, datetime]) -> bool:
    when = changed.get(label)
    return when is not None and isinstance(at, datetime) and at < when


def weighted_examples(examples: Sequence[Mapping[str, Any]], signals: Sequence[Signal],
                      changed: Mapping[str, datetime] | None = None, weights: Weights = Weights()) -> Training:
    """The training set: ``examples`` (``text``, ``department_code``, ``number``, ``added_at``)
    and ``signals``, weighted as the module says."""
    changed = changed or {}
    refused_by: dict[str, set[str]] = {}
    refused_texts: set[tuple[str, str]] = set()
    for s in signals:
        if s.negative:
            refused_by.setdefault(s.number, set()).add(s.department_code)
            refused_texts.add((normalise(s.text), s.department_code))
    refusers = {unit for _, unit in refused_texts}
    closed = {str(e["number"]) for e in examples if e.get("number")}
    counts: Counter[str] = Counter()
    texts: list[str] = []
    labels: list[str] = []
    out: list[float] = []

    def add(text: str, label: str, weight: float, number: str | None, at: object) -> None:
        if number and number in refused_by and label not in refused_by[number]:
            weight *= weights.refused
            counts["weighted_for_refusals"] += 1
        if label in refusers and (normalise(text), label) in refused_texts:
            weight *= weights.negative
            counts["refused_texts"] += 1
        if _is_stale(label, at, changed):
            weight *= weights.stale
            counts["stale"] += 1
        if weight > 0:
            texts.append(text)
            labels.append(label)
            out.append(weight)

    for e in examples:  # a label a dispatcher confirmed on the review list weighs its ``weight``
        if e.get("weight"):
            counts["reviewed"] += 1
        add(str(e.get("text") or ""), str(e["department_code"]), float(e.get("weight") or 1.0), e.get("number"),
            e.get("added_at"))
    lead_seen: set[str] = set()
    for s in sorted(signals, key=lambda s: s.at or datetime.min, reverse=True):
        if s.negative:
            continue
        if s.kind in LEAD:
            if s.number in closed or s.number in lead_seen:
                continue  # closed: its final unit is the example; else only the newest lead counts
            lead_seen.add(s.number)
        add(s.text, s.department_code, float(getattr(weights, s.kind, 1.0)), None, s.at)
        counts[s.kind] += 1
    counts["negative"] = sum(1 for s in signals if s.negative)
    co: dict[str, set[str]] = {}
    for s in signals:
        if s.kind == "co_handler":
            co.setdefault(s.number, set()).add(s.department_code)
    return Training(texts, labels, out, dict(counts), co)


def prior_texts(directory: Any) -> dict[str, list[str]]:
    """``{unit code: [texts]}``: each unit's duty lines, each of its keywords and the catalogue
    entries it answers for; communities and retired units have none (routing never
    chooses them)."""
    found: dict[str, list[str]] = {}
    for code, dept in directory.departments.items():
        if dept.retired or dept.kind == "community":
            continue
        found[code] = [line for line in dept.duties if line.strip()] + [k for k in dept.keywords if k.strip()]
    for entry in directory.catalogue.values():
        code = entry.get("department")
        if code in found:
            words = [entry.get("name") or "", entry.get("description") or "", " ".join(entry.get("keywords") or ())]
            text = " ".join(w for w in words if w).strip()
            if text:
                found[code].append(text)
    return {code: texts for code, texts in found.items() if texts}


def prior_examples(directory: Any, weight: float = Weights.prior, history: Iterable[str] = ()) -> Training:
    """Weak pseudo-examples of every unit from the directory's words (:func:`prior_texts`),
    but not of a unit with ``PRIORS_UNTIL`` examples or more in ``history`` (its labels): its own
    tickets speak for it, and its duty lines' everyday words (帮忙, 问题) would only make the
    model surer of texts that say nothing (measured: a request of "我想问一下 麻烦帮忙看看" rose
    from 0.10 to 0.22 confidence, above the dispatch floor, with every unit's words in).

    A unit with fewer than ``PRIORS_PER_UNIT`` texts repeats them, their weights divided
    so each unit's prior weighs what its texts do (the calibration needs as many rows)."""
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    if weight <= 0:
        return Training(texts, labels, weights, {"prior": 0})
    known = Counter(history)
    for code, own in sorted(prior_texts(directory).items()):
        if known[code] >= PRIORS_UNTIL:
            continue
        rows = [own[i % len(own)] for i in range(max(len(own), PRIORS_PER_UNIT))]
        share = weight * len(own) / len(rows)
        texts += rows
        labels += [code] * len(rows)
        weights += [share] * len(rows)
    return Training(texts, labels, weights, {"prior": len(texts)})


# -- how far a suggested request type or co-handler is to be trusted -----------------------------

def _laplace(right: int, total: int) -> float:
    return (right + 1) / (total + 2)


def request_type_table(rows: Iterable[tuple[str, str]]) -> dict[str, list[int]]:
    """``{suggested type: [right, total]}`` from ``(suggested, a person's type)`` pairs: of the
    tickets whose type an operator gave or a dispatcher set, how often the rules' suggestion for
    the same words agreed."""
    table: dict[str, list[int]] = {}
    for suggested, actual in rows:
        cell = table.setdefault(suggested, [0, 0])
        cell[0] += suggested == actual
        cell[1] += 1
    return table


def request_type_confidence(table: Mapping[str, Sequence[int]] | None, suggested: str) -> float | None:
    """The measured chance that a suggested type is the one a person would give (Laplace-smoothed:
    (right + 1) / (seen + 2)); ``None`` before any typed ticket was seen."""
    cell = (table or {}).get(suggested)
    return round(_laplace(int(cell[0]), int(cell[1])), 4) if cell and cell[1] else None


CO_BINS = 10


def co_handler_table(rows: Iterable[tuple[float, bool]]) -> list[list[int]]:
    """``[[kept, proposed]] * CO_BINS`` by the learner's confidence (tenths): of the co-handlers
    proposed to a dispatcher, how many the dispatcher kept, or added later."""
    table = [[0, 0] for _ in range(CO_BINS)]
    for confidence, kept in rows:
        cell = table[min(int(float(confidence) * CO_BINS), CO_BINS - 1)]
        cell[0] += bool(kept)
        cell[1] += 1
    return table


def co_handler_confidence(table: Sequence[Sequence[int]] | None, confidence: float) -> float | None:
    """The measured chance that a co-handler proposed at ``confidence`` is kept (Laplace-smoothed);
    ``None`` before any proposal of that confidence was decided by a person."""
    if not table:
        return None
    kept, proposed = table[min(int(float(confidence) * CO_BINS), CO_BINS - 1)]
    return round(_laplace(int(kept), int(proposed)), 4) if proposed else None
