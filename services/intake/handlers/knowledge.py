"""The knowledge base (知识库): units maintain their entries, the centre reviews, operators use them.

* ``search_knowledge``: operators' suggestions while they type -- published entries
  that have not expired, best first;
* ``knowledge_entries`` / ``knowledge_entry``: the entries a person may maintain
  (a unit's staff: their unit's own; the centre: all), with what is due for review;
* ``save_knowledge_draft``, ``submit_knowledge_entry``: a unit edits its entry (a new
  one is its own) and submits it; the centre's reviewers, supervisors and
  administrators may edit any;
* ``decide_knowledge_entry``: a reviewer (or supervisor) of the centre publishes the
  submitted version or sends it back with a reason (``knowledge_entry_decided``);
* ``knowledge_feedback``: an operator's verdict on an answer offered -- helped,
  wrong, outdated -- which its unit reads; enough bad ones flag it for review;
* ``flag_knowledge_for_review`` (a timer): entries expired or past their review date
  are told to their unit once (``knowledge_review_due``); notify delivers both events;
* ``import_knowledge``: an administrator's file, published at once as the centre's.

Each change is load -> the ``KnowledgeEntry``'s verb -> save with its events, in
one unit of work (``adapters/knowledge.py``).
"""
import datetime as dt
import logging
import re
import uuid

from services.intake.bootstrap import Deps
from services.intake.domain import knowledge
from services.intake.domain.knowledge_entry import (
    FEEDBACK_FLAG,
    FLAG_AFTER,
    STATES,
    Author,
    KnowledgeEntry,
    KnowledgeInvalid,
    NotYourEntry,
    TransitionRefused,
    checked,
)
from services.intake.handlers.errors import ValidationFailed
from shared.platform.config import city_zone
from shared.platform.identity import STAFF_ROLES, NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.unit_of_work import LostRace

log = logging.getLogger(__name__)

CENTRE = ("reviewer", "supervisor", "admin")   # may maintain any entry
APPROVERS = ("reviewer", "supervisor")          # publish or send back a submitted version
MAINTAINERS = ("department", *CENTRE)
PAGE_MAX = 50
REVIEW_DAYS = 365
CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _settings(deps: Deps):
    section = (deps.config.get("INTAKE") or {}).get("knowledge") or {}
    return int(section.get("flag_after", FLAG_AFTER)), dt.timedelta(days=int(section.get("review_days",
                                                                                          REVIEW_DAYS)))


def _person(deps: Deps, *roles):
    """(the signed-in person as an author, their unit when they act for a unit only)."""
    person = deps.caller.require(*roles)
    unit = None
    if person.is_department_only:
        if not person.department:
            raise NotAllowed(f"{person.name} belongs to no unit")
        unit = person.department
    return Author(person.user_id, person.name), unit


def _load(deps: Deps, entry_id, unit=None):
    entry = deps.knowledge.load(entry_id)
    if entry is None:
        raise ValidationFailed({"entry_id": [f"no knowledge entry {entry_id!r}"]})
    return entry


def _day(value, name, zone, errors):
    """``2027-06-30`` -> the start of that day in the city, in UTC; None if empty."""
    if value in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = ["a date like 2027-06-30"]
        return None
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _draft(deps: Deps, draft, now):
    if not isinstance(draft, dict):
        raise ValidationFailed({"draft": ["the entry's fields"]})
    errors: dict = {}
    zone = city_zone(deps.config)
    expires, review = _day(draft.get("expires_on"), "expires_on", zone, errors), \
        _day(draft.get("review_on"), "review_on", zone, errors)
    try:
        clean = checked(draft.get("question"), draft.get("answer"), draft.get("keywords"), expires, review, now)
    except KnowledgeInvalid as exc:
        errors.update({{"expires_at": "expires_on", "review_at": "review_on"}.get(k, k): v
                       for k, v in exc.errors.items()})
    if errors:
        raise ValidationFailed(errors)
    return clean


def _change(deps: Deps, entry_id, unit, verb):
    """Load, ``verb(entry)`` (its events), save -- again on a lost race; the entry's view."""
    uow = deps.uow()

    def work():
        entry = _load(deps, entry_id, unit)
        events = verb(entry) or []
        return deps.knowledge.save(uow, entry, events)
    try:
        return view(uow.run(work), deps.clock.now())
    except KnowledgeInvalid as exc:
        raise ValidationFailed(exc.errors) from None
    except TransitionRefused as exc:
        raise ValidationFailed({"state": [str(exc)]}) from None
    except NotYourEntry as exc:
        raise NotAllowed(str(exc)) from None


def view(doc, now, flag_after=FLAG_AFTER):
    """An entry as the workbench shows it: its versions, feedback and why it is due for review."""
    entry = KnowledgeEntry.from_doc(doc)
    shown = {k: v for k, v in doc.items() if k not in ("_id", "outbox", "terms", "revision", "flagged")}
    shown.update(state=entry.state, due=entry.due(now, flag_after), offered=entry.offered(now),
                 revision=entry.revision,
                 versions=[v.to_doc() for v in reversed(entry.versions)])  # newest first
    return jsonable(shown)


# -- operators -----------------------------------------------------------------------

def search_knowledge(deps: Deps, query, limit=5):
    """Published, unexpired entries answering ``query``, best first, with scores."""
    if not isinstance(query, str):
        raise ValidationFailed({"query": ["the caller's question, as text"]})
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise ValidationFailed({"limit": ["a whole number"]})
    candidates = deps.knowledge.candidates(knowledge.query_terms(query), deps.clock.now())
    found = knowledge.rank(query, candidates, limit=max(1, min(int(limit), 50)))
    return jsonable([{k: v for k, v in item.items() if k != "terms"} for item in found])


def knowledge_feedback(deps: Deps, entry_id, kind, comment=None):
    """An operator's verdict on an answer offered: ``helped``, ``wrong`` or ``outdated``."""
    author, _ = _person(deps, *STAFF_ROLES)
    now = deps.clock.now()
    flag_after, _ = _settings(deps)
    shown = _change(deps, entry_id, None, lambda entry: entry.give_feedback(kind, comment, author, now, flag_after))
    log.info("knowledge %s: feedback %s by %s", entry_id, kind, author.user_id)
    return {"entry_id": shown["id"], "feedback": shown["feedback"]}


# -- units and the centre --------------------------------------------------------------

def knowledge_entries(deps: Deps, criteria=None, offset=0, limit=20):
    """A page of the entries the person maintains or reviews: ``criteria`` -- ``state``
    (draft, submitted, published, rejected), ``owner`` (a unit's code, the centre's
    staff only; a unit's staff always see their own), ``due`` (due for review only)."""
    _, unit = _person(deps, *MAINTAINERS)
    criteria = criteria if isinstance(criteria, dict) else {}
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (offset, limit)):
        raise ValidationFailed({"offset": ["whole numbers"]})
    query: dict = {}
    owner = unit or criteria.get("owner")
    if owner:
        if not isinstance(owner, str) or not CODE.fullmatch(owner):
            raise ValidationFailed({"owner": ["a unit's code"]})
        query["owner"] = owner
    state = criteria.get("state")
    if state:
        if state not in STATES:
            raise ValidationFailed({"state": [f"one of {', '.join(STATES)}"]})
        query["state"] = state
    now = deps.clock.now()
    if criteria.get("due"):
        query["$or"] = [{"expires_at": {"$lte": now}}, {"review_at": {"$lte": now}},
                        {"flagged": {"$regex": f":{FEEDBACK_FLAG}$"}}]
        query["question"] = {"$ne": None}
    found, total = deps.knowledge.page(query, max(0, offset), max(1, min(limit, PAGE_MAX)))
    flag_after, _ = _settings(deps)
    return {"entries": [view(doc, now, flag_after) for doc in found], "total": total}


def knowledge_entry(deps: Deps, entry_id):
    """One entry with its versions and feedback (a unit's staff: their unit's only)."""
    _, unit = _person(deps, *MAINTAINERS)
    doc = deps.knowledge.document(entry_id)
    if doc is None or (unit is not None and doc.get("owner") != unit):
        return None
    return view(doc, deps.clock.now(), _settings(deps)[0])


def save_knowledge_draft(deps: Deps, entry_id, draft):
    """Save ``draft`` (question, answer, keywords, expires_on, review_on; the centre may name
    an ``owner``) as the newest version of ``entry_id``, or of a new entry when it is None."""
    author, unit = _person(deps, *MAINTAINERS)
    now = deps.clock.now()
    clean = _draft(deps, draft, now)
    if entry_id is None:
        owner = unit or draft.get("owner") or None
        if owner is not None and (not isinstance(owner, str) or not CODE.fullmatch(owner)):
            raise ValidationFailed({"owner": ["a unit's code"]})
        category = draft.get("category") if isinstance(draft.get("category"), str) else None
        entry = KnowledgeEntry.create(f"KB-{uuid.uuid4().hex[:10].upper()}", owner, clean, author, now,
                                      category or None)
        doc = deps.uow().run(lambda: deps.knowledge.save(None, entry))
        log.info("knowledge %s drafted for %s by %s", entry.id, owner or "the centre", author.user_id)
        return view(doc, now)
    return _change(deps, entry_id, unit, lambda entry: entry.edit(clean, author, unit, now))


def submit_knowledge_entry(deps: Deps, entry_id):
    """The draft of ``entry_id``, for the centre's review."""
    author, unit = _person(deps, *MAINTAINERS)
    now = deps.clock.now()
    return _change(deps, entry_id, unit, lambda entry: entry.submit(author, unit, now))


def decide_knowledge_entry(deps: Deps, entry_id, approve, reason=None):
    """Publish the submitted version of ``entry_id`` (``approve``), or send it back with ``reason``."""
    reviewer, _ = _person(deps, *APPROVERS)
    if not isinstance(approve, bool):
        raise ValidationFailed({"approve": ["true (publish) or false (send back)"]})
    now = deps.clock.now()
    _, review_after = _settings(deps)
    shown = _change(deps, entry_id, None, lambda entry: entry.approve(reviewer, now, review_after) if approve
                    else entry.reject(reviewer, reason, now))
    log.info("knowledge %s version %s %s by %s", entry_id, shown["versions"][0]["number"],
             "published" if approve else "sent back", reviewer.user_id)
    return shown


def import_knowledge(deps: Deps, entries):
    """Add entries, or new versions of entries (rows read from YAML or CSV), published as the
    centre's; returns how many."""
    if not isinstance(entries, list):
        raise ValidationFailed({"entries": ["a list of entries"]})
    try:
        clean = [knowledge.entry(row, position) for position, row in enumerate(entries, 1)]
    except knowledge.BadEntry as exc:
        raise ValidationFailed({"entries": [str(exc)]}) from None
    return deps.knowledge.put_imported(clean, deps.clock.now())


# -- the review due ----------------------------------------------------------------------------

def flag_knowledge_for_review(deps: Deps):
    """Tell each unit once of its entries expired or past their review date; how many were told."""
    now = deps.clock.now()
    flag_after, _ = _settings(deps)
    told = 0
    for entry in deps.knowledge.due(now):
        told += _tell(deps, entry, now, flag_after)
    if told:
        log.info("knowledge: %d entr(ies) due for review told to their units", told)
    return told


def _tell(deps: Deps, entry, now, flag_after):
    """Mark what is due of ``entry`` as told, with its ``knowledge_review_due``; how many events."""
    before = list(entry.flagged)
    events = entry.review_due(now, flag_after)
    if entry.flagged == before:
        return 0
    uow = deps.uow()
    try:
        uow.run(lambda: deps.knowledge.save(uow, entry, events), retries=1)
    except LostRace:
        return 0  # changed meanwhile: the next round looks again
    return len(events)
