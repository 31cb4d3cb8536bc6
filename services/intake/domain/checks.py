"""What a ticket still waits for: the reconciler's checks, as rules.

A ticket promises three things, each within a configured time (``RECONCILE``):
a department or a dispatcher's queue (``dispatch``), an open case for its
assignment (``case``), a deadline watch for that case (``watch``). While one
is owed, the ticket carries ``check.<stage> = {attempt, since, due, overdue_at,
repairs}``; the event that keeps the promise removes it. What an event does
to the checks is said here as *ops* (``owe``, ``done``, ``dispatched``,
``changed``, ``FINISHED``); the repository writes them in the same update as the event's
state (``adapters/tickets.py``, ``check_fields``), conditions evaluated on the
ticket as it is, so the result is right whatever order the events come in:

* a check is set only if the step it waits for has not been recorded for
  that attempt already (a case opened before its assignment was handled
  here: no case check);
* a check is removed only by the step for its attempt or a later one (an
  earlier attempt's case, heard late, does not satisfy a later assignment).

A fourth promise is about the parts of the case other units hold (co-handling,
passed down): each open part has a watch in notify, and a part that is over has
none (``parts``). No single event keeps it: a part opening or ending
(``changed``) owes the check -- or, owed already, counts one change more in its
``attempt`` and is looked at no sooner than the new change's time allows -- and
the reconciler removes it when it finds followup's parts and notify's watches
agree (``compare_parts`` in ``reconcile.py``), unless a change came meanwhile.

Pure Python.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

STAGES = ("dispatch", "case", "watch", "parts")
UNKNOWN = 10 ** 9  # an attempt no check has: a missing check is never "done" by a comparison

Op = tuple[Any, ...]
Check = dict[str, Any]


def owe(stage: str, attempt: int, since: dt.datetime, due: dt.datetime) -> Op:
    """The step of ``stage`` is owed for ``attempt`` (unless recorded, or owed already)."""
    return ("owe", stage, attempt, new_check(attempt, since, due))


def done(stage: str, attempt: int, op: str = "$lte") -> Op:
    """The step of ``stage`` happened for ``attempt``: a check whose attempt is ``op``
    ``attempt`` (not later than it, by default) is done."""
    return ("done", stage, attempt, op)


def dispatched(attempt: int) -> Op:
    """Routing assigned or queued the ticket at ``attempt``: the dispatch before it is done."""
    return ("dispatched", attempt)


def changed(stage: str, since: dt.datetime, due: dt.datetime) -> Op:
    """What ``stage`` compares changed at ``since``: its check is owed from then (held already:
    one change more, and looked at no sooner than ``due``)."""
    return ("changed", stage, new_check(1, since, due))


FINISHED: Op = ("finished",)

DONE_BY = {"$lt": lambda held, a: held < a, "$lte": lambda held, a: held <= a}


def healed(before: dict[str, Any] | None, ops: list[Op] | tuple[Op, ...]) -> int:
    """How many checks with repairs behind them ``ops`` removed (``before``: the ticket's checks)."""
    checks = (before or {}).get("check") or {}
    count = 0
    for op in ops:
        if op[0] == "finished":
            count += sum(1 for check in checks.values() if (check or {}).get("repairs"))
        elif op[0] in ("done", "dispatched"):
            stage, attempt, compare = (op[1], op[2], op[3]) if op[0] == "done" else ("dispatch", op[1], "$lt")
            check = checks.get(stage) or {}
            if check.get("repairs") and DONE_BY[compare](check.get("attempt", UNKNOWN), attempt):
                count += 1
    return count


def owing(dispatch_check: Check) -> dict[str, Any]:
    """The fields a ticket starts with when it waits to be dispatched."""
    return {"check": {"dispatch": dispatch_check}, "check_due": dispatch_check["due"],
            "check_overdue": dispatch_check["overdue_at"]}


def new_check(attempt: int, since: dt.datetime, due: dt.datetime) -> Check:
    """A step owed since ``since``: overdue at ``due`` (kept), looked at from ``due`` (moved on)."""
    return {"attempt": attempt, "since": since, "due": due, "overdue_at": due, "repairs": 0}


def overdue_stages(ticket: dict[str, Any], now: dt.datetime) -> list[tuple[str, Check]]:
    """The ticket's checks overdue at ``now``, by stage."""
    return [(stage, check) for stage, check in sorted((ticket.get("check") or {}).items())
            if check and check.get("overdue_at") and check["overdue_at"] <= now]
