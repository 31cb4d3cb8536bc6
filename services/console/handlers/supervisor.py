"""The supervisor's screens: the city at a glance, the cases behind every number,
and every list and report as Excel and CSV.

Handlers of the pages in ``service.py``. The overview asks followup (open cases by state
and department, the late ones, the scorecard), notify (cards and supervision
orders) and insight (hot spots, spikes, the staffing plan) at once; a service
that does not answer leaves its panel out, not the page.
"""
import datetime as dt

from services.console import charts, exports
from services.console.bootstrap import Deps
from services.console.filters import STATES
from services.console.i18n import N_
from services.console.view import Refused, View, show

PAGE = 25
EXPORT_LIMIT = 5000
SUPERVISION = ("supervisor", "admin")
READERS = ("supervisor", "admin", "dispatcher", "reviewer", "callback", "operator", "department")
OPEN_STATES = ("assigned", "signed_for", "replied", "approved", "unreasonable_proposed", "hold_proposed", "on_hold")
CASE_COLUMNS = (  # (field, header msgid)
    ("number", N_("Number")), ("department_code", N_("Department code")), ("department_name", N_("Department")),
    ("state", N_("State")), ("urgency", N_("Urgency")), ("assigned_at", N_("Dispatched at")),
    ("sign_for_deadline", N_("Sign for by")), ("signed_at", N_("Signed for at")), ("deadline", N_("Reply by")),
    ("rejection_count", N_("Sent back")), ("refusal_count", N_("Refused")), ("reopen_count", N_("Reopened")),
    ("callback_due", N_("Callback due")))
SCORE_COLUMNS = (
    ("department", N_("Department")), ("dispatched", N_("Dispatched")), ("signed_for", N_("Signed for")),
    ("response_rate", N_("Response rate")), ("replies", N_("Replies")), ("on_time_reply_rate", N_("On-time replies")),
    ("callbacks_reached", N_("Callbacks reached")), ("resolution_rate", N_("Resolution rate")),
    ("satisfaction_rate", N_("Satisfaction rate")), ("approved", N_("Approved")),
    ("avg_handling_working_days", N_("Average working days to handle")), ("refusals", N_("Refusals")),
    ("rejected_replies", N_("Replies sent back")), ("closed", N_("Closed")),
    ("untrue", N_("Not true (不属实)")), ("unreasonable", N_("Unreasonable (不合理诉求)")),
    ("raised", N_("Raised (提级)")), ("on_hold", N_("Put on hold (挂账)")),
    ("closures_checked", N_("Closures judged")), ("rebounded", N_("Rebounded (反弹)")),
    ("held_rate", N_("Closures that held")),
    ("appeals_accepted", N_("Appeals accepted")),
    ("response_rate_after_appeal", N_("Response rate after appeals")),
    ("on_time_reply_rate_after_appeal", N_("On-time replies after appeals")),
    ("resolution_rate_after_appeal", N_("Resolution rate after appeals")),
    ("satisfaction_rate_after_appeal", N_("Satisfaction rate after appeals")),
    ("rejected_replies_after_appeal", N_("Replies sent back after appeals")), ("scope", N_("Scope")))
SCOPES = {"unit": N_("the unit itself"), "rolled_up": N_("with the units below it"),  # followup's scorecard
          "city": N_("whole city")}
LEDGER_COLUMNS = (N_("When"), N_("Action"), N_("Who"), N_("Login"), N_("Department"), N_("Reason"))
MOMENTS = {"assigned_at", "sign_for_deadline", "signed_at", "deadline", "callback_due"}
SHEETS = {"cases": N_("cases"), "scorecard": N_("scorecard"), "ledger": N_("ledger")}


def case_filters(view):
    filters = {"department": view.arg("department") or None, "state": view.arg("state") or "open",
               "overdue": view.arg("overdue") == "1"}
    return {k: v for k, v in filters.items() if v}


def query_string(filters, level=""):
    parts = [f"{k}={'1' if v is True else v}" for k, v in filters.items()]
    if level:
        parts.append(f"level={level}")
    return "&".join(parts)


EXPORTS = (exports.CSV.split(';')[0], exports.XLSX, "text/html")


def supervisor(deps: Deps, view: View):
    today = view.now.astimezone(deps.web.zone).date()  # hot spots too: a busy morning shows
    date_from = view.arg("from") or (today - dt.timedelta(days=29)).isoformat()
    date_to = view.arg("to") or today.isoformat()
    overview, card, supervision, hotspots, staffing, departments = view.gather(
        ("followup", "overview", ()), ("followup", "scorecard", (date_from, date_to)),
        ("notify", "supervision_summary", ()), ("insight", "hotspots", ({"to": today.isoformat()},)),
        ("insight", "staffing", ({},)), ("routing", "list_departments", (True,)), tolerant=True)
    names = {d["code"]: d["name"] for d in departments or []}
    state_labels = {s: view._(STATES[s]) for s in OPEN_STATES}
    by_department = charts.stacked(
        [(view.unit(d["code"]) or d["name"], d["states"], lambda s, code=d["code"]: f"/cases?department={code}&state={s}")
         for d in (overview or {}).get("departments", [])],
        OPEN_STATES, state_labels, title=view._("Open cases by department and state"))
    late = charts.hbars(
        [(view.unit(d["code"]) or d["name"], d["overdue"], f"/cases?department={d['code']}&overdue=1")
         for d in (overview or {}).get("departments", []) if d["overdue"]],
        title=view._("Overdue cases by department"))
    hot = charts.hbars(
        [(f"{view.category(c['category']) if c['category'] else '-'} · "
          f"{view.env.filters['place'](c['district']) if c['district'] else '-'}", c["count"], "")
         for c in
         (hotspots or {}).get("cells", [])[:10]], title=view._("Hot spots"))
    plan = charts.heat(in_own_weekdays(view, (staffing or {}).get("hours", [])), title=view._("Operators needed"))
    return show("supervisor.html", overview=overview, card=card, lines=score_lines(card) if card else [],
                supervision=supervision or [],
                hotspots=hotspots, staffing=staffing, by_department=by_department, late=late,
                hot=hot, plan=plan, date_from=date_from, date_to=date_to, names=names)


def in_own_weekdays(view, hours):
    """insight's plan names its days Mon..Sun; the page says them in its own language (周一..周日)."""
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", locale=view.lang)  # 0 is Monday
    ours = {english: names[i] for i, english in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))}
    return [dict(row, weekday=ours.get(row["weekday"], row["weekday"])) for row in hours]


def score_lines(card):
    """The scorecard's lines to show: each unit's own line, then (for a unit with units
    below it) its rolled-up line, by unit; the city last. Each has its ``scope``."""
    lines = [dict(line, scope=line.get("scope") or "unit") for line in card["departments"]]
    lines += [dict(line, scope="rolled_up") for line in card.get("rolled_up") or ()]
    lines.sort(key=lambda line: (line["department"], line["scope"] == "rolled_up"))
    return lines + [dict(card["city"], scope="city")]


# -- the cases behind a number -------------------------------------------------

def _numbers_at(deps: Deps, view: View, level):
    for row in view.call("notify", "supervision_summary") or []:
        if row["level"] == level:
            return row["numbers"]
    return []


def _search(deps: Deps, view: View, filters, level, offset, limit):
    if level:
        filters = dict(filters, numbers=_numbers_at(deps, view, level))
    return view.call("followup", "search_cases", filters, offset, limit)


def cases_list(deps: Deps, view: View):
    filters, level = case_filters(view), view.arg("level")
    page_no = view.page_number()
    found = _search(deps, view, filters, level, (page_no - 1) * PAGE, PAGE)
    qs = query_string(filters, level)
    return show("cases.html", found=found, filters=filters, level=level, page=page_no, size=PAGE,
                base=f"/cases?{qs}&", qs=qs)


# -- exports: in the reader's language, units by name, times in the city's -------

def _cell(view, field, value):
    filters = view.env.filters
    if field in MOMENTS:
        return filters["local"](value) if value else ""
    if field == "state":
        return filters["state"](value)
    if field == "urgency":
        return filters["urgency"](value)
    if field == "department":
        return view._("City") if value == "CITY" else view.unit(value)
    if field == "scope":
        return view._(SCOPES.get(value or "unit", SCOPES["unit"]))
    return value


def export_cases(deps: Deps, view: View, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Refused(404, N_("Not found"))
    filters, level = case_filters(view), view.arg("level")
    rows, offset = [], 0
    while offset < EXPORT_LIMIT:
        found = _search(deps, view, filters, level, offset, 100)
        rows += [[_cell(view, k, c.get(k)) for k, _ in CASE_COLUMNS] for c in found["items"]]
        offset += 100
        if offset >= found["total"]:
            break
    return exports.download(f"cases-{view.now.astimezone(deps.web.zone):%Y%m%d-%H%M}",
                            view._(SHEETS["cases"]), [view._(h) for _, h in CASE_COLUMNS], rows, fmt)


def export_scorecard(deps: Deps, view: View, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Refused(404, N_("Not found"))
    card = view.call("followup", "scorecard", view.arg("from") or None, view.arg("to") or None)
    rows = [[_cell(view, k, line.get(k)) for k, _ in SCORE_COLUMNS] for line in score_lines(card)]
    period = card["period"]
    return exports.download(f"scorecard-{period['from']}-{period['to']}", view._(SHEETS["scorecard"]),
                            [view._(h) for _, h in SCORE_COLUMNS], rows, fmt)


def export_ledger(deps: Deps, view: View, number, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Refused(404, N_("Not found"))
    case = view.call("followup", "case_detail", number)
    filters = view.env.filters
    rows = [[filters["local"](e.get("at"), "%Y-%m-%d %H:%M:%S"), filters["action"](e["action"]),
             filters["actor"](e.get("actor")), e.get("actor_id"), view.unit(e.get("department_code")),
             filters["reason_said"](e)] for e in case["ledger"]]
    return exports.download(f"ledger-{number}", view._(SHEETS["ledger"]),
                            [view._(h) for h in LEDGER_COLUMNS], rows, fmt)
