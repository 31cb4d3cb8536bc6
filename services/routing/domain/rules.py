"""Routing's decision rules: who is responsible for a ticket, and how sure we are.

Pure Python. The order, from certain to learned:

1. ``catalogue`` -- an explicit catalogue category decides (派单目录);
2. ``zone`` -- a place that only one body covers (a scenic area, a port);
3. ``classifier`` (or ``keywords`` before a model is trained) -- the learner
   proposes departments with a confidence; at or above the threshold the
   best one is assigned, below it the ticket waits for a person with the
   suggestions and their reasons (``manual``);
4. ``place`` -- the learner has nothing to go on (no known word): the street
   office or district government of the place (属地);
5. ``manual`` -- nobody can say.

Beside the lead, the learner's ranking may propose co-handlers (协办,
:func:`co_handler_proposals`): each other department it ranks at or above the
co-handler threshold. An automatic dispatch takes them; a waiting ticket carries
them to the dispatcher, who may keep or drop each.

Departments that refused the ticket (退单) are excluded at every step. Every
choice says why, as coded reasons (``shared.contract.reasons``). A
:class:`Choice` is what the rules say; the :class:`~services.routing.domain.decision.Decision`
aggregate records it and the event it causes.
"""
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from services.routing.domain.directory import Department, Directory
from services.routing.domain.keywords import KeywordModel
from shared.contract.reasons import reason, sentences

DEFAULT_THRESHOLD = 0.5  # for the keyword matcher; a trained model measures its own
DEFAULT_CO_HANDLER_THRESHOLD = 0.3  # a second department this sure works beside the lead (协办)

Reason = dict[str, Any]  # coded: shared.contract.reasons.reason(...)


class Proposal(Protocol):
    """One department a learner proposes (``services.routing.domain.keywords.Suggestion``)."""

    department_code: str
    confidence: float
    reasons: list[Reason]

    def to_dict(self) -> dict[str, Any]: ...


class Learner(Protocol):
    """A trained ``TextModel`` or the ``KeywordModel``: proposals ranked best first."""

    @property
    def kind(self) -> str: ...

    def suggest(self, text: str, exclude: Collection[str] = (), top: int = 3,
                known: Collection[str] | None = None, title: str = "") -> Sequence[Proposal]: ...


@dataclass(frozen=True)
class CoHandlerProposal:
    """A department the learner ranks beside the lead high enough to co-handle (协办)."""

    department_code: str
    department_name: str
    confidence: float
    rank: int          # its place in the learner's ranking (the lead, or its best, is 1)
    threshold: float   # the co-handler threshold it reached

    @property
    def reason(self) -> Reason:
        return reason("co_handler_proposed", department=self.department_name, rank=self.rank,
                      confidence=self.confidence, threshold=self.threshold)

    def to_dict(self) -> dict[str, Any]:
        """As the decision keeps it (and the dispatcher's queue shows it)."""
        return {"department_code": self.department_code, "department_name": self.department_name,
                "confidence": round(float(self.confidence), 4), "rank": self.rank,
                "reasons": sentences([self.reason]), "reason_codes": [self.reason]}


@dataclass(frozen=True)
class Choice:
    """What the rules say: a department (or ``None``: a person decides), by which rule, and why."""

    department: Department | None
    time_limit_class: str
    rule: str
    reasons: list[Reason] = field(default_factory=list)
    confidence: float | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)  # [Suggestion.to_dict()]
    model_version: int = 0
    category: str | None = None         # the catalogue category decided ...
    category_source: str | None = None  # ... "picked" by the operator or "recognised" in the text
    decided_by: str = "routing"         # or the dispatcher who chose
    co_handlers: tuple[str, ...] = ()   # units a dispatcher named to work beside the lead (协办)
    proposed: tuple[CoHandlerProposal, ...] = ()  # co-handlers the learner's ranking proposes

    @property
    def decided(self) -> bool:
        return self.department is not None

    @property
    def sentences(self) -> list[str]:
        return list(sentences(self.reasons))


def ticket_text(ticket: Mapping[str, Any]) -> str:
    return f"{ticket.get('title') or ''} {ticket.get('description') or ''}".strip()


def decide(ticket: Mapping[str, Any], directory: Directory, learner: Learner | None = None,
           threshold: float = DEFAULT_THRESHOLD, exclude: Iterable[str] = (),
           co_handler_threshold: float | None = None) -> Choice:
    """The choice for ``ticket`` (a ``ticket_created`` body).

    ``learner`` is a trained ``TextModel`` or a ``KeywordModel``; with ``None``
    the directory's keywords are used. ``exclude``: codes that refused it.
    ``co_handler_threshold``: propose co-handlers at that confidence (``None``: none).
    """
    choice = with_category(_decide(ticket, directory, learner, threshold, set(exclude)), ticket, directory)
    if co_handler_threshold is None:
        return choice
    proposed = co_handler_proposals(choice, directory, co_handler_threshold)
    if not proposed:
        return choice
    return replace(choice, proposed=proposed, reasons=[*choice.reasons, *(p.reason for p in proposed)])


def co_handler_proposals(choice: Choice, directory: Directory, threshold: float) -> tuple[CoHandlerProposal, ...]:
    """The co-handlers (协办) the learner's ranking proposes beside the lead.

    The lead is the department chosen, or, for a ticket left to a person, the
    learner's best. Every other department it ranks at or above ``threshold``
    is proposed, in rank order, when it is in service and no community (routing
    never chooses one), and the category's catalogue entry does not list it
    already (the catalogue's co-handlers come anyway). Only a learner ranks
    (``choice.suggestions``): a catalogue, zone or place decision proposes nobody.
    """
    ranked = [s for s in choice.suggestions if s.get("confidence") is not None]
    lead = choice.department.code if choice.department is not None else \
        (ranked[0]["department_code"] if ranked else None)
    entry = directory.catalogue.get(choice.category or "") or {}
    skip = {lead, *(entry.get("co_handlers") or ())}
    proposed: list[CoHandlerProposal] = []
    for rank, s in enumerate(ranked, 1):
        code, confidence = s["department_code"], float(s["confidence"])
        dept = directory.get(code)
        if code in skip or confidence < threshold or dept is None or dept.kind == "community":
            continue
        skip.add(code)
        proposed.append(CoHandlerProposal(code, dept.name, confidence, rank, float(threshold)))
    return tuple(proposed)


def with_category(choice: Choice, ticket: Mapping[str, Any], directory: Directory) -> Choice:
    """The choice with the category (and so the time-limit class) of the ticket.

    One rule, whoever picked the department: the category the operator picked,
    else the one recognised in the text (see ``Directory.category_for``).
    """
    code = choice.department.code if choice.department else None
    entry, how, words = directory.category_for(ticket, code)
    if entry is None:
        return replace(choice, time_limit_class="general")
    limit_class = str(entry.get("class", "general"))
    reasons = list(choice.reasons)
    if how == "recognised":
        reasons.append(reason("recognised", category=entry["code"], category_name=entry["name"],
                              words=", ".join(words), limit_class=limit_class))
    return replace(choice, time_limit_class=limit_class, category=entry["code"],
                   category_source=how, reasons=reasons)


def _decide(ticket: Mapping[str, Any], directory: Directory, learner: Learner | None, threshold: float,
            exclude: set[str]) -> Choice:
    limit_class = "general"  # with_category sets the class
    refused = [reason("refused_before", departments=", ".join(directory.name_of(c) for c in sorted(exclude)))
               ] if exclude else []
    category = directory.catalogue.get(ticket.get("category") or "")
    if category:
        dept = directory.get(category["department"])
        if dept and dept.code not in exclude:
            return Choice(dept, limit_class, "catalogue", [
                reason("catalogue", category=category["code"], category_name=category["name"],
                       department=dept.name)], 1.0)

    zone = directory.exclusive_body(ticket)
    if zone and zone[0].code not in exclude:
        dept, area = zone
        return Choice(dept, limit_class, "zone", [reason("zone", area=area, department=dept.name)], 1.0)

    learner = learner or KeywordModel(directory)
    rule = "classifier" if learner.kind == "trained" else "keywords"
    suggestions = learner.suggest(ticket_text(ticket), exclude=exclude, top=3,
                                  known=set(directory.departments), title=ticket.get("title") or "")
    version = int(getattr(learner, "version", 0))
    local = directory.local_office(ticket)
    if suggestions:
        best = suggestions[0]
        dept = directory.departments[best.department_code]
        listed = [s.to_dict() for s in suggestions]
        if best.confidence >= threshold:
            return Choice(dept, limit_class, rule, refused + [
                reason("confident", department=dept.name, confidence=best.confidence, threshold=threshold),
                *best.reasons], best.confidence, listed, version)
        if local and local[0].code not in exclude and local[0].code not in {s["department_code"] for s in listed}:
            why = [reason("local_area", area=local[1], department=local[0].name)]
            listed.append({"department_code": local[0].code, "confidence": None,
                           "reasons": sentences(why), "reason_codes": why})
        return Choice(None, limit_class, "manual", refused + [
            reason("not_sure", department=dept.name, confidence=best.confidence, threshold=threshold)],
            best.confidence, listed, version)

    if local and local[0].code not in exclude:
        dept, area = local
        return Choice(dept, limit_class, "place", refused + [
            reason("place", area=area, department=dept.name)], None, [], version)

    return Choice(None, limit_class, "manual", refused + [
        reason("nothing")], None, [], version)
