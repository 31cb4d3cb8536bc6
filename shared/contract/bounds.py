"""How much a document may hold: the limits that keep every one far from 16 MB.

MongoDB refuses a document over 16 MB (the in-memory store does too, see
``shared.platform.memory_store``). A document stays bounded when each of its fields
is bounded and no list in it grows with time. So:

* text people type is limited at the door (``NAME``, ``REASON``, ``TEXT``,
  ``LINK``, ``ATTACHMENTS``) with an error naming the field;
* what grows with a ticket's life -- the ledger, intake's history, the
  events applied -- lives in collections of its own, one document per entry;
* what waits in a document to be moved on -- outbox entries, ledger entries
  not yet copied out -- is capped by ``has_room``: a change that would pass
  ``PENDING`` waiting entries is refused until they drain;
* lists kept for idempotency hold only the latest entries (``$slice``).
"""

NAME = 100          # a person's or a system's name: actor, reviewer, operator, by
REASON = 1000       # a reason, a note
TEXT = 4000         # a reply, a description
LINK = 2000         # one attachment link
ATTACHMENTS = 20    # links per reply
PENDING = 100       # entries waiting in one document (outbox, ledger not yet copied out)


def has_room(field: str, limit: int = PENDING) -> dict[str, dict[str, bool]]:
    """A filter that matches a document whose array ``field`` holds fewer than ``limit``."""
    return {f"{field}.{limit - 1}": {"$exists": False}}


def text_error(value: object, limit: int, required: bool = False) -> str | None:
    """An error message for a free-text value, or None if it is acceptable."""
    if value is None or value == "":
        return "is required" if required else None
    if not isinstance(value, str):
        return "must be text"
    if required and not value.strip():
        return "is required"
    if len(value) > limit:
        return f"at most {limit} characters"
    return None
