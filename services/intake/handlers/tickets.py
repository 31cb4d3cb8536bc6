"""Taking a request in: every channel ends in ``accept``.

Validate, return the ticket accepted before for the same source id or
idempotency key, link a repeat of an open ticket (合并工单) instead of
dispatching it, or number, store and publish a new ticket
(``ticket_created``) -- in one unit of work: a number taken meanwhile is a
lost race, and the work runs again with the next number.

Also here: what operators do with a ticket (answer on the call, unlink a
false repeat), the ticket's view, and the caller's contact for notify.
"""
import logging

from marshmallow import ValidationError

from services.intake.bootstrap import NUMBER_TRIES, Deps
from services.intake.domain import NotLinked, NotOpen, Ticket, proactive
from services.intake.domain.checks import owing
from services.intake.domain.duplicates import DuplicateRules, bounding_box, find_master, phone_key
from services.intake.domain.public import lookup_code
from services.intake.domain.rebounds import find_rebound
from services.intake.domain.ticket import EVENT_TYPES, contact, public_view
from services.intake.entrypoints.schemas import ProactiveRequest, load_request
from services.intake.handlers.errors import IdempotencyConflict, ValidationFailed
from services.intake.handlers.lookups import phone_allowed
from services.intake.handlers.numbering import new_number
from services.intake.handlers.quality_checks import after_accept
from services.intake.handlers.reconcile import first_check
from shared.contract import field_errors, reasons
from shared.platform.city import district_names
from shared.platform.jsonable import jsonable
from shared.platform.outbox import outboxed
from shared.platform.unit_of_work import LostRace

log = logging.getLogger(__name__)


def accept(deps: Deps, data, schema_cls=None, idempotency=None, answer_with=None, operator=None,
           link_to=None, received_by=None, request_digest=None, public=False, viewed=True, transfer=None,
           evidence=None):
    """Validate and take in a request; the view of the ticket the caller quotes.

    The view carries ``outcome`` -- ``created``, ``existing`` (accepted
    before), ``linked`` (repeats an open ticket, whose number it shows) or
    ``answered`` or ``transferred`` (``transfer``: handed to another line,
    ``handlers/transfers.py``) -- and ``received_as``, the number this request was
    stored under. ``request_digest`` ties an idempotency key to the request
    it was first sent with; ``public`` counts the caller's phone against
    its rate limit (``TooManyRequests``). A door that answers with a receipt
    only (HTTP, Open311, AMQP) passes ``viewed=False``: of the view, only the
    quoted ticket's ``number``, ``status`` and ``received_at`` (its history is not read).
    ``evidence``: a proactive case's (``domain/proactive.py``): kept on the ticket, and the
    case is never taken for a repeat of a citizen's ticket.
    """
    try:
        valid = load_request(data, district_names(deps.city), category_codes(deps), schema_cls)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    source = {"system": valid["source_system"], "id": valid["external_id"]} \
        if valid["source_system"] else None

    def accepted_before():
        existing = deps.tickets.find_existing(source, idempotency)
        if existing and request_digest and existing.get("request_digest") not in (None, request_digest):
            raise IdempotencyConflict()
        return existing

    existing = accepted_before()
    if existing:
        return outcome(deps, "existing", existing, viewed)
    if public:
        phone_allowed(deps, valid)

    uow, tries = deps.uow(NUMBER_TRIES), [0]

    def take_in():
        if tries[0]:  # the work lost a race: perhaps the same request, accepted a moment ago
            existing = accepted_before()
            if existing:
                return "existing", existing
        tries[0] += 1
        now = deps.clock.now()
        ticket = Ticket.receive(new_number(deps, now), valid, now, phone_key(valid["caller_phone"]),
                                idempotency, request_digest, received_by)
        if evidence is not None:
            ticket.doc["evidence"] = evidence
        result, event = ("created", ticket.create()) if evidence is not None else \
            settle(deps, ticket, valid, now, answer_with, operator, link_to, transfer)
        outbox = [outboxed(EVENT_TYPES[result], event)]
        if result == "created":
            ticket.doc.update(owing(first_check(deps, now)))
            rebound = rebound_of(deps, ticket, valid, now) if evidence is None else None  # the centre's own
            if rebound is not None:
                outbox.append(outboxed("ticket_rebounded", rebound))
        deps.tickets.add(ticket.to_doc(), outbox, uow)
        return result, ticket.to_doc()

    try:
        result, doc = uow.run(take_in)
    except LostRace:
        raise RuntimeError(f"no free ticket number after {NUMBER_TRIES} tries") from None
    if result != "existing":
        log.info("ticket %s received by %s: %s%s%s", doc["number"], valid["channel"], result,
                 f" to {doc['linked_to']}" if result == "linked" else "",
                 f", a rebound of {doc['rebound_of']}" if doc.get("rebound_of") else "")
    after_accept(deps, result, doc)  # the quality sample (质检): never fails the request
    return outcome(deps, result, doc, viewed)


def settle(deps: Deps, ticket: Ticket, valid, now, answer_with, operator, link_to=None, transfer=None):
    """Answered on the call, handed to another line, a repeat of an open ticket, or new:
    ``(outcome, event)``."""
    if transfer:
        return "transferred", transfer(ticket, now)
    if answer_with:
        return "answered", ticket.answer(answer_with, operator, now)
    if link_to:  # the operator saw it repeats an open ticket and linked it
        found = deps.tickets.get(link_to)
        linked_by = reasons.reason("linked_by", person=operator or "an operator")
        try:
            if found is None:
                raise NotOpen(link_to)
            return "linked", ticket.link(Ticket.from_doc(found), linked_by, now)
        except NotOpen:
            raise ValidationFailed({"link_to": [field_errors.message("not_open", number=link_to)]}) from None
    rules = DuplicateRules.from_config(deps.config.get("INTAKE"))
    box = bounding_box(valid["lat"], valid["lng"], rules.place_meters) if valid["lat"] is not None else None
    master, why = find_master(
        valid, now, deps.tickets.recent_by_caller(ticket.doc["caller"]["phone_key"], now - rules.caller_window),
        deps.tickets.recent_nearby(valid["category"], box, now - rules.place_window), rules)
    if master is not None and why is not None:
        return "linked", ticket.link(Ticket.from_doc(master), why, now)
    return "created", ticket.create()


def rebound_of(deps: Deps, ticket: Ticket, valid, now):
    """A new ticket that comes back to a case closed as solved within the window (防反弹):
    marked, and its ``ticket_rebounded`` event; else None."""
    rules = deps.rebounds
    since = now - rules.window
    by_place = []
    if valid["category"]:
        box = bounding_box(valid["lat"], valid["lng"], rules.place_meters) if valid["lat"] is not None else None
        by_place = deps.tickets.closed_nearby(valid["category"], box, since) if box else \
            deps.tickets.closed_at_address(valid["category"], valid["address"], since)
    found = find_rebound(valid, now, deps.tickets.closed_by_caller(ticket.doc["caller"]["phone_key"], since),
                         by_place, rules)
    return None if found is None else ticket.rebound(found.rebound_of, found.basis, found.why, found.closed_at, now)


def outcome(deps: Deps, result, ticket, viewed=True):
    quoted = ticket
    if ticket.get("linked_to"):
        quoted = deps.tickets.get(ticket["linked_to"]) or ticket
    shown = view(deps, quoted) if viewed else \
        {"number": quoted["number"], "status": quoted["status"], "received_at": quoted["received_at"]}
    return dict(shown, outcome=result, received_as=ticket["number"],
                lookup_code=lookup_code(deps.secret, ticket["number"]))


def view(deps: Deps, ticket):
    ticket = dict(ticket, history=deps.tickets.history_of(ticket))
    return dict(jsonable(public_view(ticket)), linked=deps.tickets.linked_to(ticket["number"]),
                rebounds=deps.tickets.rebounds_of(ticket["number"]))


def category_codes(deps: Deps):
    return [entry["code"] for entry in deps.catalogue.entries()]


# -- operators -----------------------------------------------------------------

def operator(deps: Deps):
    """The signed-in operator taking the call, or ``NotAllowed``."""
    person = deps.caller.require("operator")
    return person.name, {"user_id": person.user_id, "name": person.name}


def submit_ticket(deps: Deps, request, idempotency_key=None, link_to=None):
    """Take in a request; see ``accept``. From an operator (a signed identity), the ticket
    records who took it, and ``link_to`` links it to an open ticket it repeats (合并工单).
    Other systems and web forms call without a person."""
    name, received_by = operator(deps) if (deps.caller.presented or link_to) else (None, None)
    return accept(deps, request, idempotency=f"rpc:{idempotency_key}" if idempotency_key else None,
                  operator=name, link_to=link_to, received_by=received_by)


def submit_proactive(deps: Deps, finding):
    """A supervisor turns insight's ``finding`` into a proactive case (主动治理, ``domain/proactive.py``):
    no citizen, dispatched like any ticket. Once per finding: the second time, the case the
    first made (``outcome`` ``existing``)."""
    person = deps.caller.require("supervisor")
    names = {entry["code"]: entry.get("name") for entry in deps.catalogue.entries()}
    try:
        case = proactive.from_finding(finding, names.get)
    except proactive.BadFinding as exc:
        raise ValidationFailed(exc.errors) from None
    return accept(deps, case.request, ProactiveRequest, idempotency=case.idempotency_key, operator=person.name,
                  received_by={"user_id": person.user_id, "name": person.name}, evidence=case.evidence)


def answer_ticket(deps: Deps, request, entry_id):
    """A request answered on the call from knowledge entry ``entry_id``; not dispatched.
    The operator recorded is the one signed in."""
    name, received_by = operator(deps)
    entry = deps.knowledge.offered(entry_id, deps.clock.now()) if isinstance(entry_id, str) else None
    if entry is None:
        raise ValidationFailed({"entry_id": [field_errors.message("no_entry", entry=repr(entry_id))]})
    return accept(deps, request, answer_with=entry, operator=name, received_by=received_by)


def get_ticket(deps: Deps, number):
    ticket = deps.tickets.get(number) if isinstance(number, str) else None
    return view(deps, ticket) if ticket else None


def unlink_ticket(deps: Deps, number):
    """A false match: the linked ticket becomes a ticket of its own and is dispatched."""
    person = deps.caller.require("operator", "dispatcher").name
    found = deps.tickets.get(number) if isinstance(number, str) else None
    if found is None:
        raise ValidationFailed({"number": [f"{number} is not a ticket linked to another"]})
    ticket = Ticket.from_doc(found)
    master = ticket.linked_to
    now = deps.clock.now()
    try:
        entry, created = ticket.unlink(person, now)
    except NotLinked:
        raise ValidationFailed({"number": [f"{number} is not a ticket linked to another"]}) from None
    uow = deps.uow()
    doc = uow.run(lambda: deps.tickets.unlink(number, entry, [outboxed("ticket_created", created)],
                                              owing(first_check(deps, now)), uow))
    if doc is None:
        raise ValidationFailed({"number": [f"{number} was unlinked already"]})
    log.info("ticket %s unlinked from %s and sent for dispatch", number, master)
    return view(deps, deps.tickets.get(number))


def get_citizen_contact(deps: Deps, number):
    """The caller's name, phone and email, and the ticket's lookup code, for notify to
    reach them; None if unknown."""
    ticket = deps.tickets.caller_of(number) if isinstance(number, str) else None
    if not ticket:
        return None
    return dict(contact(ticket), lookup_code=lookup_code(deps.secret, number))


def list_services(deps: Deps):
    """The catalogue intake offers: routing's, or the directory file's when routing is down."""
    entries = deps.catalogue.entries()
    return {"source": deps.catalogue.source, "services": entries}
