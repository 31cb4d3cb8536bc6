"""The citizen's rating link (一事一评), as notify makes it and followup keeps it.

notify makes a short random id, sends ``<console public URL>/r/<id>`` by SMS and
gives followup only :func:`link_digest` of the id; the console's public page
``/r/<id>`` asks followup about the id. Nobody but the citizen holds the id.
"""
from __future__ import annotations

import hashlib
import secrets

PATH = "/r/"
ID_BYTES = 9  # 12 url-safe characters: 72 random bits


def new_link_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def link_digest(link_id: str) -> str:
    """The digest under which a link is kept (its id is random and long: no key needed)."""
    return hashlib.sha256(link_id.encode("utf-8")).hexdigest()


def link_url(base: str, link_id: str) -> str:
    return base.rstrip("/") + PATH + link_id
