"""Plan against actual: insight's staffing plan (Erlang C on its forecast) for the same hours,
and the operators Erlang C asks for the calls actually offered (insight's ``agents_for``).

Both are asked of insight over RPC; when insight cannot say (no history, not running), the
report says why and the actual figures stand alone.
"""
import datetime as dt
import logging

from services.callcentre.bootstrap import Deps

log = logging.getLogger(__name__)


def beside_plan(deps: Deps, report, first, last):
    groups = report["groups"]
    try:
        needed = deps.insight.agents_for([{"calls": g["offered"], "aht_seconds": g["aht_seconds"]}
                                          for g in groups])
        for group, row in zip(groups, needed, strict=True):
            group["needed_for_actual"] = row["agents"]
    except Exception as exc:  # insight down or refusing: the figures stand alone
        log.warning("insight gave no Erlang C figures: %s", type(exc).__name__)
        report["plan_problem"] = f"insight: {type(exc).__name__}"
        return
    planned = {}
    monday = first - dt.timedelta(days=first.weekday())
    while monday <= last:
        try:
            plan = deps.insight.staffing({"week": monday.isoformat()})
        except Exception as exc:
            report["plan_problem"] = f"insight's staffing for {monday.isoformat()}: {type(exc).__name__}"
            plan = {"hours": []}
        for hour in plan.get("hours", []):
            local = dt.datetime.fromisoformat(hour["start"]).astimezone(deps.settings.zone)
            planned[local.strftime("%Y-%m-%d %H:00")] = hour
        monday += dt.timedelta(weeks=1)
    for group in groups:
        hour = planned.get(group["key"])
        if hour:
            group["planned_calls"] = hour["calls"]
            group["planned_agents"] = hour["agents"]
