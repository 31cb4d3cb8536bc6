"""API keys for Open311 clients and other government systems.

Pure Python. A key is shown once, when it is made; intake keeps only its
SHA-256 digest. Keys are 256 random bits, so a fast digest is enough: there
is nothing to guess by brute force, unlike a password.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from typing import Any

KEY_PREFIX = "hk_"
MAX_EXPIRY_DAYS = 3650
MAX_GRACE_SECONDS = 30 * 86400
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def valid_name(name: Any) -> bool:
    """Names are also AMQP routing-key parts (``ticket.receipt.<name>``)."""
    return isinstance(name, str) and bool(NAME.match(name))


class BadKeyRequest(ValueError):
    """``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def check_seconds(field: str, value: Any, most: float) -> float:
    """A finite number of seconds from 0 to ``most`` (no NaN, no infinity, no bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= most:
        raise BadKeyRequest({field: [f"a number of seconds from 0 to {most}"]})
    return float(value)


def check_request(name: Any, expires_in_days: Any) -> tuple[str, float | None]:
    """``(name, days or None)`` for a key request, or ``BadKeyRequest``."""
    errors: dict[str, list[str]] = {}
    if not valid_name(name):
        errors["name"] = ["letters, digits, - and _ only, at most 64"]
    if expires_in_days is not None and (
            isinstance(expires_in_days, bool) or not isinstance(expires_in_days, (int, float))
            or not math.isfinite(expires_in_days) or not 0 < expires_in_days <= MAX_EXPIRY_DAYS):
        errors["expires_in_days"] = [f"a number of days above 0 and at most {MAX_EXPIRY_DAYS}"]
    if errors:
        raise BadKeyRequest(errors)
    return name, expires_in_days


def expiry(now: dt.datetime, expires_in_days: float | None) -> dt.datetime | None:
    return now + dt.timedelta(days=expires_in_days) if expires_in_days else None
