"""A request as insight records it: the read model's fields, from an event or an import."""
from __future__ import annotations

from typing import Any

from services.insight.domain.figures import Record
from services.insight.domain.terms import terms_of


def request_terms(title: str | None, description: str | None) -> list[str]:
    return terms_of(f"{title or ''}。{description or ''}")


def arrival_document(event: Record) -> dict[str, Any]:
    """The read model's fields for a new request (event or imported record)."""
    return {
        "received_at": event["received_at"], "title": event["title"],
        "description": event.get("description") or "", "category": event.get("category"),
        "district": event.get("district"), "channel": event.get("channel") or "phone",
        "urgency": event.get("urgency") or "normal",
        "terms": request_terms(event["title"], event.get("description")),
    }
