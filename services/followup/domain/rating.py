"""The citizen's own rating (一事一评): a one-use link sent by SMS after a reply is approved.

notify makes the link's id (a short random string) when the hotline approves a
reply, and hands followup only its digest (:func:`link_digest`), with the case's
number: followup keeps ``{digest, number, approved_at, expires_at, used_at}``
and never the id. The citizen's answer -- solved or not, satisfied or not, a
comment -- counts as a callback (回访) reached on the channel ``sms_link``
(:func:`callback_answer`): satisfied or basically satisfied with the request
solved closes the case as the callback does; partly solved, unsolved or
dissatisfied reopens it (or raises it, 提级) as a dissatisfied callback does.

A link is good once, until it expires (:func:`link_state`); the store takes it
with one conditional write, so two answers sent at once count once.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from services.followup.domain.errors import InvalidRequest
from services.followup.domain.states import PARTLY_RESOLVED, RESOLVED, SATISFACTIONS, UNRESOLVED
from shared.contract.rating import link_digest

__all__ = ["link_digest", "link_state", "callback_answer", "well_formed", "expires_at", "same_moment"]

CHANNEL = "sms_link"                 # the callback's channel when the citizen answered by link
BY_LINK = "市民（短信评价）"            # who recorded it: the citizen, by link (not a member of staff)
COMMENT_LIMIT = 500
ID_LENGTH = (10, 32)                 # a link's id is this long (notify makes 12 characters)
DEFAULT_DAYS = 7

# What the page asks (解决了吗) -> the callback's outcome
SOLVED = {"solved": RESOLVED, "partly": PARTLY_RESOLVED, "unsolved": UNRESOLVED}

GOOD, USED, EXPIRED, UNKNOWN = "good", "used", "expired", "unknown"


def well_formed(link_id: object) -> bool:
    """An id that could be one of ours (url-safe characters, a sane length)."""
    return isinstance(link_id, str) and ID_LENGTH[0] <= len(link_id) <= ID_LENGTH[1] \
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in link_id)


def expires_at(approved_at: dt.datetime, days: int) -> dt.datetime:
    return approved_at + dt.timedelta(days=max(1, days))


def same_moment(one: object, other: object) -> bool:
    """The same moment as the store keeps it (to the millisecond, perhaps without its zone, or
    as ISO text): a link belongs to the approval it was sent for."""
    found = []
    for moment in (one, other):
        if isinstance(moment, str):
            try:
                moment = dt.datetime.fromisoformat(moment)
            except ValueError:
                return False
        if not isinstance(moment, dt.datetime):
            return False
        found.append(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    return abs((found[0] - found[1]).total_seconds()) < 1


def link_state(link: Mapping[str, Any] | None, now: dt.datetime) -> str:
    """``good``, ``used``, ``expired`` or ``unknown``; a used link says used even once expired."""
    if link is None:
        return UNKNOWN
    if link.get("used_at") is not None:
        return USED
    expiry = link.get("expires_at")
    if not isinstance(expiry, dt.datetime):
        return EXPIRED
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=dt.UTC)
    return GOOD if now < expiry else EXPIRED


def callback_answer(solved: object, satisfaction: object, comment: object) -> dict[str, Any]:
    """The page's three answers as a callback's (``outcome``, ``satisfaction``, ``note``);
    ``InvalidRequest`` by field when one is missing or not one of the choices."""
    errors: dict[str, list[str]] = {}
    if solved not in SOLVED:
        errors["solved"] = [f"one of {', '.join(SOLVED)}"]
    if satisfaction not in SATISFACTIONS:
        errors["satisfaction"] = [f"one of {', '.join(SATISFACTIONS)}"]
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = ["text"]
    elif len(comment.strip()) > COMMENT_LIMIT:
        errors["comment"] = [f"at most {COMMENT_LIMIT} characters"]
    if errors:
        raise InvalidRequest(errors)
    return {"outcome": SOLVED[str(solved)], "satisfaction": satisfaction,
            "note": str(comment).strip()}
