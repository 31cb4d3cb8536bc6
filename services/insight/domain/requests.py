"""A request as insight records it: the read model's fields, from an event or an import."""
from __future__ import annotations

from typing import Any

from services.insight.domain.figures import Record
from services.insight.domain.terms import terms_of


def request_terms(title: str | None, description: str | None) -> list[str]:
    return terms_of(f"{title or ''}。{description or ''}")


def type_of(record: Record) -> str | None:
    """The request's type: as routing assigned it, else as intake took it, else none."""
    kind = record.get("request_type") or record.get("request_type_given")
    return str(kind) if kind else None


def arrival_document(event: Record) -> dict[str, Any]:
    """The read model's fields for a new request (event or imported record)."""
    return {
        "received_at": event["received_at"], "title": event["title"],
        "description": event.get("description") or "", "category": event.get("category"),
        "district": event.get("district"), "channel": event.get("channel") or "phone",
        "urgency": event.get("urgency") or "normal",
        # as intake took it; routing's (``request_type``, from ticket_assigned) counts first
        "request_type_given": event.get("request_type"),
        "terms": request_terms(event["title"], event.get("description")),
    }
