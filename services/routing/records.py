"""What routing stores and publishes for a decision, and what a refusal leads to.

Pure Python: builds the event bodies (``ticket_assigned``,
``ticket_awaiting_dispatch``) and the decision record routing keeps, from a
:class:`~services.routing.decide.Decision` or a dispatcher's choice.
"""
from dataclasses import replace

from services.routing.decide import Decision, decide  # noqa: F401
from shared.contract.reasons import reason, sentences

MAX_REFUSALS = 2  # after this many, a person arbitrates (仲裁)
PRIORITY = {"emergency": 0, "urgent": 1, "normal": 2}  # the dispatch queue's order
TICKET_FIELDS = ("title", "description", "category", "district", "street", "address", "urgency")


def ticket_record(ticket):
    """What routing keeps of the ticket; ``received_at`` tells it from another under its number."""
    return dict({k: ticket.get(k) for k in TICKET_FIELDS}, received_at=ticket.get("received_at"))


def named(suggestions, directory):
    """Suggestions with each department's name, for a dispatcher to read."""
    out = []
    for s in suggestions:
        dept = directory.all.get(s["department_code"])
        out.append({**s, "department_name": dept.name if dept else s["department_code"]})
    return out


class Outcome:
    """A decision about to be stored and published."""

    def __init__(self, kind, body, record):
        self.kind = kind      # "ticket_assigned" or "ticket_awaiting_dispatch"
        self.body = body      # the event body
        self.record = record  # the fields of the decision document it sets


def assigned(number, ticket, dept, limit_class, policy, now, *, decided_by, rule, reasons,
             directory, confidence=None, suggestions=(), model_version=0, previous=None,
             refused=(), assignments=0, category=None, category_source=None):
    terms = policy.terms(now, limit_class, ticket.get("urgency") or "normal")
    reasons = list(reasons)  # coded (shared.contract.reasons)
    if terms.urgency != (ticket.get("urgency") or "normal"):
        reasons.append(reason("urgency_raised", urgency=terms.urgency, limit_class=limit_class))
    body = {
        "number": number, "department_code": dept.code, "department_name": dept.name,
        "department_phone": dept.phone, "urgency": terms.urgency,
        "asked_urgency": ticket.get("urgency") or "normal",
        "time_limit_class": terms.time_limit_class,
        "deadline": terms.deadline,
        "sign_for_deadline": terms.sign_for_deadline,
        "title": ticket.get("title") or "", "category": category,
        "category_source": category_source, "calendar_uncovered": terms.uncovered_ranges,
        "assigned_at": now, "decided_by": decided_by, "rule": rule, "reasons": sentences(reasons),
        "reason_codes": reasons,
        "directory_version": directory.version, "attempt": assignments + 1,
        "previous_department_code": previous, "refused_departments": sorted(refused),
        "confidence": None if confidence is None else round(float(confidence), 4),
        "model_version": model_version, "received_at": ticket.get("received_at"),
    }
    record = {"status": "assigned", "department_code": dept.code, "department_name": dept.name,
              "rule": rule, "reasons": sentences(reasons), "reason_codes": list(reasons),
              "confidence": body["confidence"],
              "suggestions": named(suggestions, directory), "decided_by": decided_by,
              "decided_at": now, "directory_version": directory.version,
              "model_version": model_version, "assignments": assignments + 1,
              "deadline": body["deadline"], "time_limit_class": terms.time_limit_class,
              "category": category, "category_source": category_source}
    return Outcome("ticket_assigned", body, record)


def awaiting(number, now, *, rule, reasons, directory, confidence=None, suggestions=(),
             model_version=0, previous=None, refused=(), assignments=0, limit_class="general",
             category=None, category_source=None):
    listed = named(suggestions, directory)
    body = {"number": number, "reasons": sentences(reasons), "reason_codes": list(reasons),
            "queued_at": now, "suggestions": listed,
            "attempt": assignments + 1, "previous_department_code": previous,
            "refused_departments": sorted(refused)}
    record = {"status": "awaiting_dispatch", "department_code": None, "department_name": None,
              "rule": rule, "reasons": sentences(reasons), "reason_codes": list(reasons),
              "confidence": None if confidence is None else round(float(confidence), 4),
              "suggestions": listed, "decided_by": "routing", "decided_at": now,
              "directory_version": directory.version, "model_version": model_version,
              "assignments": assignments, "time_limit_class": limit_class,
              "category": category, "category_source": category_source}
    return Outcome("ticket_awaiting_dispatch", body, record)


def from_decision(number, ticket, decision: Decision, policy, now, directory, *, previous=None,
                  refused=(), assignments=0):
    if decision.decided:
        return assigned(number, ticket, decision.department, decision.time_limit_class, policy, now,
                        decided_by="routing", rule=decision.rule, reasons=decision.reasons,
                        directory=directory, confidence=decision.confidence,
                        suggestions=decision.suggestions, model_version=decision.model_version,
                        previous=previous, refused=refused, assignments=assignments,
                        category=decision.category, category_source=decision.category_source)
    return awaiting(number, now, rule=decision.rule, reasons=decision.reasons, directory=directory,
                    confidence=decision.confidence, suggestions=decision.suggestions,
                    model_version=decision.model_version, previous=previous, refused=refused,
                    assignments=assignments, limit_class=decision.time_limit_class,
                    category=decision.category, category_source=decision.category_source)


def after_refusal(record, refusal, directory, learner, threshold, policy, now, max_refusals=MAX_REFUSALS):
    """The outcome of a department refusing the ticket it holds (退单).

    Re-routes without every department that refused it; from the
    ``max_refusals``-th refusal on, a person arbitrates, with suggestions.
    """
    refused = {r["department_code"] for r in record.get("refusals") or []} | {refusal["department_code"]}
    count = max(int(refusal.get("refusal_count") or 1), len(refused))
    ticket = record["ticket"]
    common = dict(previous=refusal["department_code"], refused=refused,
                  assignments=record.get("assignments", 1))
    why = reason("refused_by", department=directory.name_of(refusal["department_code"]), reason=refusal["reason"])
    if count >= max_refusals:
        hint = decide(ticket, directory, learner, threshold=float("inf"), exclude=refused)
        suggestions = hint.suggestions or ([{"department_code": hint.department.code, "confidence": hint.confidence,
                                             "reasons": hint.sentences, "reason_codes": hint.reasons}]
                                           if hint.decided else [])
        return awaiting(record["number"], now, rule="arbitration", directory=directory,
                        reasons=[why, reason("arbitration", count=count)],
                        suggestions=suggestions, model_version=hint.model_version,
                        limit_class=hint.time_limit_class, category=hint.category,
                        category_source=hint.category_source, **common)
    decision = decide(ticket, directory, learner, threshold=threshold, exclude=refused)
    decision = replace(decision, reasons=[why, *decision.reasons])
    return from_decision(record["number"], ticket, decision, policy, now, directory, **common)
