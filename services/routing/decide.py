"""Routing's decision: who is responsible for a ticket, and how sure we are.

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

Departments that refused the ticket (退单) are excluded at every step. Every
decision says why, as coded reasons (``shared.contract.reasons``).
"""
from dataclasses import dataclass, field

from shared.contract.reasons import reason, sentences

DEFAULT_THRESHOLD = 0.5  # for the keyword matcher; a trained model measures its own


@dataclass(frozen=True)
class Decision:
    department: object  # a Department, or None: the ticket waits for a person
    time_limit_class: str
    rule: str
    reasons: list = field(default_factory=list)  # coded: [shared.contract.reasons.reason(...)]
    confidence: float | None = None
    suggestions: list = field(default_factory=list)  # [Suggestion.to_dict()]
    model_version: int = 0
    category: str | None = None         # the catalogue category decided ...
    category_source: str | None = None  # ... "picked" by the operator or "recognised" in the text

    @property
    def decided(self):
        return self.department is not None

    @property
    def sentences(self):
        return sentences(self.reasons)


def ticket_text(ticket):
    return f"{ticket.get('title') or ''} {ticket.get('description') or ''}".strip()


def decide(ticket, directory, learner=None, threshold=DEFAULT_THRESHOLD, exclude=()):
    """The decision for ``ticket`` (a ``ticket_created`` body).

    ``learner`` is a trained ``TextModel`` or a ``KeywordModel``; with ``None``
    the directory's keywords are used. ``exclude``: codes that refused it.
    """
    decision = _decide(ticket, directory, learner, threshold, set(exclude))
    return with_category(decision, ticket, directory)


def with_category(decision, ticket, directory):
    """The decision with the category (and so the time-limit class) of the ticket.

    One rule, whoever picked the department: the category the operator picked,
    else the one recognised in the text (see ``Directory.category_for``).
    """
    from dataclasses import replace

    code = decision.department.code if decision.department else None
    entry, how, words = directory.category_for(ticket, code)
    if entry is None:
        return replace(decision, time_limit_class="general")
    limit_class = entry.get("class", "general")
    reasons = list(decision.reasons)
    if how == "recognised":
        reasons.append(reason("recognised", category=entry["code"], category_name=entry["name"],
                              words=", ".join(words), limit_class=limit_class))
    return replace(decision, time_limit_class=limit_class, category=entry["code"],
                   category_source=how, reasons=reasons)


def _decide(ticket, directory, learner, threshold, exclude):
    limit_class = "general"  # with_category sets the class
    refused = [reason("refused_before", departments=", ".join(directory.name_of(c) for c in sorted(exclude)))
               ] if exclude else []
    category = directory.catalogue.get(ticket.get("category") or "")
    if category:
        dept = directory.get(category["department"])
        if dept and dept.code not in exclude:
            return Decision(dept, limit_class, "catalogue", [
                reason("catalogue", category=category["code"], category_name=category["name"],
                       department=dept.name)], 1.0)

    zone = directory.exclusive_body(ticket)
    if zone and zone[0].code not in exclude:
        dept, area = zone
        return Decision(dept, limit_class, "zone", [reason("zone", area=area, department=dept.name)], 1.0)

    from services.routing.classifier import KeywordModel

    learner = learner or KeywordModel(directory)
    rule = "classifier" if learner.kind == "trained" else "keywords"
    suggestions = learner.suggest(ticket_text(ticket), exclude=exclude, top=3,
                                  known=set(directory.departments), title=ticket.get("title") or "")
    version = getattr(learner, "version", 0)
    local = directory.local_office(ticket)
    if suggestions:
        best = suggestions[0]
        dept = directory.departments[best.department_code]
        listed = [s.to_dict() for s in suggestions]
        if best.confidence >= threshold:
            return Decision(dept, limit_class, rule, refused + [
                reason("confident", department=dept.name, confidence=best.confidence, threshold=threshold),
                *best.reasons], best.confidence, listed, version)
        if local and local[0].code not in exclude and local[0].code not in {s["department_code"] for s in listed}:
            why = [reason("local_area", area=local[1], department=local[0].name)]
            listed.append({"department_code": local[0].code, "confidence": None,
                           "reasons": sentences(why), "reason_codes": why})
        return Decision(None, limit_class, "manual", refused + [
            reason("not_sure", department=dept.name, confidence=best.confidence, threshold=threshold)],
            best.confidence, listed, version)

    if local and local[0].code not in exclude:
        dept, area = local
        return Decision(dept, limit_class, "place", refused + [
            reason("place", area=area, department=dept.name)], None, [], version)

    return Decision(None, limit_class, "manual", refused + [
        reason("nothing")], None, [], version)
