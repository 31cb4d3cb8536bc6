"""The dispatchers' daily review list: the recent tickets routing would most like a person to label.

Pure Python. Active learning on routing's own work: a person's label teaches the
model most where the model is least sure or plainly disagrees. Two kinds of ticket:

* ``low_margin`` -- dispatched automatically (by the model or the keywords) although
  the two best departments were close: the margin between them is below
  ``ROUTING_REVIEW_MARGIN`` (0.2); smallest margin first;
* ``contradicted`` -- a ticket learned from (the department that finally handled
  it) that the current model would send elsewhere; surest contradiction first.

They alternate up to ``size`` (20), one row per ticket, leaving out tickets a
person has labelled already. A confirmation or a correction is stored as a
learning example weighing ``ROUTING_REVIEW_WEIGHT`` (2) times an ordinary one.
Texts are de-identified excerpts: the list is read on a shared screen.
"""
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from shared.platform.privacy import deidentify

REVIEW_SIZE = 20
LOW_MARGIN = 0.2
REVIEW_WEIGHT = 2.0
EXCERPT = 120
AUTOMATIC_RULES = ("classifier", "keywords")
_deidentify: Callable[..., str] = deidentify  # shared.platform.privacy is untyped


@dataclass(frozen=True)
class ReviewItem:
    number: str
    text: str
    department_code: str        # where it went, or the department it was learned under
    suggested: str | None       # the department the model prefers, if another
    confidence: float | None
    margin: float | None
    why: str                    # low_margin | contradicted
    at: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def excerpt(text: str, addresses: Iterable[str] = (), length: int = EXCERPT) -> str:
    clean = " ".join(str(_deidentify(str(text or ""), addresses=[a for a in addresses if a])).split())
    return clean if len(clean) <= length else clean[:length - 1] + "…"


def margin_of(suggestions: list[Mapping[str, Any]]) -> float | None:
    """Best confidence minus the second best (the best alone when there is no second)."""
    sure = [float(s["confidence"]) for s in suggestions if s.get("confidence") is not None]
    if not sure:
        return None
    return sure[0] - (sure[1] if len(sure) > 1 else 0.0)


def low_margin_dispatches(decisions: Iterable[Mapping[str, Any]], limit: float = LOW_MARGIN) -> list[ReviewItem]:
    """Automatic dispatches whose two best departments were closer than ``limit``, closest first."""
    found = []
    for d in decisions:
        if d.get("status") != "assigned" or d.get("rule") not in AUTOMATIC_RULES:
            continue
        suggestions = list(d.get("suggestions") or [])
        margin = margin_of(suggestions)
        if margin is None or margin >= limit:
            continue
        ticket = d.get("ticket") or {}
        second = next((s["department_code"] for s in suggestions[1:2]), None)
        found.append(ReviewItem(
            d["number"], excerpt(f"{ticket.get('title') or ''} {ticket.get('description') or ''}",
                                 [ticket.get("address") or ""]),
            d["department_code"], second, d.get("confidence"), round(margin, 4), "low_margin", d.get("decided_at")))
    return sorted(found, key=lambda item: item.margin if item.margin is not None else 1.0)


def contradicted_examples(examples: Iterable[Mapping[str, Any]],
                          predict: Callable[[str], tuple[str, float] | None]) -> list[ReviewItem]:
    """Examples (``number``, ``text``, ``department_code``) the model would send elsewhere, surest first.

    ``predict(text)`` is the model's best ``(department code, confidence)``, or None.
    """
    found = []
    for ex in examples:
        best = predict(str(ex.get("text") or ""))
        if best is None or best[0] == ex["department_code"]:
            continue
        found.append(ReviewItem(ex["number"], excerpt(ex.get("text") or ""), ex["department_code"], best[0],
                                round(float(best[1]), 4), None, "contradicted", ex.get("added_at")))
    return sorted(found, key=lambda item: -(item.confidence or 0.0))


def review_list(low_margin: list[ReviewItem], contradicted: list[ReviewItem], reviewed: set[str],
                size: int = REVIEW_SIZE) -> list[ReviewItem]:
    """The two kinds alternating (one fills what the other lacks), each ticket once, none reviewed."""
    chosen: list[ReviewItem] = []
    seen = set(reviewed)
    queues = [list(low_margin), list(contradicted)]
    while len(chosen) < size and any(queues):
        for queue in queues:
            while queue and queue[0].number in seen:
                queue.pop(0)
            if queue and len(chosen) < size:
                item = queue.pop(0)
                chosen.append(item)
                seen.add(item.number)
    return chosen
