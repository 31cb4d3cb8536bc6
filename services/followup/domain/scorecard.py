"""The scorecard (三率 and more): how each department, and the city, is doing.

Over ledger entries counted by department, action and outcome
(``CaseRepository.ledger_counts``, a MongoDB aggregation). A period holds the
ledger entries made in it; each department is measured on what it did:

* ``response_rate`` (响应率): sign-fors on time ÷ the cases dispatched or reopened to
  it (a co-handling part, or a part passed down to it, is a dispatch to its unit,
  and so is a co-handler's reopened round) whose sign-for window has closed (or that
  were signed for already): a case or part still inside its window is not counted
  as unanswered, it is shown apart (``awaiting_sign_for``), as are the period's
  cases not closed yet (``still_open``). A part withdrawn (the lead changed, or the
  case closed with it open) before its unit signed for it and before its window
  closed is not a dispatch held to that unit: ``dispatched`` leaves it out
  (``withdrawn_unanswered`` of ``period_cases``). Withdrawn after its window closed
  unanswered, or signed for late before it was withdrawn, the miss was the unit's
  own and counts;
* ``on_time_reply_rate``: replies submitted by the deadline in force ÷ replies;
* ``resolution_rate`` (解决率): callbacks that reached the citizen and found the
  matter resolved ÷ callbacks that reached the citizen;
* ``satisfaction_rate`` (满意率): of those callbacks, satisfied or basically satisfied;
* ``avg_handling_working_days``: working days from dispatch (or reopening) to the
  approved reply, averaged over approved replies;
* ``refusals`` (退单), ``rejected_replies`` (打回), ``closed`` and counts behind each rate;
* ``held_rate`` (防反弹, closures that held): of the cases the unit closed in the period
  with an outcome held to account (``REBOUNDS.outcomes``, by default resolved), those no
  request came back to within ``REBOUNDS.window_days`` ÷ those judged -- rebounded, or
  their window passed (``closures_checked``; ``rebounded`` beside it). A closure still
  inside its window and not rebounded is not judged yet. It counts in the period of the
  closure, against the unit that closed the case (``CaseRepository.closures``);
* the honest ends, counted and listed: ``untrue`` (callbacks that found the request
  not true, 不属实: left out of the resolution rate), ``unreasonable`` (不合理诉求
  ruled: every entry of such a case is left out of the unit's rates, the store
  leaves them out), ``raised`` (提级 after too many reopenings) and ``on_hold``
  (挂账 approved).

A rate with nothing to count is ``None`` (shown as "-"), not 0 or 100%.

Every unit at every level has its own line (``scope: "unit"``: the ledger entries
that name it in ``department_code``). A unit with units below it in the directory
(a district government: its street offices and their communities) has a
rolled-up line too (``scope: "rolled_up"``, under ``rolled_up``): the counts of
itself and every unit below it added up, the rates worked out again from those
sums (never an average of rates); ``units`` names the units whose figures it holds.

Each figure above is raw: every scored event counts. Beside them, the same
rates **after appeals** (考核申诉, ``appeal.py``): the events of accepted appeals
taken out -- a late sign-for with its round (out of ``response_rate``'s
numerator and denominator), a late reply (out of ``on_time_reply_rate``), a
reply sent back (out of ``rejected_replies``), an unresolved or dissatisfied
callback (out of ``resolution_rate`` and ``satisfaction_rate``) -- as
``<rate>_after_appeal``, with ``appeals_accepted`` the events taken out. An
appeal counts in the period of the event it contests.
"""
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from services.followup.domain.errors import InvalidRequest
from shared.contract import units
from shared.timelimits import periods

Row = dict[str, Any]
Card = dict[str, Any]
# a typed view of the time-limit kernel's check (not annotated throughout yet)
check_range = cast(Callable[[dt.date, dt.date], None], periods.check_range)

COLUMNS = ("department", "dispatched", "awaiting_sign_for", "signed_for", "response_rate",
           "replies", "on_time_reply_rate", "callbacks_reached", "resolution_rate",
           "satisfaction_rate", "approved", "avg_handling_working_days", "refusals",
           "rejected_replies", "closed", "still_open", "untrue", "unreasonable", "raised", "on_hold",
           "closures_checked", "rebounded", "held_rate", "appeals_accepted", "response_rate_after_appeal",
           "on_time_reply_rate_after_appeal", "resolution_rate_after_appeal", "satisfaction_rate_after_appeal",
           "rejected_replies_after_appeal", "scope")
CITY = "CITY"
SCOPES = ("unit", "rolled_up", "city")  # a unit's own line, a unit with those below it, the city
AFTER_APPEAL = ("response_rate", "on_time_reply_rate", "resolution_rate", "satisfaction_rate", "rejected_replies")


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _tally(rows: Iterable[Row]) -> dict[str, float]:
    t: dict[str, float] = dict.fromkeys(("dispatched", "signed_for", "signed_on_time", "replies", "replies_on_time",
                       "callbacks_reached", "resolved", "satisfied", "approved", "refusals",
                       "rejected_replies", "closed", "untrue", "unreasonable", "raised", "on_hold"), 0)
    t["working_days"] = 0.0
    for row in rows:
        action, n = row["action"], row["count"]
        if action in ("assigned", "reopened", "co_assigned", "passed_down"):  # a part is a dispatch to its unit
            t["dispatched"] += n
        elif action == "signed_for":
            t["signed_for"] += n
            t["signed_on_time"] += n if row["on_time"] else 0
        elif action == "replied":
            t["replies"] += n
            t["replies_on_time"] += n if row["on_time"] else 0
        elif action == "callback" and row["reached"]:
            t["callbacks_reached"] += n
            t["resolved"] += n if row["resolved"] else 0
            t["satisfied"] += n if row["satisfaction"] in ("satisfied", "basically_satisfied") else 0
            t["untrue"] += n if row.get("outcome") == "untrue" else 0
        elif action == "approved":
            t["approved"] += n
            t["working_days"] += row["working_days"]
        elif action == "refused":
            t["refusals"] += n
        elif action == "rejected":
            t["rejected_replies"] += n
        elif action == "closed":
            t["closed"] += n
        elif action == "unreasonable_approved":
            t["unreasonable"] += n
        elif action == "raised":
            t["raised"] += n
        elif action == "hold_approved":
            t["on_hold"] += n
    return t


def _excused(t: dict[str, float], excused: Sequence[Row]) -> dict[str, float]:
    """The tally ``t`` without the events of accepted appeals (a late sign-for takes its round)."""
    out = _tally(excused)
    after = {key: max(value - out.get(key, 0), 0) for key, value in t.items()}
    after["dispatched"] = max(after["dispatched"] - out["signed_for"], 0)
    return after


def _line(department: str, t: dict[str, float], pending: Row | None = None, scope: str = "unit",
          excused: Sequence[Row] = ()) -> Row:
    raw = _figures(department, t, pending, scope)
    after = _figures(department, _excused(t, excused), pending, scope)
    raw["appeals_accepted"] = sum(row["count"] for row in excused)
    raw.update({f"{key}_after_appeal": after[key] for key in AFTER_APPEAL})
    raw["scope"] = raw.pop("scope")  # last, in COLUMNS' order (a client writes its CSV in the line's order)
    return raw


def _figures(department: str, t: dict[str, float], pending: Row | None = None, scope: str = "unit") -> Row:
    pending = pending or {}
    awaiting = pending.get("awaiting_sign_for", 0)
    # a part withdrawn before its unit could answer it is not a dispatch held to that unit
    dispatched = max(t["dispatched"] - pending.get("withdrawn_unanswered", 0), 0)
    checked, rebounded = pending.get("closures_checked", 0), pending.get("rebounded", 0)
    return {
        "department": department,
        "dispatched": dispatched, "awaiting_sign_for": awaiting, "signed_for": t["signed_for"],
        "response_rate": _rate(t["signed_on_time"], max(dispatched - awaiting, 0)),
        "replies": t["replies"], "on_time_reply_rate": _rate(t["replies_on_time"], t["replies"]),
        "callbacks_reached": t["callbacks_reached"],
        "resolution_rate": _rate(t["resolved"], t["callbacks_reached"] - t["untrue"]),
        "satisfaction_rate": _rate(t["satisfied"], t["callbacks_reached"]),
        "approved": t["approved"],
        "avg_handling_working_days": round(t["working_days"] / t["approved"], 2) if t["approved"] else None,
        "refusals": t["refusals"], "rejected_replies": t["rejected_replies"], "closed": t["closed"],
        "still_open": pending.get("still_open", 0),
        "untrue": t["untrue"], "unreasonable": t["unreasonable"], "raised": t["raised"], "on_hold": t["on_hold"],
        "closures_checked": checked, "rebounded": rebounded,
        "held_rate": _rate(checked - rebounded, checked),
        "scope": scope,
    }


PENDING = ("awaiting_sign_for", "still_open", "withdrawn_unanswered", "closures_checked", "rebounded")


def with_closures(pending: Sequence[Row], closures: Sequence[Row]) -> list[Row]:
    """The period's waiting cases and parts (``period_cases``) with each unit's closures held
    to account (``closures``: ``closures_checked``, ``rebounded``) beside them, one row a unit."""
    rows: dict[str, Row] = {row["department"]: dict(row) for row in pending}
    for row in closures:
        line = rows.setdefault(row["department"], {"department": row["department"]})
        line["closures_checked"] = line.get("closures_checked", 0) + row["closures_checked"]
        line["rebounded"] = line.get("rebounded", 0) + row["rebounded"]
    return list(rows.values())


def scorecard(rows: Sequence[Row], period: dict[str, str], pending: Sequence[Row] = (),
              parents: Mapping[str, str] | None = None, excused: Sequence[Row] = ()) -> Card:
    """``{"period", "departments": [...], "rolled_up": [...], "city": {...}}`` from ledger
    counts, the period's cases and parts still waiting or withdrawn unanswered
    (``CaseRepository.period_cases``) and the
    events of accepted appeals, as ledger-count rows (``appeal.excused_rows``); ``parents``
    (``{code: parent code}``, the directory's tree) makes the rolled-up lines."""
    by_department: dict[str, list[Row]] = {}
    for row in rows:
        by_department.setdefault(row["department"] or "?", []).append(row)
    waiting = {row["department"] or "?": row for row in pending}
    for department in waiting:
        by_department.setdefault(department, [])
    appealed: dict[str, list[Row]] = {}
    for row in excused:
        appealed.setdefault(row["department"] or "?", []).append(row)
    city = {key: sum(row.get(key, 0) for row in pending) for key in PENDING}
    return {"period": period,
            "departments": [_line(d, _tally(r), waiting.get(d), "unit", appealed.get(d, ()))
                            for d, r in sorted(by_department.items())],
            "rolled_up": _rolled_up(by_department, waiting, parents or {}, appealed),
            "city": _line(CITY, _tally(rows), city, "city", excused)}


def _rolled_up(by_department: Mapping[str, list[Row]], waiting: Mapping[str, Row],
               parents: Mapping[str, str], appealed: Mapping[str, list[Row]]) -> list[Row]:
    """A line for each unit with units below it, over itself and all of them, when any has figures
    (the accepted appeals of each rolled up with its figures)."""
    lines = []
    for code in sorted({parent for parent in parents.values() if parent}):
        counted = [unit for unit in units.subtree(parents, code) if unit in by_department]
        if not counted:
            continue
        held = [row for unit in counted for row in by_department[unit]]
        pending = {key: sum(waiting[unit].get(key, 0) for unit in counted if unit in waiting) for key in PENDING}
        excused = [row for unit in counted for row in appealed.get(unit, ())]
        lines.append(dict(_line(code, _tally(held), pending, "rolled_up", excused), units=counted))
    return lines


def _show(value: Any, column: str) -> str:
    if value is None:
        return "-"
    if column.endswith(("_rate", "_rate_after_appeal")):
        return f"{value * 100:.1f}%"
    return str(value)


def lines_of(card: Card) -> list[Row]:
    """Every line of a card: the units' own, the rolled-up ones, the city last.

    A card from before roll-ups (no ``rolled_up``, no ``scope``) reads too."""
    return [dict(line, scope=line.get("scope") or scope)
            for lines, scope in ((card["departments"], "unit"), (card.get("rolled_up") or [], "rolled_up"),
                                 ([card["city"]], "city"))
            for line in lines]


def as_csv(card: Card) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for line in lines_of(card):
        writer.writerow(["" if line[c] is None else line[c] for c in COLUMNS])
    return out.getvalue()


def as_table(card: Card) -> str:
    headers = ("department", "disp", "to sign", "resp%", "replies", "ontime%", "reached",
               "resolved%", "satisf%", "avg wd", "refused", "rejected", "closed", "open", "held%",
               "appeals", "resp%*", "ontime%*", "resolved%*", "satisf%*")
    keys = ("department", "dispatched", "awaiting_sign_for", "response_rate", "replies",
            "on_time_reply_rate", "callbacks_reached", "resolution_rate", "satisfaction_rate",
            "avg_handling_working_days", "refusals", "rejected_replies", "closed", "still_open", "held_rate",
            "appeals_accepted", "response_rate_after_appeal", "on_time_reply_rate_after_appeal",
            "resolution_rate_after_appeal", "satisfaction_rate_after_appeal")
    rows = [[_show(line.get(k), k) + (" (rolled up)" if k == "department" and line["scope"] == "rolled_up" else "")
             for k in keys] for line in lines_of(card)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [f"scorecard {card['period']['from']} .. {card['period']['to']}", fmt.format(*headers)]
    lines += [fmt.format(*r) for r in rows]
    lines.append("held%: closures that held (防反弹), no request back within the rebound window")
    lines.append("* after appeals (考核申诉): the events of accepted appeals taken out")
    return "\n".join(lines)


def local_day_range(date_from: str | None, date_to: str | None, zone: dt.tzinfo,
                    today: dt.date) -> tuple[dt.datetime, dt.datetime, dict[str, str]]:
    """``YYYY-MM-DD`` bounds (inclusive, local) as UTC datetimes; default the last 30 days.

    Days outside 2000..2099 and ranges over a year are refused (``shared.timelimits.periods``)."""
    errors: dict[str, list[str]] = {}
    days: dict[str, dt.date] = {}
    for name, value, default in (("from", date_from, today - dt.timedelta(days=29)),
                                 ("to", date_to, today)):
        try:
            days[name] = dt.date.fromisoformat(value) if value else default
        except (TypeError, ValueError):
            errors[name] = ["a date like 2026-11-26"]
    if errors:
        raise InvalidRequest(errors)
    try:
        check_range(days["from"], days["to"])
    except periods.BadPeriod as exc:
        raise InvalidRequest(exc.errors) from None
    start = dt.datetime.combine(days["from"], dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(days["to"] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return (start.astimezone(dt.UTC), end.astimezone(dt.UTC),
            {"from": days["from"].isoformat(), "to": days["to"].isoformat()})
