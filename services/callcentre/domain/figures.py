"""The floor's figures over a range of local days, grouped by hour, queue or operator."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from services.callcentre.domain.calls import CallRecord, tally

BY = ("hour", "queue", "operator")


def group_key(record: CallRecord, by: str, zone: dt.tzinfo) -> str:
    if by == "hour":
        return record.ringing_at.astimezone(zone).strftime("%Y-%m-%d %H:00")
    if by == "queue":
        return record.queue or "-"
    return record.agent or "-"


def figures(records: Iterable[CallRecord], by: str, zone: dt.tzinfo, target_seconds: float) -> dict[str, object]:
    """``{"groups": [{"key", ...figures}], "total": {...}}`` of the ended inbound calls."""
    calls = list(records)
    keys = sorted({group_key(r, by, zone) for r in calls})
    groups = [{"key": key, **tally((r for r in calls if group_key(r, by, zone) == key), target_seconds).figures()}
              for key in keys]
    return {"groups": [g for g in groups if g["offered"]],
            "total": tally(calls, target_seconds).figures()}
