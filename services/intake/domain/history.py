"""Entries of a ticket's history, as intake's status view writes them.

Pure Python. A note is an English sentence or coded reasons
(``shared.contract.reasons``) that the workbench says in the reader's language.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from .shared import Coded, Doc, noted, reason

ANY_ATTEMPT = 10 ** 6  # a deadline_watched from before watches named their attempt


def entry(at: dt.datetime, status: str, note: str | list[Coded]) -> Doc:
    """A history entry; ``note`` is its English sentence, or coded reasons (``shared.contract.reasons``)
    that the workbench says in the reader's language."""
    if isinstance(note, str):
        return {"at": at, "status": status, "note": note}
    return {"at": at, "status": status, **noted(*note)}


def routing_reasons(event: dict[str, Any]) -> str | list[Coded]:
    """Why routing queued a ticket for a dispatcher: its coded reasons (its sentences when it
    sent none)."""
    coded = [c for c in event.get("reason_codes") or [] if c.get("code")]
    if coded:
        return coded
    return "; ".join(event["reasons"]) if event.get("reasons") else [reason("waiting")]
