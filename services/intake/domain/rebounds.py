"""Did a closure hold? A new request that comes back to a case closed as solved (防反弹).

Pure Python. A new ticket -- one that is dispatched, not a repeat of an open
ticket, not answered on the call -- is a **rebound** of an earlier ticket when the
earlier one was closed with an outcome the city counts as solved
(``REBOUNDS.outcomes``: by default ``resolved``, 已解决) no longer than
``REBOUNDS.window_days`` (30) before, and

* the same caller (the phone number in any notation: ``phone_key``) asks again
  about the same matter: the same category when both have one, else a similar
  text (``INTAKE.duplicate_similarity``); a caller's other matters are not rebounds;
* or the same category at the same place: within ``REBOUNDS.place_meters`` (100 m)
  when both have coordinates, or the same district and address (compared after
  NFKC, case and spaces) when they have not.

Of several, the latest closure is the one that did not hold. An earlier ticket that
was a repeat (合并工单) closed with its master: the master's case is the one that
rebounded. The store fetches the candidates with indexed queries (the caller's
closed tickets, the category's closed tickets inside a box, the closed tickets at
an address); the rule is checked here.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shared.contract.rebounds import ReboundTerms

from .duplicates import distance_m, similarity, ticket_text
from .shared import Coded, Doc, reason


@dataclass(frozen=True)
class ReboundRules:
    """The shared terms (window, outcomes: ``shared.contract.rebounds``) and intake's own
    measure of a place."""

    terms: ReboundTerms = field(default_factory=ReboundTerms)
    place_meters: float = 100.0
    similarity: float = 0.3

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ReboundRules:
        """From ``REBOUNDS`` (and ``INTAKE.duplicate_similarity``); ``ValueError`` as the terms say."""
        config = config or {}
        section = config.get("REBOUNDS") or {}
        return cls(terms=ReboundTerms.from_config(config), place_meters=float(section.get("place_meters", 100)),
                   similarity=float((config.get("INTAKE") or {}).get("duplicate_similarity", 0.3)))

    @property
    def window(self) -> timedelta:
        return self.terms.window

    def counts(self, ticket: Doc) -> bool:
        """Whether ``ticket`` is closed with an outcome whose closure is held to account."""
        if ticket.get("status") != "closed" or not ticket.get("closed_at"):
            return False
        return self.terms.counts(ticket.get("outcome"))


def same_address(a: Doc, b: Doc) -> bool:
    """The same district and the same address, written alike (NFKC, case, spaces)."""
    def norm(text: object) -> str:
        return "".join(unicodedata.normalize("NFKC", str(text or "")).lower().split())
    return bool(norm(a.get("address"))) and norm(a.get("address")) == norm(b.get("address")) \
        and norm(a.get("district")) == norm(b.get("district"))


def _same_matter(request: Doc, ticket: Doc, rules: ReboundRules) -> bool:
    if request.get("category") and ticket.get("category"):
        return bool(request["category"] == ticket["category"])
    return similarity(ticket_text(request), ticket_text(ticket)) >= rules.similarity


def _place(request: Doc, ticket: Doc, rules: ReboundRules) -> int | None:
    """Metres between the two (0 for the same address), or None when not the same place."""
    if request.get("lat") is not None and ticket.get("lat") is not None:
        metres = distance_m(request["lat"], request["lng"], ticket["lat"], ticket["lng"])
        return round(metres) if metres <= rules.place_meters else None
    return 0 if same_address(request, ticket) else None


@dataclass(frozen=True)
class Rebound:
    """What a new request comes back to: the earlier case, on what basis, why, and when it closed."""

    rebound_of: str
    basis: str  # caller or place
    why: Coded
    closed_at: dt.datetime


def find_rebound(request: Doc, now: dt.datetime, by_caller: list[Doc], by_place: list[Doc],
                 rules: ReboundRules) -> Rebound | None:
    """The closed case ``request`` comes back to, or ``None``.

    ``by_caller``: the caller's closed tickets; ``by_place``: closed tickets of the
    request's category near its point or at its address; each closed since
    ``now - rules.window`` (checked again here)."""
    found: Rebound | None = None
    days = rules.terms.days

    def fresh(ticket: Doc) -> bool:
        return rules.counts(ticket) and now - rules.window <= ticket["closed_at"] <= now

    def consider(ticket: Doc, basis: str, **facts: Any) -> None:
        nonlocal found
        if found is None or ticket["closed_at"] > found.closed_at:
            earlier = ticket.get("linked_to") or ticket["number"]  # a repeat closed with its master
            found = Rebound(earlier, basis, reason(f"rebound_same_{basis}", number=earlier, days=days, **facts),
                            ticket["closed_at"])

    for ticket in by_caller:
        if fresh(ticket) and _same_matter(request, ticket, rules):
            consider(ticket, "caller")
    if request.get("category"):
        for ticket in by_place:
            if not fresh(ticket) or ticket.get("category") != request["category"]:
                continue
            metres = _place(request, ticket, rules)
            if metres is not None:
                consider(ticket, "place", category=request["category"], metres=metres)
    return found
