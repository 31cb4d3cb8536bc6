"""What every verb of a case returns, and the checks of what a person types."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from services.followup.domain.errors import InvalidRequest
from shared.contract import bounds

Doc = dict[str, Any]
Event = tuple[str, Doc]  # (event_type, body)
MAX_TEXT = bounds.TEXT

# a typed view of the contract's helper (not annotated throughout yet)
text_error = cast(Callable[[Any, int], "str | None"], bounds.text_error)


@dataclass
class Change:
    """What a transition does: ``$set``, ``$inc``, ledger entries and events, applied at once."""

    set: Doc = field(default_factory=dict)
    ledger: list[Doc] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    inc: dict[str, int] = field(default_factory=dict)

    def by(self, actor_id: str | None) -> Change:
        """The change with ``actor_id`` (a person's id, or ``token:DEPT``) on every ledger entry."""
        if actor_id:
            for entry in self.ledger:
                entry["actor_id"] = actor_id
        return self


def required_text(value: object, name: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise InvalidRequest({name: ["must be text"]})
    if not text:
        raise InvalidRequest({name: ["is required"]})
    if len(text) > limit:
        raise InvalidRequest({name: [f"at most {limit} characters"]})
    return text


def free_text(value: Any, name: str, limit: int = bounds.NAME) -> str:
    """An optional free-text value (a person's name, a note) within ``limit``, or ``""``."""
    error = text_error(value, limit)
    if error:
        raise InvalidRequest({name: [error]})
    return str(value or "")
