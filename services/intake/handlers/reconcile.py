"""No ticket left behind: the reconciler's round, its repairs and its findings.

intake owns the promise to the citizen -- every ticket reaches a department
(or the dispatchers' queue), an open case and a deadline watch, each within
``RECONCILE.*_seconds``, and every open part of its case other units hold has
a watch of its own (none once the part is over) -- and keeps the facts in its
status view (what each ticket still owes is in ``check``, see
``domain/checks.py``). Every
``RECONCILE_INTERVAL`` seconds one intake instance (a lease) takes the
overdue checks, asks the owner of the missing fact by RPC to publish it again
(``domain/reconcile.py`` has the table), and after ``RECONCILE.repairs``
attempts tells supervisors once (``intake.ticket_stalled``, delivered by
notify). It never reads another service's database.

``reconciler_findings`` (RPC) and ``findings(repository)`` (a plain function,
for metrics) say how many tickets wait at each stage, how many are escalated,
and the totals of repairs, escalations and tickets healed after a repair.
"""
import datetime as dt
import logging

from services.intake.adapters.reconciling import NO_ANSWER, Asks
from services.intake.bootstrap import Deps
from services.intake.domain.checks import STAGES, new_check, overdue_stages
from services.intake.domain.history import entry
from services.intake.domain.reconcile import compare_parts, stalled_reason
from services.intake.domain.ticket import ticket_created_body
from shared.contract import events
from shared.contract.numbering import same_instant
from shared.platform.jsonable import jsonable
from shared.platform.outbox import outboxed

log = logging.getLogger(__name__)

SHOWN = 20
KEPT = object()  # a repair's answer: nothing to repair, the promise is kept (``parts``)


def first_check(deps: Deps, now):
    """The check a new ticket starts with: dispatched within ``dispatch_seconds``
    (``TicketRepository.add`` writes it with ``check_due`` and ``check_overdue``)."""
    return new_check(0, now, deps.reconciling.rules.due("dispatch", now))


def findings(repository, now=None):
    """What the reconciler knows at ``now`` (the platform's clock; real time by default):
    a plain dict, for ``reconciler_findings`` and metrics."""
    now = now or events.utcnow()
    totals, last = repository.round_record()
    waiting, escalated = repository.count_overdue(now)
    return {"waiting": waiting, "waiting_total": sum(waiting.values()), "escalated": escalated,
            "totals": {key: int(totals.get(key, 0)) for key in ("repairs", "escalations", "healed")},
            "last_round": last}


def reconciler_findings(deps: Deps):
    """How many tickets wait at each stage, how many are escalated, the totals, the
    last round -- and the first tickets waiting (numbers and stages only)."""
    now = deps.clock.now()
    report = findings(deps.tickets, now)
    waiting = []
    for ticket in deps.tickets.overdue(now, SHOWN):
        for stage, check in overdue_stages(ticket, now):
            waiting.append({"number": ticket["number"], "stage": stage, "attempt": check["attempt"],
                            "since": check["since"].isoformat(), "repairs": check.get("repairs", 0),
                            "escalated": bool(check.get("escalated_at"))})
    report["tickets"] = waiting[:SHOWN]
    return jsonable(report)


def scheduled_round(deps: Deps):
    """The timer's round: only the instance holding the lease runs it."""
    now = deps.clock.now()  # the platform's clock: the events' times follow it
    if not deps.tickets.take_round(deps.reconciling.owner, deps.reconciling.rules.interval * 0.9, now):
        return None
    return reconcile_round(deps, now)


def round_now(deps: Deps):
    """A round now (whatever the lease), for a supervisor or an administrator."""
    deps.caller.require("supervisor", "admin")
    return reconcile_round(deps, deps.clock.now())


def reconcile_round(deps: Deps, now):
    rules = deps.reconciling.rules
    report = {"at": now, "looked_at": dict.fromkeys(STAGES, 0), "repairs": 0, "escalations": 0,
              "settled": 0, "not_answering": []}
    silent: set[str] = set()
    with deps.reconciling.cluster() as cluster:
        asks = Asks(cluster, silent)
        for ticket in deps.tickets.due_checks(now, rules.batch):
            for stage in STAGES:
                check = (ticket.get("check") or {}).get(stage)
                if check and check.get("due") and check["due"] <= now:
                    report["looked_at"][stage] += 1
                    done = reconcile_ticket(deps, asks, stage, ticket, now)
                    report[done] += 1
                    if done != "settled":
                        count_finding(deps, stage, "repaired" if done == "repairs" else "raised")
    report["not_answering"] = sorted(silent)
    deps.tickets.count_round_totals({"repairs": report["repairs"], "escalations": report["escalations"]})
    deps.tickets.save_round(report)
    if report["repairs"] or report["escalations"]:
        log.warning("reconciler: %s", {k: v for k, v in report.items() if k != "at"})
    return jsonable(report)


def count_finding(deps: Deps, stage, action):
    """``hotline_reconciler_findings_total{check, action}`` (action: repaired -- asked again --
    or raised to supervisors); a metric never stops the round."""
    try:
        deps.metrics.reconciler_findings.labels(stage, action).inc()
    except Exception:
        log.debug("reconciler finding not counted", exc_info=True)


def reconcile_ticket(deps: Deps, asks, stage, ticket, now):
    """Repair (ask again) or escalate one overdue check: ``"repairs"`` or ``"escalations"`` --
    or ``"settled"``: the promise is found kept (``parts``) and the check removed."""
    rules = deps.reconciling.rules
    check = ticket["check"][stage]
    tried, unrepairable = REPAIRS[stage](deps, asks, ticket, check)
    if tried is KEPT:
        return settle(deps, stage, ticket, check)
    log.info("reconciler: %s waits for its %s (attempt %s): %s", ticket["number"], stage,
             check["attempt"], unrepairable or tried)
    if rules.escalate(check, unrepairable):
        escalate(deps, ticket, stage, check, stalled_reason(stage, check, tried, unrepairable), now)
        return "escalations"
    deps.tickets.postpone(ticket["number"], stage, check["attempt"],
                          rules.next_look(stage, now, bool(check.get("escalated_at"))))
    return "repairs"


def settle(deps: Deps, stage, ticket, check):
    """The promise of ``stage`` is kept: its check goes -- unless something changed since it was
    read (it stays, for the change to be looked at) -- and counts as healed if it was repaired."""
    if deps.tickets.settle(ticket["number"], stage, check["attempt"]) and check.get("repairs"):
        deps.tickets.count_round_totals({"healed": 1})
        log.info("reconciler: %s's %s healed after %s repair(s)", ticket["number"], stage, check["repairs"])
    return "settled"


def escalate(deps: Deps, ticket, stage, check, reason, now):
    number = ticket["number"]
    stalled = events.new_event(
        events.TicketStalled, number=number, stage=stage, attempt=check["attempt"],
        since=check["since"], repairs=check.get("repairs", 0), reason=reason[:1000],
        department_code=(ticket.get("department") or {}).get("code"), title=ticket.get("title") or "")
    uow = deps.uow()
    doc = uow.run(lambda: deps.tickets.postpone(
        number, stage, check["attempt"], deps.reconciling.rules.next_look(stage, now, escalated=True),
        repaired=False, escalated_at=now, outbox=[outboxed("ticket_stalled", stalled)], uow=uow))
    if doc is None:
        return  # the step came meanwhile
    deps.tickets.apply(number, stalled["event_id"], {"escalation": f"stalled_{stage}"},
                       entry(now, "stalled", f"supervisors told: {reason}"), now)
    log.warning("reconciler: %s escalated to supervisors: %s", number, reason)


# -- the repairs, one per stage (see the table in ``domain/reconcile.py``) -----------------

def repair_dispatch(deps: Deps, asks, ticket, check):
    number = ticket["number"]
    decision = asks.call("routing", "republish_decision", number)
    if decision is None and not check["attempt"]:
        publish_created_again(deps, ticket)
        return "intake published ticket_created again (routing had no decision)", None
    if isinstance(decision, dict):
        if not same_instant(_when(decision.get("received_at")), ticket.get("received_at")):
            return None, (f"routing holds number {number} for another ticket (received "
                          f"{decision.get('received_at')}): the number was issued twice")
        if (decision.get("attempt") or 0) > check["attempt"] or not check["attempt"]:
            return f"routing published its {decision['event_type']} again", None
    case = asks.call("followup", "republish_case", number)
    if isinstance(case, dict):
        return f"followup published its {case['event_type']} again", None
    return f"nobody could say ({asks.silent_names() or 'no decision, no case'})", None


def repair_case(deps: Deps, asks, ticket, check):
    number = ticket["number"]
    case = asks.call("followup", "republish_case", number)
    if isinstance(case, dict) and (case.get("attempt") or 0) >= check["attempt"] \
            and case.get("event_type") == "case_opened":
        return "followup published case_opened again", None
    decision = asks.call("routing", "republish_decision", number)
    if isinstance(decision, dict):
        return f"routing published its {decision['event_type']} again (followup had no case)", None
    return f"nobody could say ({asks.silent_names() or 'no case, no decision'})", None


def repair_watch(deps: Deps, asks, ticket, check):
    number = ticket["number"]
    watch = asks.call("notify", "republish_watch", number)
    if isinstance(watch, dict) and watch.get("republished") and (watch.get("attempt") or 0) >= check["attempt"]:
        return "notify published deadline_watched again", None
    case = asks.call("followup", "republish_case", number)
    if isinstance(case, dict):
        return f"followup published its {case['event_type']} again (notify had no watch)", None
    return f"nobody could say ({asks.silent_names() or 'no watch, no case'})", None


def repair_parts(deps: Deps, asks, ticket, check):
    """Compare followup's parts with notify's part watches; for each part that differs, have
    followup publish its standing events again (notify opens the missing watch, or ends the one
    that outlived its part). ``KEPT`` when they agree."""
    number = ticket["number"]
    case = asks.call("followup", "case_parts", number)
    if not isinstance(case, dict):
        return f"nobody could say ({asks.silent_names() or 'followup has no case'})", None
    watches = asks.call("notify", "part_watches", number)
    if not isinstance(watches, list):
        return f"nobody could say ({asks.silent_names() or 'notify said nothing'})", None
    finding = compare_parts(case.get("parts") or [], watches)
    if finding.agree:
        return KEPT, None
    published, unknown = [], []
    for unit in finding.units():
        answer = asks.call("followup", "republish_part", number, unit)
        if isinstance(answer, dict):
            published.append(unit)
        elif answer is not NO_ANSWER:
            unknown.append(unit)
    tried = f"{finding.say()}: " + (f"followup published the part of {', '.join(published)} again"
                                    if published else f"nothing published ({asks.silent_names() or 'none kept'})")
    if unknown and not published:
        return tried, f"{finding.say()}; the case has no part for {', '.join(unknown)}"
    return tried, None


REPAIRS = {"dispatch": repair_dispatch, "case": repair_case, "watch": repair_watch, "parts": repair_parts}


def publish_created_again(deps: Deps, ticket):
    stored = deps.tickets.get(ticket["number"])
    created = events.new_event(events.TicketCreated, **ticket_created_body(stored))
    uow = deps.uow()
    uow.run(lambda: deps.tickets.postpone(
        ticket["number"], "dispatch", 0, deps.reconciling.rules.next_look("dispatch", deps.clock.now()),
        repaired=False, outbox=[outboxed("ticket_created", created)], uow=uow))


def _when(value):
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value
