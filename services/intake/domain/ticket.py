"""The ticket: what intake holds of a request, and the changes intake itself makes.

Pure Python: no nameko, pymongo or marshmallow here. ``Ticket`` is the
aggregate (a dataclass over the stored document, whose shape does not
change: ``from_doc``/``to_doc``); each of its methods checks a transition
and returns the event it causes. The document functions below it
(``new_ticket``, ``linked``, ``public_view`` ...) say what each change writes.

The other services' progress (assigned, signed for, closed ...) is not
changed here: intake only records it (``handlers/status.py``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shared.contract import events

from .shared import (
    Coded,
    Doc,
    Event,
    mask_name,
    mask_phone,
    new_event,
    noted,
    parse_number,
    reason,
    scrub,
    scrubbed,
    sentence,
)

TICKET_FIELDS = ("title", "description", "category", "district", "street", "address",
                 "lat", "lng", "urgency", "channel", "request_type")
# The call a ticket was recorded during (the PBX's callId, the recording's link): staff only.
CALL_FIELDS = ("call_id", "recording_url")

# The statuses of a ticket that is not open: finished, or itself a repeat of another.
CLOSED = ("closed", "answered", "transferred")
NOT_OPEN = (*CLOSED, "linked")

# Which event each outcome of a request publishes.
EVENT_TYPES = {"created": "ticket_created", "linked": "ticket_linked", "answered": "ticket_answered",
               "transferred": "ticket_transferred"}


def is_open(status: str | None) -> bool:
    """A ticket a new request may repeat, or an operator may link one to."""
    return status not in NOT_OPEN


class NotOpen(ValueError):
    """The ticket to link to is closed, answered or itself a repeat (or unknown)."""


class NotLinked(ValueError):
    """Only a ticket linked to another can be unlinked."""


@dataclass
class Ticket:
    """A ticket: its number, its status, what it repeats; ``doc`` holds the rest as stored."""

    number: str
    status: str
    linked_to: str | None = None
    doc: Doc = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Doc) -> Ticket:
        return cls(number=doc["number"], status=doc.get("status") or "received",
                   linked_to=doc.get("linked_to"), doc=dict(doc))

    def to_doc(self) -> Doc:
        doc = dict(self.doc, number=self.number, status=self.status)
        if self.linked_to is not None:
            doc["linked_to"] = self.linked_to
        return doc

    @classmethod
    def receive(cls, number: str, request: Doc, at: dt.datetime, phone_key: str | None = None,
                idempotency_key: str | None = None, request_digest: str | None = None,
                received_by: Doc | None = None) -> Ticket:
        """A request taken in under ``number``: by which channel, from whom, by which person."""
        doc = new_ticket(number, request, at, phone_key)
        if idempotency_key:
            doc["idempotency_key"] = idempotency_key
            if request_digest:
                doc["request_digest"] = request_digest
        if received_by:
            doc["received_by"] = received_by
            doc["history"][-1] = received(at, request.get("channel"), received_by["name"])
        return cls.from_doc(doc)

    @property
    def is_open(self) -> bool:
        return is_open(self.status)

    def create(self) -> Event:
        """A new ticket, to be dispatched: ``ticket_created``."""
        return new_event(events.TicketCreated, **ticket_created_body(self.to_doc()))

    def link(self, master: Ticket, why: Coded, at: dt.datetime) -> Event:
        """This request repeats the open ticket ``master``: it waits with it, undispatched."""
        if not master.is_open:
            raise NotOpen(master.number)
        doc = linked(self.to_doc(), master.to_doc(), why, at)
        self.status, self.linked_to, self.doc = doc["status"], doc["linked_to"], doc
        return new_event(events.TicketLinked, number=self.number, linked_to=master.number,
                         reason=doc["link_reason"], category=doc.get("category"),
                         district=doc.get("district"), channel=doc.get("channel"), linked_at=at)

    def rebound(self, earlier: str, basis: str, why: Coded, closed_at: dt.datetime, at: dt.datetime) -> Event:
        """A new ticket that comes back to ``earlier``, closed as solved ``closed_at`` (防反弹,
        ``rebounds.py``): dispatched as usual, and ``ticket_rebounded`` says so."""
        said = reason("rebound", number=earlier)
        self.doc.update(rebound_of=earlier, rebound_reason=sentence(why))
        self.doc.setdefault("history", []).append({"at": at, "status": "rebound", **noted(said, why)})
        return new_event(events.TicketRebounded, number=self.number, rebound_of=earlier, basis=basis,
                         reason=sentence(why), reason_codes=[why], category=self.doc.get("category"),
                         district=self.doc.get("district"), channel=self.doc.get("channel"),
                         received_at=self.doc["received_at"], closed_at=closed_at)

    def answer(self, entry: Doc, operator: str | None, at: dt.datetime) -> Event:
        """Answered on the call from the knowledge base, so closed at once: ``ticket_answered``."""
        doc = answered(self.to_doc(), entry, operator, at)
        self.status, self.doc = doc["status"], doc
        return new_event(events.TicketAnswered, number=self.number, title=doc.get("title"),
                         category=doc.get("category"), district=doc.get("district"),
                         channel=doc.get("channel"), entry_id=entry["id"], answered_by=operator,
                         answered_at=at)

    def unlink(self, person: str | None, at: dt.datetime) -> tuple[Doc, Event]:
        """A false match: a ticket of its own again, to be dispatched -- its history entry
        and ``ticket_created``."""
        if self.status != "linked":
            raise NotLinked(self.number)
        entry = {"at": at, "status": "unlinked", **noted(reason(
            "unlinked", number=self.linked_to, person=person or "an operator"))}
        self.status, self.linked_to = "received", None
        self.doc.pop("linked_to", None)
        self.doc.pop("link_reason", None)
        return entry, self.create()

    def erase(self, at: dt.datetime) -> tuple[Doc, Event]:
        """Its personal data erased, kept no longer than needed: the fields and
        ``personal_data_erased``."""
        changes = erasure(self.to_doc(), at)
        event = new_event(events.PersonalDataErased, number=self.number,
                          closed_at=self.doc.get("closed_at"), erased_at=at)
        self.doc.update(changes)
        return changes, event


# -- what each change writes in the stored document -------------------------------------

def new_ticket(number: str, request: Doc, received_at: dt.datetime, phone_key: str | None = None) -> Doc:
    """The ticket as intake stores it, from a validated request.

    ``source`` (another system's id for it) is present only when given, so a
    unique index over it skips the tickets that have none.
    """
    ticket = {name: request.get(name) for name in TICKET_FIELDS}
    series, sequence = parse_number(number) or (None, None)
    ticket.update(
        number=number, series=series, sequence=sequence,
        caller={"name": request.get("caller_name"), "phone": request.get("caller_phone"),
                "email": request.get("caller_email"), "phone_key": phone_key},
        media_url=request.get("media_url"),
        received_at=received_at,
        updated_at=received_at,
        status="received",
        history=[received(received_at, request.get("channel"))],
    )
    for name in CALL_FIELDS:
        if request.get(name):
            ticket[name] = request[name]
    if request.get("source_system"):
        ticket["source"] = {"system": request["source_system"], "id": request["external_id"]}
    return ticket


def received(at: dt.datetime, channel: str | None, person: str | None = None) -> Doc:
    """The history's first entry: by which channel, and by whom when a person took the call."""
    said = reason("received_by", channel=channel, person=person) if person else reason("received", channel=channel)
    return {"at": at, "status": "received", **noted(said)}


def linked(ticket: Doc, master: Doc, why: Coded, at: dt.datetime) -> Doc:
    """``ticket`` repeats ``master`` (``why``: a coded reason): it waits with it instead of being dispatched."""
    ticket.update(status="linked", linked_to=master["number"], link_reason=sentence(why))
    ticket["history"].append({"at": at, "status": "linked",
                              **noted(reason("repeats", number=master["number"]), why)})
    return ticket


def answered(ticket: Doc, entry: Doc, operator: str | None, at: dt.datetime) -> Doc:
    """Closed on the call with an answer from the knowledge base (直接答复)."""
    ticket.update(status="answered", reply=entry["answer"], closed_at=at, updated_at=at,
                  answer={"entry_id": entry["id"], "question": entry["question"], "by": operator})
    ticket["history"].append({"at": at, "status": "answered",
                              **noted(reason("answered", entry=entry["id"], person=operator or "an operator"))})
    return ticket


def contact(ticket: Doc) -> Doc:
    """The caller in full, for the services that must reach them (notify)."""
    caller = ticket.get("caller") or {}
    return {"name": caller.get("name"), "phone": caller.get("phone"), "email": caller.get("email")}


def ticket_created_body(ticket: Doc) -> Doc:
    """What routing needs to know: the request, with the caller masked and the text
    scrubbed of phone, ID-card and bank-card numbers and e-mail addresses."""
    body = {name: ticket.get(name) for name in TICKET_FIELDS}
    body.update(title=scrub(ticket.get("title")), description=scrub(ticket.get("description") or ""))
    body.update(
        number=ticket["number"],
        caller_name=mask_name(ticket["caller"]["name"]),
        caller_phone=mask_phone(ticket["caller"]["phone"]),
        received_at=ticket["received_at"],
    )
    body.update({name: ticket[name] for name in CALL_FIELDS if ticket.get(name)})
    return body


def stage_reached(ticket: Doc, stage: str) -> bool:
    """Whether the current assignment's case (``case``) or watch (``watch``) is known to exist.

    After a refusal the ticket is at a later attempt: the first department's
    case and watch no longer count.
    """
    reached = ticket.get(stage)
    if not reached and not ticket.get(f"{stage}_opened_at" if stage == "case" else "watched_at"):
        return False
    assignment = ticket.get("assignment") or {}
    if not reached or not assignment.get("attempt") or reached.get("attempt") is None:
        return True  # recorded before attempts were: opened is opened
    return bool(reached["attempt"] >= assignment["attempt"])


def public_view(ticket: Doc) -> Doc:
    """What an operator sees of a ticket (caller masked; the call and its recording, staff
    only: a citizen's lookup answers ``public.status_view``, Open311 ``service_request``)."""
    view = {name: ticket.get(name) for name in TICKET_FIELDS}
    view.update(
        number=ticket["number"],
        status=ticket["status"],
        caller_name=mask_name(ticket["caller"]["name"]),
        caller_phone=mask_phone(ticket["caller"]["phone"]),
        received_at=ticket["received_at"],
        updated_at=ticket.get("updated_at"),
        department=ticket.get("department"),
        deadline=ticket.get("deadline"),
        sign_for_deadline=ticket.get("sign_for_deadline"),
        case_opened=stage_reached(ticket, "case"),
        deadline_watched=stage_reached(ticket, "watch"),
        history=ticket.get("history", []),
        media_url=ticket.get("media_url"),
        source=ticket.get("source"),
        linked_to=ticket.get("linked_to"),
        rebound_of=ticket.get("rebound_of"),
        reply=ticket.get("reply"),
        answer=ticket.get("answer"),
        closed_at=ticket.get("closed_at"),
        outcome=ticket.get("outcome"),
        escalation=ticket.get("escalation"),
        call_id=ticket.get("call_id"),
        recording_url=ticket.get("recording_url"),
        transfer=ticket.get("transfer"),
        evidence=ticket.get("evidence"),  # a proactive case's finding: its tickets, its chart
    )
    return view


def scrubbed_entry(entry: Doc) -> Doc:
    """A history entry with identifiers scrubbed from its note and its coded reasons' facts."""
    clean = dict(entry, note=scrub(entry.get("note")))
    if entry.get("reason_codes"):
        clean["reason_codes"] = scrubbed(entry["reason_codes"], scrub)
    return clean


def erasure(ticket: Doc, now: dt.datetime) -> Doc:
    """The fields that erase a closed ticket's personal data (PIPL: no longer than needed).

    The caller goes, the address and the exact place go, photos' links go;
    free text stays for the record with identifiers scrubbed.
    """
    history = [scrubbed_entry(entry) for entry in ticket.get("history") or []]
    handed = {"transfer": dict(ticket["transfer"], reason=scrub(ticket["transfer"].get("reason")))} \
        if ticket.get("transfer") else {}
    return {**handed, "caller": {"name": None, "phone": None, "email": None, "phone_key": None},
            "title": scrub(ticket.get("title")), "description": scrub(ticket.get("description") or ""),
            "address": None, "lat": None, "lng": None, "media_url": None, "recording_url": None,
            "reply": scrub(ticket.get("reply")), "history": history, "erased_at": now}
