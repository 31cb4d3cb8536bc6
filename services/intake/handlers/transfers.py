"""Handing a caller to another line (110, 119, 120, 122, 12315 ...), and emergency words.

``transfer_ticket`` records the call as a ticket of its own, closed at once as
``transferred`` (``domain/transfer.py``), through the same ``accept`` as every
request -- validated, numbered, idempotent -- but settled without dispatch:
``ticket_transferred`` instead of ``ticket_created``. When the line is a source
system of ours (``TRANSFERS.lines[].source_system``), it is told on its receipts
routing key (``handlers/receipts.py``), once.

``emergency_words`` finds the words in what the operator typed that sound like an
emergency and the line they suggest; the workbench asks as the operator types.
"""
import logging

from services.intake.bootstrap import Deps
from services.intake.domain import transfer as rules
from services.intake.handlers import receipts
from services.intake.handlers.errors import ValidationFailed
from services.intake.handlers.tickets import accept, operator

log = logging.getLogger(__name__)

TEXT_MAX = 8000  # what emergency words are looked for in


def settings(deps: Deps):
    return deps.config.get("TRANSFERS") or {}


def transfer_lines(deps: Deps):
    """The lines a call can be handed to, in the configured order."""
    return [line.as_doc() for line in rules.lines(settings(deps))]


def emergency_words(deps: Deps, text):
    """``{words: [{word, line}], line: the line suggested or None}`` for ``text``."""
    if not isinstance(text, str):
        raise ValidationFailed({"text": ["text is required"]})
    hits = rules.find_emergency(text[:TEXT_MAX], rules.words(settings(deps)))
    suggested = rules.suggested_line(hits)
    known = {line.code: line.as_doc() for line in rules.lines(settings(deps))}
    return {"words": [{"word": hit.word, "line": hit.line} for hit in hits],
            "line": known.get(suggested) if suggested else None}


def _checked(deps: Deps, line, reason, reference):
    errors = {}
    chosen = None
    try:
        chosen = rules.line_of(settings(deps), line)
    except rules.UnknownLine:
        codes = ", ".join(each.code for each in rules.lines(settings(deps)))
        errors["line"] = [f"one of the configured lines: {codes}"]
    why = reason.strip() if isinstance(reason, str) else ""
    if not why:
        errors["reason"] = ["say why the caller is handed over"]
    elif len(why) > rules.REASON_MAX or not why.isprintable():
        errors["reason"] = [f"at most {rules.REASON_MAX} printable characters"]
    ref = reference.strip() if isinstance(reference, str) else None
    if reference is not None and not isinstance(reference, str):
        errors["reference"] = ["text, the other centre's reference"]
    elif ref and (len(ref) > rules.REFERENCE_MAX or not ref.isprintable()):
        errors["reference"] = [f"at most {rules.REFERENCE_MAX} printable characters"]
    if errors:
        raise ValidationFailed(errors)
    return chosen, why, ref or None


def transfer_ticket(deps: Deps, request, line, reason, reference=None, idempotency_key=None):
    """The call handed to ``line`` for ``reason`` (the other centre's ``reference`` if it gave one):
    a ticket closed at once as ``transferred``; its view, with ``outcome`` as ``accept`` says."""
    name, received_by = operator(deps)
    chosen, why, ref = _checked(deps, line, reason, reference)

    def handed_over(ticket, now):
        ticket.doc = rules.transferred(ticket.to_doc(), chosen, why, ref, name, now)
        ticket.status = "transferred"
        return rules.transfer_event(ticket.doc)

    shown = accept(deps, request, idempotency=f"rpc:{idempotency_key}" if idempotency_key else None,
                   operator=name, received_by=received_by, transfer=handed_over)
    ticket = deps.tickets.get(shown["received_as"])
    if ticket and ticket.get("status") == "transferred":
        told_to = (ticket.get("transfer") or {}).get("source_system")
        if told_to:
            receipts.send(deps, f"{ticket['number']}:transferred", ticket["number"], told_to,
                          rules.transfer_receipt(ticket, ticket["closed_at"]))
        if shown["outcome"] == "transferred":
            log.info("ticket %s handed to line %s", ticket["number"], chosen.code)
    return shown
