"""The decision about one ticket: who has it, every attempt, and the event each one causes.

Pure Python. A :class:`Decision` is routing's aggregate, one per ticket (the
``decisions`` document, converted by ``services.routing.adapters.decisions``).
Each method checks a transition and returns the :class:`Outcome` it causes --
the event (``ticket_assigned`` or ``ticket_awaiting_dispatch``) and the fields
of the current decision it sets:

* :meth:`Decision.received` -- a new ticket, decided by the rules
  (:mod:`services.routing.domain.rules`);
* :meth:`Decision.refused` -- the department holding it refused it (退单):
  re-routed without every department that refused it, and from the
  ``max_refusals``-th refusal on a person arbitrates (仲裁);
* :meth:`Decision.assign` -- a dispatcher assigns a waiting ticket;
* :meth:`Decision.redispatch` -- a dispatcher moves it away from the
  department that holds it (改派);
* :meth:`Decision.raised` -- followup raised the case a level (提级办理,
  ``case_raised``): moved to the unit's parent as a re-dispatch, or, without
  one, to the dispatchers' queue for the centre's leadership (rule ``raised``).

Every decision also records the ticket's request type (诉求类型): as given at
intake, else suggested by :mod:`services.routing.domain.request_types`; a
dispatcher may set it when assigning or moving the ticket. The type's own time
limit, if the city sets one, replaces the class's (``shared.timelimits.deadlines``).

Co-handlers (协办) come from the dispatcher, the catalogue, and the learner's ranking
(:func:`services.routing.domain.rules.co_handler_proposals`, from the co-handler
threshold in :class:`Knowing`): an automatic dispatch sends the proposed ones in
``co_handlers``; a waiting ticket keeps them in ``co_handler_proposals`` for the
dispatcher, who keeps or drops each.

What routing knows when it decides -- the directory, the learner, its
threshold and the deadline policy -- comes in as :class:`Knowing`.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from services.routing.domain import request_types
from services.routing.domain.directory import Department, Directory
from services.routing.domain.errors import NumberReused, RoutingError
from services.routing.domain.request_types import TypeChoice, TypeLearner
from services.routing.domain.rules import DEFAULT_CO_HANDLER_THRESHOLD, Choice, Learner, Reason, decide
from shared.contract import bounds
from shared.contract.messages import PROACTIVE, REQUEST_TYPES
from shared.contract.numbering import same_instant
from shared.contract.reasons import reason, said, sentences
from shared.contract.request_types import parse as parse_request_type
from shared.timelimits.deadlines import DeadlinePolicy

MAX_REFUSALS = 2  # after this many, a person arbitrates (仲裁)
PRIORITY = {"emergency": 0, "urgent": 1, "normal": 2}  # the dispatch queue's order
TICKET_FIELDS = ("title", "description", "category", "district", "street", "address", "urgency", "request_type")
ATTEMPT_FIELDS = ("status", "department_code", "rule", "reasons", "reason_codes", "confidence", "decided_by",
                  "decided_at", "directory_version", "model_version", "request_type", "request_type_source",
                  "co_handler_proposals")
REFUSAL_FIELDS = ("department_code", "reason", "refused_at", "actor")

Doc = dict[str, Any]


class Knowing(Protocol):
    """What routing knows when it decides (``services.routing.adapters.knowledge.Knowledge``)."""

    @property
    def directory(self) -> Directory: ...

    @property
    def learner(self) -> Learner | None: ...

    @property
    def threshold(self) -> float: ...

    @property
    def policy(self) -> DeadlinePolicy: ...

    @property
    def co_handler_threshold(self) -> float: ...

    @property
    def type_learner(self) -> TypeLearner | None: ...


@dataclass(frozen=True)
class Known:
    """:class:`Knowing` as plain values (tests, benchmarks, offline tools)."""

    directory: Directory
    learner: Learner | None
    threshold: float
    policy: DeadlinePolicy
    co_handler_threshold: float = DEFAULT_CO_HANDLER_THRESHOLD
    type_learner: TypeLearner | None = None


@dataclass(frozen=True)
class Outcome:
    """What a decision causes: the event to publish and the fields of the decision it sets."""

    kind: str                    # "ticket_assigned" or "ticket_awaiting_dispatch"
    body: dict[str, Any]         # the event body
    record: dict[str, Any]       # the fields of the decision document it sets
    event_id: str | None = None  # the event that caused it, applied once only
    refusal: dict[str, Any] | None = None  # the refusal it answers, kept with the decision

    @property
    def attempt(self) -> dict[str, Any]:
        """The attempt kept in the decision's history."""
        return {k: self.record.get(k) for k in ATTEMPT_FIELDS}


@dataclass(frozen=True)
class _Before:
    """What earlier attempts leave to the next: who had it, who refused it, how many."""

    previous: str | None = None
    refused: frozenset[str] | list[str] = frozenset()
    assignments: int = 0


def ticket_record(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """What routing keeps of the ticket; ``received_at`` tells it from another under its number."""
    return dict({k: ticket.get(k) for k in TICKET_FIELDS}, received_at=ticket.get("received_at"))


def named(suggestions: Iterable[Mapping[str, Any]], directory: Directory) -> list[dict[str, Any]]:
    """Suggestions with each department's name, for a dispatcher to read."""
    out = []
    for s in suggestions:
        dept = directory.all.get(s["department_code"])
        out.append({**s, "department_name": dept.name if dept else s["department_code"]})
    return out


def co_handlers(choice: Choice, lead: Department, directory: Directory) -> list[dict[str, str]]:
    """The units to work beside ``lead`` (协办): those the dispatcher named, those the
    catalogue entry of the ticket's category lists (``co_handlers``) and those the learner's
    ranking proposes (``choice.proposed``), in service, once each."""
    entry = directory.catalogue.get(choice.category or "") or {}
    codes = [*choice.co_handlers, *(entry.get("co_handlers") or ()), *(p.department_code for p in choice.proposed)]
    found = [directory.get(code) for code in dict.fromkeys(codes) if code != lead.code]
    return [{"department_code": dept.code, "department_name": dept.name} for dept in found if dept is not None]


def check_words(by: object, why: object) -> tuple[str, str]:
    """Who decides and why, as a dispatcher says it, trimmed; ``RoutingError`` if not right."""
    if not isinstance(by, str) or not isinstance(why, str) or not by.strip() or not why.strip():
        raise RoutingError("say who decides (--by) and why (--reason)")
    if len(by) > bounds.NAME or len(why) > bounds.REASON:
        raise RoutingError(f"--by has at most {bounds.NAME} characters, --reason {bounds.REASON}")
    return by.strip(), why.strip()


def check_request_type(request_type: object) -> str | None:
    """A dispatcher's request type (its code or Chinese word): ``None`` (unchanged) or one of
    the six; ``RoutingError`` if not."""
    if request_type is None or request_type == "":
        return None
    code = parse_request_type(request_type)
    if code is None:
        raise RoutingError(f"request type {request_type!r} is none of {', '.join(REQUEST_TYPES)}")
    return code


def check_same_ticket(held: Mapping[str, Any], ticket: Mapping[str, Any]) -> None:
    """``NumberReused`` when routing holds ``ticket``'s number for another ticket (another ``received_at``)."""
    before, now = (held.get("ticket") or {}).get("received_at"), ticket.get("received_at")
    if not same_instant(before, now):
        raise NumberReused(
            f"ticket number {ticket['number']} names two tickets: routing holds the one received "
            f"at {_iso(before)}; this one was received at {_iso(now)}")


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else str(moment)


@dataclass
class Decision:
    """Routing's decision about one ticket, as stored (``decisions``)."""

    number: str
    ticket: dict[str, Any]  # ticket_record(): what routing keeps of the ticket
    status: str | None = None  # "assigned" or "awaiting_dispatch"; None before the first decision
    department_code: str | None = None
    assignments: int | None = None  # how many times it was assigned (None: not recorded)
    time_limit_class: str | None = None
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    expected: dict[str, Any] = field(default_factory=dict)  # as loaded: what a save requires still holds
    request_type: TypeChoice | None = None  # None before the first decision (or decided before types were)

    # -- the document ---------------------------------------------------------------

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> "Decision":
        status, code = doc.get("status"), doc.get("department_code")
        kind = doc.get("request_type")
        typed = TypeChoice(kind, doc.get("request_type_source") or "given", doc.get("request_type_reason") or {},
                           doc.get("request_type_confidence")) if kind in REQUEST_TYPES else None
        return cls(number=doc["number"], ticket=dict(doc.get("ticket") or {}), status=status,
                   department_code=code, assignments=doc.get("assignments"),
                   time_limit_class=doc.get("time_limit_class"),
                   suggestions=list(doc.get("suggestions") or []), refusals=list(doc.get("refusals") or []),
                   expected={"status": status, **({"department_code": code} if status == "assigned" else {})},
                   request_type=typed)

    def to_doc(self, outcome: Outcome) -> Doc:
        """The document of a new decision, with its first outcome."""
        return dict(outcome.record, number=self.number, ticket=self.ticket,
                    priority=PRIORITY.get(self.ticket.get("urgency") or "", len(PRIORITY)),
                    attempts=[outcome.attempt], refusals=list(self.refusals),
                    seen_events=[outcome.event_id] if outcome.event_id else [])

    # -- transitions ------------------------------------------------------------------

    @classmethod
    def new(cls, number: str, ticket: Mapping[str, Any]) -> "Decision":
        return cls(number=number, ticket=ticket_record(ticket))

    @classmethod
    def received(cls, ticket: Mapping[str, Any], known: Knowing, now: datetime) -> tuple["Decision", Outcome]:
        """A new ticket (a ``ticket_created`` body), decided by the rules."""
        decision = cls.new(ticket["number"], ticket)
        choice = decide(ticket, known.directory, known.learner, known.threshold,
                        co_handler_threshold=known.co_handler_threshold)
        outcome = decision.choose(choice, known.policy, now, known.directory, known.type_learner)
        return decision, replace(outcome, event_id=ticket.get("event_id"))

    def choose(self, choice: Choice, policy: DeadlinePolicy, now: datetime, directory: Directory,
               type_learner: TypeLearner | None = None) -> Outcome:
        """The first decision: what ``choice`` says; the request type as given, else the learned
        model's (``type_learner``), else the rules'."""
        self.request_type = request_types.choose(self.ticket, type_learner)
        return self._apply(self._outcome(choice, policy, now, directory, _Before()))

    def holds(self, department_code: str) -> bool:
        return self.department_code == department_code

    def refused(self, refusal: Mapping[str, Any], known: Knowing, now: datetime,
                max_refusals: int = MAX_REFUSALS) -> Outcome:
        """The department holding the ticket refused it (a ``case_refused`` body)."""
        directory = known.directory
        refused = {r["department_code"] for r in self.refusals} | {refusal["department_code"]}
        count = max(int(refusal.get("refusal_count") or 1), len(refused))
        before = _Before(previous=refusal["department_code"], refused=frozenset(refused),
                         assignments=self._assigned_times(1))
        why = reason("refused_by", department=directory.name_of(refusal["department_code"]),
                     reason=refusal["reason"])
        if count >= max_refusals:
            hint = decide(self.ticket, directory, known.learner, threshold=float("inf"), exclude=refused,
                          co_handler_threshold=known.co_handler_threshold)
            suggestions = hint.suggestions or ([{"department_code": hint.department.code,
                                                 "confidence": hint.confidence, "reasons": hint.sentences,
                                                 "reason_codes": hint.reasons}]
                                               if hint.department is not None else [])
            choice = replace(hint, department=None, rule="arbitration",
                             reasons=[why, reason("arbitration", count=count)], confidence=None,
                             suggestions=suggestions)
        else:
            choice = decide(self.ticket, directory, known.learner, threshold=known.threshold, exclude=refused,
                            co_handler_threshold=known.co_handler_threshold)
            choice = replace(choice, reasons=[why, *choice.reasons])
        outcome = self._outcome(choice, known.policy, now, directory, before)
        kept = {k: refusal.get(k) for k in REFUSAL_FIELDS}
        return self._apply(replace(outcome, event_id=refusal.get("event_id"), refusal=kept))

    def assign(self, department_code: str, by: str, why: str, known: Knowing, now: datetime,
               co: Iterable[str] = (), *, request_type: str | None = None) -> Outcome:
        """A dispatcher assigns the waiting ticket to ``department_code`` (code or name), with
        the co-handling units ``co`` (协办) beside it, and sets its ``request_type`` if given."""
        directory = known.directory
        unknown = [code for code in co if directory.get(code) is None]
        if unknown:
            raise RoutingError(f"no department {', '.join(unknown)} in service to co-handle")
        chosen = check_request_type(request_type)
        if self.status != "awaiting_dispatch":
            raise RoutingError(f"{self.number} is not waiting for a dispatcher: it is with {self.department_code}")
        dept = directory.get(department_code) or directory.get(directory.resolve(department_code))
        if dept is None:
            raise RoutingError(f"no department {department_code} in service; see `hotline routing departments`")
        suggested = [s["department_code"] for s in self.suggestions]
        reasons = [said(why)]
        if dept.code in suggested:
            reasons.append(reason("suggestion_rank", rank=suggested.index(dept.code) + 1))
        refused = [r["department_code"] for r in self.refusals]
        # the same rule as routing's own decisions: the category picked, else recognised
        entry, how, _ = directory.category_for(self.ticket, dept.code)
        choice = Choice(dept, (entry or {}).get("class", "general"), "operator", reasons,
                        suggestions=self.suggestions, category=(entry or {}).get("code"),
                        category_source=how, decided_by=by, co_handlers=tuple(co))
        before = _Before(previous=refused[-1] if refused else None, refused=refused,
                         assignments=self._assigned_times(0))
        self._set_type(chosen, by)
        return self._apply(self._outcome(choice, known.policy, now, directory, before))

    def redispatch(self, department_code: str, by: str, why: str, known: Knowing, now: datetime,
                   *, request_type: str | None = None) -> Outcome:
        """A dispatcher moves the ticket away from the department that holds it (改派),
        and sets its ``request_type`` if given."""
        directory = known.directory
        chosen = check_request_type(request_type)
        if self.status != "assigned":
            raise RoutingError(f"{self.number} is not with a department: assign it from the queue")
        dept = directory.get(department_code)
        if dept is None:
            raise RoutingError(f"no department {department_code} in service")
        current = self.department_code or ""
        if dept.code == current:
            raise RoutingError(f"{self.number} is with {current} already")
        category = directory.catalogue.get(self.ticket.get("category") or "") or {}
        choice = Choice(dept, category.get("class", self.time_limit_class or "general"), "redispatch",
                        [said(why.strip()), reason("moved_from", department=directory.name_of(current))],
                        suggestions=self.suggestions, decided_by=by)
        before = _Before(previous=current, refused=[r["department_code"] for r in self.refusals],
                         assignments=self._assigned_times(1))
        self._set_type(chosen, by)
        outcome = self._outcome(choice, known.policy, now, directory, before)
        return self._apply(replace(outcome, body=dict(outcome.body, redispatched=True)))

    def _set_type(self, chosen: str | None, by: str) -> None:
        current = (self.request_type or request_types.choose(self.ticket)).request_type
        if chosen is not None and chosen != current and PROACTIVE in (chosen, current):
            raise RoutingError("a proactive case (主动治理) has no citizen: it stays one, and no citizen's "
                               "request becomes one")
        if chosen is not None and (self.request_type is None or chosen != self.request_type.request_type):
            self.request_type = request_types.changed(chosen, by)

    @property
    def typed(self) -> TypeChoice:
        """The request type in force: as decided, or (decided before types were) from the ticket."""
        if self.request_type is None:
            self.request_type = request_types.choose(self.ticket)
        return self.request_type

    def _type_fields(self) -> dict[str, Any]:
        typed = self.typed
        return {"request_type": typed.request_type, "request_type_source": typed.source}

    def raised(self, raise_event: Mapping[str, Any], known: Knowing, now: datetime) -> Outcome:
        """Reopened too often, the case is raised a level (a ``case_raised`` body).

        ``to_department_code`` in service: re-dispatched there (``redispatched``, so
        followup moves the case); else the dispatchers decide for the centre."""
        directory = known.directory
        current = raise_event["department_code"]
        why = reason("raised_from", department=directory.name_of(current),
                     count=int(raise_event.get("reopen_count") or 0))
        before = _Before(previous=current, refused=[r["department_code"] for r in self.refusals],
                         assignments=self._assigned_times(1))
        target = directory.get(raise_event.get("to_department_code") or "")
        if target is not None and target.code != current:
            category = directory.catalogue.get(self.ticket.get("category") or "") or {}
            choice = Choice(target, category.get("class", self.time_limit_class or "general"), "raised",
                            [why], suggestions=self.suggestions, decided_by="routing")
            outcome = self._outcome(choice, known.policy, now, directory, before)
            outcome = replace(outcome, body=dict(outcome.body, redispatched=True))
        else:
            choice = Choice(None, self.time_limit_class or "general", "raised",
                            [why, reason("raised_to_centre")], suggestions=self.suggestions)
            outcome = self._outcome(choice, known.policy, now, directory, before)
        return self._apply(replace(outcome, event_id=raise_event.get("event_id")))

    # -- the events -------------------------------------------------------------------

    def _assigned_times(self, unrecorded: int) -> int:
        return unrecorded if self.assignments is None else int(self.assignments)

    def _apply(self, outcome: Outcome) -> Outcome:
        record = outcome.record
        self.status, self.department_code = record["status"], record["department_code"]
        self.assignments, self.time_limit_class = record["assignments"], record["time_limit_class"]
        self.suggestions = list(record["suggestions"])
        if outcome.refusal is not None:
            self.refusals.append(outcome.refusal)
        return outcome

    def _outcome(self, choice: Choice, policy: DeadlinePolicy, now: datetime, directory: Directory,
                 before: _Before) -> Outcome:
        if choice.department is not None:
            return self._assigned(choice, choice.department, policy, now, directory, before)
        return self._awaiting(choice, now, directory, before)

    def _assigned(self, choice: Choice, dept: Department, policy: DeadlinePolicy, now: datetime,
                  directory: Directory, before: _Before) -> Outcome:
        asked = self.ticket.get("urgency") or "normal"
        terms = policy.terms(now, choice.time_limit_class, asked, request_type=self.typed.request_type)
        reasons: list[Reason] = list(choice.reasons)
        if terms.urgency != asked:
            reasons.append(reason("urgency_raised", urgency=terms.urgency, limit_class=choice.time_limit_class))
        confidence = None if choice.confidence is None else round(float(choice.confidence), 4)
        body = {
            "number": self.number, "department_code": dept.code, "department_name": dept.name,
            "department_phone": dept.phone, "urgency": terms.urgency, "asked_urgency": asked,
            "time_limit_class": terms.time_limit_class,
            "deadline": terms.deadline,
            "sign_for_deadline": terms.sign_for_deadline,
            "title": self.ticket.get("title") or "", "category": choice.category,
            "category_source": choice.category_source, "calendar_uncovered": terms.uncovered_ranges,
            "assigned_at": now, "decided_by": choice.decided_by, "rule": choice.rule,
            "reasons": sentences(reasons), "reason_codes": reasons,
            "directory_version": directory.version, "attempt": before.assignments + 1,
            "previous_department_code": before.previous, "refused_departments": sorted(before.refused),
            "confidence": confidence,
            "model_version": choice.model_version, "received_at": self.ticket.get("received_at"),
            "co_handlers": co_handlers(choice, dept, directory),
            **self._type_fields(),
        }
        record = {"status": "assigned", "department_code": dept.code, "department_name": dept.name,
                  "rule": choice.rule, "reasons": sentences(reasons), "reason_codes": list(reasons),
                  "confidence": confidence,
                  "suggestions": named(choice.suggestions, directory), "decided_by": choice.decided_by,
                  "decided_at": now, "directory_version": directory.version,
                  "model_version": choice.model_version, "assignments": before.assignments + 1,
                  "deadline": body["deadline"], "time_limit_class": terms.time_limit_class,
                  "category": choice.category, "category_source": choice.category_source,
                  "co_handlers": body["co_handlers"],
                  "co_handler_proposals": [p.to_dict() for p in choice.proposed],
                  **self._type_fields(), "request_type_reason": self.typed.reason,
                  "request_type_confidence": self.typed.confidence,
                  "request_type_limit": terms.request_type is not None}
        return Outcome("ticket_assigned", body, record)

    def _awaiting(self, choice: Choice, now: datetime, directory: Directory, before: _Before) -> Outcome:
        listed = named(choice.suggestions, directory)
        proposed = [p.to_dict() for p in choice.proposed]
        body = {"number": self.number, "reasons": sentences(choice.reasons), "reason_codes": list(choice.reasons),
                "queued_at": now, "suggestions": listed, "co_handler_proposals": proposed,
                "attempt": before.assignments + 1, "previous_department_code": before.previous,
                "refused_departments": sorted(before.refused), **self._type_fields()}
        record = {"status": "awaiting_dispatch", "department_code": None, "department_name": None,
                  "rule": choice.rule, "reasons": sentences(choice.reasons), "reason_codes": list(choice.reasons),
                  "confidence": None if choice.confidence is None else round(float(choice.confidence), 4),
                  "suggestions": listed, "decided_by": "routing", "decided_at": now,
                  "directory_version": directory.version, "model_version": choice.model_version,
                  "assignments": before.assignments, "time_limit_class": choice.time_limit_class,
                  "category": choice.category, "category_source": choice.category_source,
                  "co_handlers": [], "co_handler_proposals": proposed,
                  **self._type_fields(), "request_type_reason": self.typed.reason,
                  "request_type_confidence": self.typed.confidence}
        return Outcome("ticket_awaiting_dispatch", body, record)


# -- the one-shot forms, over a stored decision's document (tests, benchmarks) ---------

def from_decision(number: str, ticket: Mapping[str, Any], choice: Choice, policy: DeadlinePolicy,
                  now: datetime, directory: Directory) -> Outcome:
    """The outcome of a new ticket's first ``choice``."""
    return Decision.new(number, ticket).choose(choice, policy, now, directory)


def after_refusal(record: Mapping[str, Any], refusal: Mapping[str, Any], directory: Directory,
                  learner: Learner | None, threshold: float, policy: DeadlinePolicy, now: datetime,
                  max_refusals: int = MAX_REFUSALS) -> Outcome:
    """The outcome of a department refusing the ticket of a stored decision (退单)."""
    return Decision.from_doc(record).refused(refusal, Known(directory, learner, threshold, policy), now,
                                             max_refusals)
