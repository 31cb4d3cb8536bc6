"""Agents' states on the floor: from the calls' events, or set by the agent.

``answer`` puts its agent ``on_call``; the ``hangup`` of an answered call puts them
in ``after_call_work`` for ``CALLCENTRE.after_call_seconds``, after which they are
``ready`` again. An agent sets ``ready``, ``break`` or ``offline`` themself. A state
is replaced only by one at least as recent, so a late event never overrides a newer
state (a break taken after the call stays a break).
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

State = Literal["ready", "on_call", "after_call_work", "break", "offline"]
STATES: tuple[State, ...] = ("ready", "on_call", "after_call_work", "break", "offline")
SET_BY_AGENT: tuple[State, ...] = ("ready", "break", "offline")


def state_now(state: str, since: dt.datetime, now: dt.datetime, after_call_seconds: int) -> tuple[str, dt.datetime]:
    """The state shown at ``now``: after-call work that has run its time is ``ready``."""
    if state == "after_call_work":
        ends = since + dt.timedelta(seconds=after_call_seconds)
        if now >= ends:
            return "ready", ends
    return state, since
