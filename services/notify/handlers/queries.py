"""What notify answers when asked: watches, escalations, the notification log,
a ladder preview and its calendar. Nothing here changes a watch."""
import datetime as dt

from services.notify.domain.watch import part_unit
from shared.platform.checks import whole_number
from shared.platform.clock import ClockRefused
from shared.platform.jsonable import jsonable
from shared.timelimits.calendar import readiness


def get_watch(deps, number):
    return jsonable(deps.watches.get(number))


def republish_watch(deps, number):
    """Publish the case's latest ``deadline_watched`` again (the very event) and say
    what the watch is; None if notify has no watch ``number``."""
    watch = deps.watches.standing(number) if isinstance(number, str) else None
    if watch is None:
        return None
    payload = watch.pop("watched_event", None)
    if payload:
        deps.dispatch("deadline_watched", payload)
    return jsonable(dict(watch, republished=bool(payload)))


def part_watches(deps, number):
    """``[{unit_code, state}]``: the watches of the parts of ticket ``number``'s case."""
    if not isinstance(number, str):
        return []
    return [{"unit_code": part_unit(watch), "state": watch.get("state")}
            for watch in deps.watches.parts_of(number) if part_unit(watch)]


def list_notifications(deps, number=None, failed=False, limit=200):
    """The notification log, recipients masked; ``limit`` a whole number from 1 to 1000."""
    limit = whole_number("limit", limit, 1, 1000)
    if number is not None and not isinstance(number, str):
        raise ValueError("number must be a ticket number")
    return jsonable(deps.watches.list_notifications(number, bool(failed), limit))


def escalations(deps, numbers):
    """``{number: [level, ...]}``: the cards and orders each open case earned this round."""
    if not isinstance(numbers, list) or len(numbers) > 500:
        return {}
    return {w["number"]: w["levels"] for w in deps.watches.escalated([str(n) for n in numbers])}


def supervision_summary(deps):
    """Open cases by the highest step they reached: counts, and the numbers behind each."""
    summary = {}
    for watch in deps.watches.escalated():
        top = watch["levels"][-1]
        row = summary.setdefault(top, {"level": top, "count": 0, "numbers": [], "departments": {}})
        row["count"] += 1
        if len(row["numbers"]) < 500:
            row["numbers"].append(watch["number"])
        dept = watch.get("department_code") or "?"
        row["departments"][dept] = row["departments"].get(dept, 0) + 1
    return sorted(summary.values(), key=lambda r: r["level"])


def parse_time(value, name):
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ClockRefused(f"{name}: an ISO date-time with its offset") from None
    if moment.tzinfo is None:
        raise ClockRefused(f"{name}: give the offset (+08:00)")
    return moment.astimezone(dt.UTC)


def preview_ladder(deps, dispatched_at, deadline, sign_for_deadline=None, time_limit_class=None):
    """The ladder a case would climb (ISO times in, ISO times out); nothing stored."""
    watch = {"state": "watching", "number": "preview", "round": 1,
             "dispatched_at": parse_time(dispatched_at, "dispatched_at"),
             "deadline": parse_time(deadline, "deadline"),
             "time_limit_class": time_limit_class}
    if sign_for_deadline:
        watch["sign_for_deadline"] = parse_time(sign_for_deadline, "sign_for_deadline")
    if watch["deadline"] <= watch["dispatched_at"]:
        raise ClockRefused("deadline must come after dispatched_at")
    return [{"step": step.name, "at": step.at.isoformat(), "reason": step.reason}
            for step in deps.rules.ladder.steps(watch)]


def calendar_status(deps):
    """notify's calendar: city files known, readiness, deadlines over uncovered days."""
    calendar = deps.rules.calendar
    today = deps.clock.now().astimezone(deps.rules.zone).date()
    return jsonable({"service": "notify", "calendar": calendar.name,
                     "years": calendar.coverage(today.year, today.year + 1),
                     "readiness": readiness(calendar, today)})
