"""Intake's rules: ticket numbers, what a ticket holds, privacy, status.

Pure Python: no nameko, pymongo or marshmallow here.
"""
from shared.contract.numbering import format_number, parse_number  # noqa: F401 -- numbers in one place
from shared.contract.reasons import noted, reason, scrubbed, sentence
from shared.platform.privacy import mask_name, mask_phone, scrub  # noqa: F401 (re-exported)

TICKET_FIELDS = ("title", "description", "category", "district", "street", "address",
                 "lat", "lng", "urgency", "channel")


def new_ticket(number, request, received_at, phone_key=None):
    """The ticket as intake stores it, from a validated request.

    ``source`` (another system's id for it) is present only when given, so a
    unique index over it skips the tickets that have none.
    """
    ticket = {field: request.get(field) for field in TICKET_FIELDS}
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
    if request.get("source_system"):
        ticket["source"] = {"system": request["source_system"], "id": request["external_id"]}
    return ticket


def received(at, channel, person=None):
    """The history's first entry: by which channel, and by whom when a person took the call."""
    said = reason("received_by", channel=channel, person=person) if person else reason("received", channel=channel)
    return {"at": at, "status": "received", **noted(said)}


def linked(ticket, master, why, at):
    """``ticket`` repeats ``master`` (``why``: a coded reason): it waits with it instead of being dispatched."""
    ticket.update(status="linked", linked_to=master["number"], link_reason=sentence(why))
    ticket["history"].append({"at": at, "status": "linked",
                              **noted(reason("repeats", number=master["number"]), why)})
    return ticket


def answered(ticket, entry, operator, at):
    """Closed on the call with an answer from the knowledge base (直接答复)."""
    ticket.update(status="answered", reply=entry["answer"], closed_at=at, updated_at=at,
                  answer={"entry_id": entry["id"], "question": entry["question"], "by": operator})
    ticket["history"].append({"at": at, "status": "answered",
                              **noted(reason("answered", entry=entry["id"], person=operator or "an operator"))})
    return ticket


def contact(ticket):
    """The caller in full, for the services that must reach them (notify)."""
    caller = ticket.get("caller") or {}
    return {"name": caller.get("name"), "phone": caller.get("phone"), "email": caller.get("email")}


def ticket_created_body(ticket):
    """What routing needs to know: the request, with the caller masked and the text
    scrubbed of phone, ID-card and bank-card numbers and e-mail addresses."""
    body = {field: ticket.get(field) for field in TICKET_FIELDS}
    body.update(title=scrub(ticket.get("title")), description=scrub(ticket.get("description") or ""))
    body.update(
        number=ticket["number"],
        caller_name=mask_name(ticket["caller"]["name"]),
        caller_phone=mask_phone(ticket["caller"]["phone"]),
        received_at=ticket["received_at"],
    )
    return body


def stage_reached(ticket, stage):
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
    return reached["attempt"] >= assignment["attempt"]


def public_view(ticket):
    """What a citizen or operator sees of a ticket (caller masked)."""
    view = {field: ticket.get(field) for field in TICKET_FIELDS}
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
        reply=ticket.get("reply"),
        answer=ticket.get("answer"),
        closed_at=ticket.get("closed_at"),
        escalation=ticket.get("escalation"),
    )
    return view


def scrubbed_entry(entry):
    """A history entry with identifiers scrubbed from its note and its coded reasons' facts."""
    clean = dict(entry, note=scrub(entry.get("note")))
    if entry.get("reason_codes"):
        clean["reason_codes"] = scrubbed(entry["reason_codes"], scrub)
    return clean


def erasure(ticket, now):
    """The fields that erase a closed ticket's personal data (PIPL: no longer than needed).

    The caller goes, the address and the exact place go, photos' links go;
    free text stays for the record with identifiers scrubbed.
    """
    history = [scrubbed_entry(entry) for entry in ticket.get("history") or []]
    return {"caller": {"name": None, "phone": None, "email": None, "phone_key": None},
            "title": scrub(ticket.get("title")), "description": scrub(ticket.get("description") or ""),
            "address": None, "lat": None, "lng": None, "media_url": None,
            "reply": scrub(ticket.get("reply")), "history": history, "erased_at": now}
