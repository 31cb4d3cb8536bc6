"""The phone floor's screens: the screen pop on ringing (来电弹屏), the agent's own state,
the missed callers' queue (漏接回拨), and the supervisor's floor with its figures.

Handlers of the pages in ``service.py``. Everything is callcentre's (``ringing_for``,
``get_call``, ``floor_agents``, ``set_agent_state``, ``missed_callers``,
``claim_missed_caller``, ``record_callback``, ``floor_figures``), called as the signed-in
person; the caller's earlier tickets are intake's ``caller_tickets``, looked up here by
the call's number. A phone number never travels in a URL: the pop and the new-ticket form
carry the call's id, and the number is looked up on the server.
"""
import datetime as dt

from services.console import charts, exports
from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show
from shared.platform.privacy import mask_phone

SUPERVISION = ("supervisor", "admin")
CALLERS_BACK = ("callback", "operator")            # who call the missed callers back
MISSED_READERS = CALLERS_BACK + SUPERVISION
SET_STATES = ("ready", "break", "offline")          # what an agent sets themself (callcentre's rule)
AGENT_STATES = {"ready": N_("ready"), "on_call": N_("on a call"), "after_call_work": N_("after-call work"),
                "break": N_("on a break"), "offline": N_("offline")}
STANDINGS = {"open": N_("open"), "overdue": N_("overdue"), "in_time": N_("called back in time"),
             "late": N_("called back late")}
OUTCOMES = {"reached": N_("reached"), "not_reached": N_("not reached"), "wrong_number": N_("wrong number")}
CLOSED = ("closed", "answered", "linked", "transferred")  # a ticket that needs nothing more
TARGET_RATE = 0.8                                       # GB/T 33358, city rules: 80% within 15 s
FIGURE_COLUMNS = (  # (field, header msgid) of the floor's tables and exports
    ("offered", N_("Offered")), ("answered", N_("Answered")), ("answer_rate", N_("Answer rate")),
    ("answered_in_target", N_("Answered within 15 s")), ("service_level", N_("Within 15 s (rate)")),
    ("abandoned", N_("Abandoned")), ("abandon_rate", N_("Abandon rate")),
    ("abandon_wait_mean", N_("Waited before abandoning (s)")), ("aht_seconds", N_("Average handling time (s)")),
    ("agents", N_("Operators answering")))
PLAN_COLUMNS = (("needed_for_actual", N_("Operators needed for the calls")),
                ("planned_agents", N_("Operators planned")), ("planned_calls", N_("Calls forecast")))
RATES = {"answer_rate", "service_level", "abandon_rate"}
BY_HEADERS = {"hour": N_("Hour"), "queue": N_("Queue"), "operator": N_("Operator")}
SHEETS = {"hour": N_("floor by hour"), "queue": N_("floor by queue"), "operator": N_("floor by operator")}


# -- the screen pop and the agent's own state (on the operator's screen) ---------------------

def my_state(view: View, agents):
    mine = next((a for a in agents or () if a.get("agent") == view.person.user_id), None)
    return mine or {"agent": view.person.user_id, "state": "offline", "since": None}


def a_number(phone):
    """A number to look a caller up by (not ``anonymous``, not a short extension)."""
    return sum(c.isdigit() for c in str(phone or "")) >= 7


def open_tickets(tickets):
    return [t for t in tickets if t.get("status") not in CLOSED]


def ringing(deps: Deps, view: View):
    """The pop, polled by the operator's screen: the call ringing for them now (or the one
    they answered from the pop, while it lasts), the caller's earlier and open tickets, and
    their own state. ``shown`` is the call the pop showed last (an id, never a number)."""
    calls, agents = view.gather(("callcentre", "ringing_for", (view.person.user_id,)),
                                ("callcentre", "floor_agents", ()), tolerant=True)
    call = (calls or [None])[0]
    shown = (view.arg("shown") or view.arg("call_id"))[:250]  # the pop's call, or the form's
    if call is None and shown:
        kept = view.optional("callcentre", "get_call", shown)
        # answered by this operator and still talking: the pop stays until the call ends
        if kept and kept.get("outcome") == "talking" and kept.get("agent") in (view.person.user_id,
                                                                                view.person.name):
            call = kept
    found = {"items": [], "total": 0}
    phone = (call or {}).get("caller_phone") or ""
    if call and a_number(phone) and call["call_id"] != view.arg("call_id"):  # the form shows them
        found = view.optional("intake", "caller_tickets", phone, 8) or found
    return show("_ringing.html", call=call, more=max(len(calls or ()) - 1, 0), tickets=found["items"],
                total=found["total"], open=open_tickets(found["items"]), me=my_state(view, agents),
                states=AGENT_STATES, set_states=SET_STATES, current=view.arg("call_id")[:250],
                unavailable=calls is None)


def set_state(deps: Deps, view: View):
    """The agent sets their own state (ready, break, offline); the pop comes back with it."""
    state = (view.form.get("state") or "").strip()
    if state not in SET_STATES:
        raise Refused(400, N_("Please check the form"), view._("Choose ready, a break or offline."))
    view.call("callcentre", "set_agent_state", state)
    if view.htmx:
        return ringing(deps, view)
    return Redirect(view.form.get("back") if view.form.get("back") in ("/operator", "/missed") else "/operator")


def call_for_form(view: View, call_id):
    """The call's number and recording for the new ticket's form (looked up by its id)."""
    if not call_id:
        return None
    try:
        return view.call("callcentre", "get_call", call_id[:250])
    except Refused:
        return None


# -- missed callers (漏接回拨) ------------------------------------------------------------------

def missed_row(view: View, entry):
    """An entry as listed: the number in full only to the one who claimed it to call back;
    everyone else (other agents, supervisors) reads it masked."""
    mine = entry.get("claimed_by") == view.person.user_id and view.can(*CALLERS_BACK)
    return dict(entry, caller_phone=entry["caller_phone"] if mine else mask_phone(entry["caller_phone"]),
                mine=mine, closed=entry["standing"] in ("in_time", "late"))


def missed_counts(entries):
    counts = {name: 0 for name in STANDINGS}
    for entry in entries:
        counts[entry["standing"]] = counts.get(entry["standing"], 0) + 1
    counts["waiting"] = counts["open"] + counts["overdue"]
    counts["all"] = len(entries)
    return counts


def missed(deps: Deps, view: View):
    everything = view.call("callcentre", "missed_callers", False)
    shown_all = view.arg("all") == "1"
    rows = [missed_row(view, e) for e in everything if shown_all or e["standing"] in ("open", "overdue")]
    return show("missed.html", rows=rows, counts=missed_counts(everything), shown_all=shown_all,
                standings=STANDINGS, outcomes=OUTCOMES, may_work=view.can(*CALLERS_BACK))


def _worked(view: View, do):
    try:
        return do()
    except Refused as exc:
        if exc.status not in (400, 409):
            raise
        return Redirect("/missed", flash=view._(
            "Not done: someone else is calling this caller back, or the entry was closed meanwhile."))


def missed_claim(deps: Deps, view: View, key):
    entry = _worked(view, lambda: view.call("callcentre", "claim_missed_caller", key[:200]))
    if isinstance(entry, Redirect):
        return entry
    return Redirect("/missed", flash=view._("Claimed: call the caller back by %(due)s.",
                                            due=view.env.filters["local"](entry["due_at"])))


def missed_outcome(deps: Deps, view: View, key):
    outcome = (view.form.get("outcome") or "").strip()
    if outcome not in OUTCOMES:
        raise Refused(400, N_("Please check the form"), view._("Choose what came of the call."))
    note = (view.form.get("note") or "").strip()[:500]
    entry = _worked(view, lambda: view.call("callcentre", "record_callback", key[:200], outcome, note))
    if isinstance(entry, Redirect):
        return entry
    return Redirect("/missed", flash=view._("Recorded: %(outcome)s.", outcome=view._(OUTCOMES[outcome])))


# -- the floor (supervisors) ---------------------------------------------------------------------

def the_day(deps: Deps, view: View):
    today = view.now.astimezone(deps.web.zone).date()
    try:
        return min(dt.date.fromisoformat(view.arg("day")), today + dt.timedelta(days=1)) if view.arg("day") else today
    except ValueError:
        return today


def hours_of(report):
    """The day's 24 hours, each with its figures (an hour with no call: offered 0)."""
    by_hour = {g["key"][-5:-3]: g for g in (report or {}).get("groups", [])}
    return [dict(by_hour.get(f"{h:02d}", {"offered": 0}), hour=h) for h in range(24)]


def floor_charts(view: View, hours):
    labels = [f"{h['hour']:02d}" for h in hours]
    calls = charts.columns(labels, [
        (view._("Answered within 15 s"), "approved", [h.get("answered_in_target") or 0 for h in hours]),
        (view._("Answered later"), "signed_for",
         [(h.get("answered") or 0) - (h.get("answered_in_target") or 0) for h in hours]),
        (view._("Abandoned"), "late", [h.get("abandoned") or 0 for h in hours])],
        stacked=True, title=view._("Calls per hour"))
    level = [None if h.get("service_level") is None else round(100 * h["service_level"]) for h in hours]
    rate = charts.columns(labels, [
        (view._("80% or more"), "approved", [v if v is not None and v >= 80 else None for v in level]),
        (view._("below 80%"), "late", [v if v is not None and v < 80 else None for v in level])],
        stacked=True, top=100, reference=(80, view._("target 80%")), unit="%",
        title=view._("Answered within 15 s, per hour"))
    plan = charts.columns(labels, [
        (view._("Operators planned"), "muted", [h.get("planned_agents") for h in hours]),
        (view._("Operators needed for the calls"), "assigned", [h.get("needed_for_actual") for h in hours]),
        (view._("Operators answering"), "bar", [h.get("agents") if h.get("offered") else None for h in hours])],
        width=1300, height=250, title=view._("Plan against actual: operators per hour"))
    return {"calls": calls, "rate": rate, "plan": plan}


def floor(deps: Deps, view: View):
    day = the_day(deps, view).isoformat()
    by_hour, by_queue, by_operator, agents = view.gather(
        ("callcentre", "floor_figures", ({"day": day, "by": "hour"},)),
        ("callcentre", "floor_figures", ({"day": day, "by": "queue"},)),
        ("callcentre", "floor_figures", ({"day": day, "by": "operator"},)),
        ("callcentre", "floor_agents", ()), tolerant=True)
    hours = hours_of(by_hour)
    short = [h for h in hours if h.get("needed_for_actual") and h.get("agents") is not None
             and h["agents"] < h["needed_for_actual"]]
    below = [h for h in hours if h.get("service_level") is not None and h["service_level"] < TARGET_RATE]
    return show("floor.html", day=day, report=by_hour, hours=hours, queues=by_queue, operators=by_operator,
                agents=sorted(agents or [], key=lambda a: a["agent"]), states=AGENT_STATES,
                charts=floor_charts(view, hours) if by_hour else None, short=short, below=below,
                columns=FIGURE_COLUMNS, plan_columns=PLAN_COLUMNS, rates=RATES, target=TARGET_RATE)


def export_floor(deps: Deps, view: View, fmt):
    if fmt not in ("xlsx", "csv"):
        raise Refused(404, N_("Not found"))
    by = view.arg("by") if view.arg("by") in BY_HEADERS else "hour"
    day = the_day(deps, view).isoformat()
    report = view.call("callcentre", "floor_figures", {"day": day, "by": by})
    columns = FIGURE_COLUMNS + (PLAN_COLUMNS if by == "hour" else ())
    rows = [[g["key"]] + [g.get(k) for k, _ in columns] for g in report["groups"]]
    rows.append([view._("Total")] + [report["total"].get(k) for k, _ in columns])
    return exports.download(f"floor-{by}-{day}", view._(SHEETS[by]),
                            [view._(BY_HEADERS[by])] + [view._(h) for _, h in columns], rows, fmt)
