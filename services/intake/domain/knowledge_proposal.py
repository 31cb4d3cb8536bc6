"""Knowledge drafted from closed consultations (来自已办结咨询).

A consultation (咨询) the hotline closed after approving its unit's reply holds a
question callers ask and an answer the centre accepted. Such a case is proposed
to the unit that answered it as a **draft** knowledge entry: the question (the
ticket's title and description) and the approved reply, both de-identified
(``shared.platform.privacy.deidentify``: the caller's name and address wherever
written, names said with a title or after a label, phone, ID-card and bank-card
numbers in any notation, e-mail addresses, flats and house numbers). The unit
edits and submits it as any draft; the centre reviews it; once published it is
offered like any entry.

Not proposed: another request type (a complaint, a report ...), a case closed
without an approved reply (``unreasonable``, ``untrue``, or no reply), a repeat,
a ticket already proposed or already kept beside an entry. When a published
entry already answers the question (the knowledge search scores it at least
``similar``), the case is kept with that entry as "also asked" instead of
becoming a draft. Pure Python.
"""
from __future__ import annotations

import datetime as dt

from .knowledge_entry import ANSWER_CHARS, QUESTION_CHARS, Author, Draft, KnowledgeEntry
from .shared import Doc, deidentify

CONSULTATION = "consultation"          # 咨询, as ``shared.contract.request_types`` codes it
ORIGIN = "closed_consultation"         # the ``source.kind`` of an entry proposed here
PROPOSER = Author(None, "proposal")    # the author of the proposed version
NOT_ANSWERED = ("unreasonable", "untrue")  # closed without an answer worth keeping
SIMILAR = 0.5  # a published entry the search scores this high already answers the question
STOPS = "。？！?!.;；：:，,"


def entry_id(number: str) -> str:
    """The proposed entry's id: one per ticket, so the same case is never proposed twice."""
    return f"KB-{number}"


def proposable(ticket: Doc, closed: Doc) -> bool:
    """``ticket`` is a consultation, not a repeat, and ``closed`` (``case_closed``) ended it with the
    reply the hotline approved."""
    return (ticket.get("request_type") == CONSULTATION and not ticket.get("linked_to")
            and bool(str(closed.get("reply") or "").strip()) and closed.get("outcome") not in NOT_ANSWERED)


def _clean(text: str, ticket: Doc, limit: int) -> str:
    caller = ticket.get("caller") or {}
    said = deidentify(text, names=[caller.get("name")], addresses=[ticket.get("address")])
    return str(said or "").strip()[:limit]


def question_of(ticket: Doc) -> str:
    """The ticket's title and description as one question, de-identified."""
    title = str(ticket.get("title") or "").strip()
    description = str(ticket.get("description") or "").strip()
    joined = f"{title}{'' if not title or title[-1] in STOPS else '：'}{description}" if description else title
    return _clean(joined, ticket, QUESTION_CHARS)


def answer_of(ticket: Doc, closed: Doc) -> str:
    """The approved reply, de-identified."""
    return _clean(str(closed.get("reply") or ""), ticket, ANSWER_CHARS)


def propose(ticket: Doc, closed: Doc, now: dt.datetime) -> KnowledgeEntry | None:
    """A draft entry of the unit that answered, from the closed consultation; None if nothing is
    left to propose once de-identified."""
    question, answer = question_of(ticket), answer_of(ticket, closed)
    if not question or not answer:
        return None
    entry = KnowledgeEntry.create(entry_id(ticket["number"]), closed.get("department_code") or None,
                                  Draft(question, answer), PROPOSER, now, ticket.get("category"))
    entry.source = {"kind": ORIGIN, "ticket": ticket["number"], "closed_at": closed.get("closed_at")}
    return entry
