"""Intake's rules: the ticket and what happens to it at the door; pure Python.

``ticket``      the ``Ticket`` aggregate, what a ticket holds, privacy (masking, erasure)
``duplicates``  is a request a repeat of an open ticket (合并工单)
``checks``      what a ticket still waits for (the reconciler's checks)
``reconcile``   how long each step may take, what to ask for, when to give up
``history``     the entries of a ticket's history
``public``      what the public may learn of a ticket, and the requester's proof
``apikeys``     API keys of other systems and Open311 clients
``knowledge``   the knowledge base for answers on the call (直接答复)
``proactive``   a proactive case (主动治理) made from insight's finding

No nameko, pymongo or marshmallow here; every function is typed (mypy strict).
"""
from .shared import format_number, mask_name, mask_phone, parse_number, scrub
from .ticket import (
    CLOSED,
    NOT_OPEN,
    TICKET_FIELDS,
    NotLinked,
    NotOpen,
    Ticket,
    answered,
    contact,
    erasure,
    is_open,
    linked,
    new_ticket,
    public_view,
    received,
    scrubbed_entry,
    stage_reached,
    ticket_created_body,
)

__all__ = ["CLOSED", "NOT_OPEN", "TICKET_FIELDS", "NotLinked", "NotOpen", "Ticket", "answered", "contact",
           "erasure", "format_number", "is_open", "linked", "mask_name", "mask_phone", "new_ticket",
           "parse_number", "public_view", "received", "scrub", "scrubbed_entry", "stage_reached",
           "ticket_created_body"]
