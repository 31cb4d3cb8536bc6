"""What the workbench asks: calls ringing for an operator, the floor's agents and figures."""
import datetime as dt

from services.callcentre.bootstrap import Deps
from services.callcentre.domain import agents as agent_rules
from services.callcentre.domain.figures import BY, figures
from shared.platform.identity import NotAllowed
from shared.platform.privacy import mask_phone

SEE_EVERY_FLOOR = ("supervisor", "admin")


class BadQuery(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def call_view(record, full_number):
    number = record.from_number
    return {"call_id": record.call_id, "caller_phone": number if full_number else mask_phone(number),
            "to": record.to_number, "queue": record.queue, "users": list(record.users),
            "agent": record.agent, "outcome": record.outcome, "ringing_at": record.ringing_at.isoformat(),
            "answered_at": record.answered_at.isoformat() if record.answered_at else None,
            "ended_at": record.ended_at.isoformat() if record.ended_at else None,
            "wait_seconds": record.wait_seconds, "talk_seconds": record.talk_seconds,
            "recording_url": record.recording_url, "seat": record.seat}


def ringing_for(deps: Deps, operator):
    """Calls ringing now for ``operator`` (their login or name as the PBX names them), with the
    caller's full number for the screen pop: only that operator, or a supervisor, may ask."""
    person = deps.caller.require("operator", *SEE_EVERY_FLOOR)
    if operator not in (person.user_id, person.name) and not person.has(*SEE_EVERY_FLOOR):
        raise NotAllowed(f"{person.name} may see only the calls ringing for themself")
    names = {operator}
    if operator in (person.user_id, person.name):
        names |= {person.user_id, person.name}
    since = deps.now() - dt.timedelta(minutes=deps.settings.ringing_minutes)
    return [call_view(r, True) for r in deps.calls.ringing_for(names, since)]


def get_call(deps: Deps, call_id):
    """One call; the caller's number in full for those who call people (operators, callback)."""
    person = deps.caller.require("operator", "callback", *SEE_EVERY_FLOOR)
    record = deps.calls.get(call_id)
    return call_view(record, person.has("operator", "callback")) if record else None


def floor_agents(deps: Deps):
    now = deps.now()
    rows = []
    for doc in deps.calls.agents.all():
        since = doc["since"] if doc["since"].tzinfo else doc["since"].replace(tzinfo=dt.UTC)
        state, since = agent_rules.state_now(doc["state"], since, now, deps.settings.after_call_seconds)
        rows.append({"agent": doc["_id"], "state": state, "since": since.isoformat(), "set_by": doc.get("by")})
    return rows


def set_state(deps: Deps, state, agent=None):
    """An agent sets their own state (a supervisor may set anyone's)."""
    person = deps.caller.require("operator", "callback", *SEE_EVERY_FLOOR)
    agent = agent or person.user_id
    if agent != person.user_id and not person.has(*SEE_EVERY_FLOOR):
        raise NotAllowed(f"{person.name} may set only their own state")
    if state not in agent_rules.SET_BY_AGENT:
        raise BadQuery({"state": [f"must be one of {', '.join(agent_rules.SET_BY_AGENT)}"]})
    deps.calls.agents.set_state(agent, state, deps.now(), person.user_id)
    return {"agent": agent, "state": state}


def day_range(deps: Deps, params):
    """``(first, last)`` local days from ``day`` or ``from``/``to`` (today by default)."""
    params = dict(params or {})
    errors = {}
    today = deps.now().astimezone(deps.settings.zone).date()

    def day(name, default):
        value = params.get(name)
        if value in (None, ""):
            return default
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            errors[name] = ["Not a valid date."]
            return default

    first = day("day", None) or day("from", today)
    last = day("day", None) or day("to", first)
    if not errors and (last < first or (last - first).days > 92):
        errors["to"] = ["the range runs from 'from' to at most 92 days later"]
    by = params.get("by") or "hour"
    if by not in BY:
        errors["by"] = [f"Must be one of: {', '.join(BY)}."]
    if errors:
        raise BadQuery(errors)
    return first, last, by


def floor_figures(deps: Deps, params):
    """The floor's figures for the days asked, by hour, queue or operator; by hour beside
    insight's plan (Erlang C) for the same hours."""
    first, last, by = day_range(deps, params)
    zone = deps.settings.zone
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    records = deps.calls.between(start.astimezone(dt.UTC), end.astimezone(dt.UTC))
    report = figures(records, by, zone, deps.settings.target_seconds)
    report.update(first_day=first.isoformat(), last_day=last.isoformat(), by=by,
                  target_seconds=deps.settings.target_seconds,
                  callbacks=callback_counts(deps, start, end))
    if by == "hour":
        from services.callcentre.handlers.plan import beside_plan

        beside_plan(deps, report, first, last)
    return report


def callback_counts(deps: Deps, start, end):
    from services.callcentre.adapters.callbacks import attempts_of, aware
    from services.callcentre.domain.callbacks import standing

    now = deps.now()
    counts = {"missed_callers": 0, "in_time": 0, "late": 0, "overdue": 0, "open": 0}
    for doc in deps.calls.callbacks.listing(open_only=False, start=start, end=end, limit=100000):
        counts["missed_callers"] += 1
        counts[standing(attempts_of(doc), aware(doc["due_at"]), now)] += 1
    return counts
