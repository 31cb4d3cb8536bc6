"""No ticket left behind: intake's reconciler, a mixin of ``IntakeService``.

intake owns the promise to the citizen -- every ticket reaches a department
(or the dispatchers' queue), an open case and a deadline watch, each within
``RECONCILE.*_seconds`` -- and keeps the facts in its status view (what each
ticket still owes is in ``check``, see ``check_store``). Every
``RECONCILE_INTERVAL`` seconds one intake instance (a lease) takes the
overdue checks, asks the owner of the missing fact by RPC to publish it again
(``reconcile`` has the table), and after ``RECONCILE.repairs`` attempts tells
supervisors once (``intake.ticket_stalled``, delivered by notify). It never
reads another service's database.

``reconciler_findings`` (RPC) and ``findings(repository)`` (a plain function,
for metrics) say how many tickets wait at each stage, how many are escalated,
and the totals of repairs, escalations and tickets healed after a repair.
"""
import datetime as dt
import logging
import uuid

from nameko.extensions import DependencyProvider

from services.intake.check_store import new_check
from services.intake.domain import ticket_created_body
from services.intake.reconcile import STAGES, ReconcileRules, stalled_reason
from services.intake.status_view import entry
from shared.contract import events
from shared.contract.numbering import same_instant
from shared.platform import principals
from shared.platform.doors import People, door
from shared.platform.identity import NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.messaging import rpc
from shared.platform.outbox import outboxed, publish_saved
from shared.platform.timer import every

log = logging.getLogger(__name__)

NO_ANSWER = object()
SHOWN = 20


class Reconciling(DependencyProvider):
    """The reconciler's rules and how to reach the other services, read in ``setup()``."""

    def setup(self):
        config = self.container.config
        self.rules = ReconcileRules.from_config(config)
        self.rpc_config = principals.client_config(config, "intake")
        self.owner = uuid.uuid4().hex[:12]

    def get_dependency(self, worker_ctx):
        return self


def findings(repository, now=None):
    """What the reconciler knows at ``now`` (the platform's clock; real time by default):
    a plain dict, for ``reconciler_findings`` and metrics."""
    now = now or events.utcnow()
    totals, last = repository.round_record()
    waiting, escalated = repository.count_overdue(now)
    return {"waiting": waiting, "waiting_total": sum(waiting.values()), "escalated": escalated,
            "totals": {key: int(totals.get(key, 0)) for key in ("repairs", "escalations", "healed")},
            "last_round": last}


class Reconciler:
    """The reconciler's entrypoints (timer, RPC) and repairs; needs ``reconciling``,
    ``tickets`` and ``dispatch``. The status view sets and clears the checks."""

    def first_check(self, now):
        """The check a new ticket starts with: dispatched within ``dispatch_seconds``
        (``TicketRepository.add`` writes it with ``check_due`` and ``check_overdue``)."""
        return new_check(0, now, self.reconciling.rules.due("dispatch", now))

    # -- the round -----------------------------------------------------------------

    @every("RECONCILE_INTERVAL", default=60)
    def reconcile(self):
        now = self.clock.now()  # the platform's clock: the events' times follow it
        if not self.tickets.take_round(self.reconciling.owner, self.reconciling.rules.interval * 0.9, now):
            return None
        return self.reconcile_round(now)

    @door(People("supervisor", "admin"))
    @rpc(expected_exceptions=NotAllowed)
    def reconcile_now(self):
        """Run a round now (whatever the lease), for a supervisor or an administrator; what it did."""
        self.caller.require("supervisor", "admin")
        return self.reconcile_round(self.clock.now())

    @door(People("supervisor", "admin"))
    @rpc
    def reconciler_findings(self):
        """How many tickets wait at each stage, how many are escalated, the totals, the
        last round -- and the first tickets waiting (numbers and stages only)."""
        now = self.clock.now()
        report = findings(self.tickets, now)
        waiting = []
        for ticket in self.tickets.overdue(now, SHOWN):
            for stage, check in sorted((ticket.get("check") or {}).items()):
                if check and check.get("overdue_at") and check["overdue_at"] <= now:
                    waiting.append({"number": ticket["number"], "stage": stage, "attempt": check["attempt"],
                                    "since": check["since"].isoformat(), "repairs": check.get("repairs", 0),
                                    "escalated": bool(check.get("escalated_at"))})
        report["tickets"] = waiting[:SHOWN]
        return jsonable(report)

    def reconcile_round(self, now):
        from shared.platform.principals import ClusterRpcProxy

        rules = self.reconciling.rules
        report = {"at": now, "looked_at": dict.fromkeys(STAGES, 0), "repairs": 0, "escalations": 0,
                  "not_answering": []}
        silent = set()
        with ClusterRpcProxy(self.reconciling.rpc_config, timeout=rules.rpc_timeout) as cluster:
            asks = Asks(cluster, silent)
            for ticket in self.tickets.due_checks(now, rules.batch):
                for stage in STAGES:
                    check = (ticket.get("check") or {}).get(stage)
                    if check and check.get("due") and check["due"] <= now:
                        report["looked_at"][stage] += 1
                        done = self.reconcile_ticket(asks, stage, ticket, now)
                        report[done] += 1
                        self.count_finding(stage, "repaired" if done == "repairs" else "raised")
        report["not_answering"] = sorted(silent)
        self.tickets.count_round_totals({"repairs": report["repairs"], "escalations": report["escalations"]})
        self.tickets.save_round(report)
        if report["repairs"] or report["escalations"]:
            log.warning("reconciler: %s", {k: v for k, v in report.items() if k != "at"})
        return jsonable(report)

    def count_finding(self, stage, action):
        """``hotline_reconciler_findings_total{check, action}`` (action: repaired -- asked again --
        or raised to supervisors); a metric never stops the round."""
        try:
            self.operations.metrics.reconciler_findings.labels(stage, action).inc()
        except Exception:
            log.debug("reconciler finding not counted", exc_info=True)

    def reconcile_ticket(self, asks, stage, ticket, now):
        """Repair (ask again) or escalate one overdue check: ``"repairs"`` or ``"escalations"``."""
        rules = self.reconciling.rules
        check = ticket["check"][stage]
        tried, unrepairable = getattr(self, f"repair_{stage}")(asks, ticket, check)
        log.info("reconciler: %s waits for its %s (attempt %s): %s", ticket["number"], stage,
                 check["attempt"], unrepairable or tried)
        if rules.escalate(check, unrepairable):
            self.escalate(ticket, stage, check, stalled_reason(stage, check, tried, unrepairable), now)
            return "escalations"
        self.tickets.postpone(ticket["number"], stage, check["attempt"],
                              rules.next_look(stage, now, bool(check.get("escalated_at"))))
        return "repairs"

    def escalate(self, ticket, stage, check, reason, now):
        number = ticket["number"]
        stalled = events.new_event(
            events.TicketStalled, number=number, stage=stage, attempt=check["attempt"],
            since=check["since"], repairs=check.get("repairs", 0), reason=reason[:1000],
            department_code=(ticket.get("department") or {}).get("code"), title=ticket.get("title") or "")
        doc = self.tickets.postpone(number, stage, check["attempt"],
                                    self.reconciling.rules.next_look(stage, now, escalated=True),
                                    repaired=False, escalated_at=now,
                                    outbox=[outboxed("ticket_stalled", stalled)])
        if doc is None:
            return  # the step came meanwhile
        publish_saved(self.tickets.outbox, self.dispatch, doc["_id"])
        self.tickets.apply(number, stalled["event_id"], {"escalation": f"stalled_{stage}"},
                           entry(now, "stalled", f"supervisors told: {reason}"), now)
        log.warning("reconciler: %s escalated to supervisors: %s", number, reason)

    # -- the repairs, one per stage (see the table in ``reconcile``) -----------------

    def repair_dispatch(self, asks, ticket, check):
        number = ticket["number"]
        decision = asks.call("routing", "republish_decision", number)
        if decision is None and not check["attempt"]:
            self.publish_created_again(ticket)
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

    def repair_case(self, asks, ticket, check):
        number = ticket["number"]
        case = asks.call("followup", "republish_case", number)
        if isinstance(case, dict) and (case.get("attempt") or 0) >= check["attempt"] \
                and case.get("event_type") == "case_opened":
            return "followup published case_opened again", None
        decision = asks.call("routing", "republish_decision", number)
        if isinstance(decision, dict):
            return f"routing published its {decision['event_type']} again (followup had no case)", None
        return f"nobody could say ({asks.silent_names() or 'no case, no decision'})", None

    def repair_watch(self, asks, ticket, check):
        number = ticket["number"]
        watch = asks.call("notify", "republish_watch", number)
        if isinstance(watch, dict) and watch.get("republished") and (watch.get("attempt") or 0) >= check["attempt"]:
            return "notify published deadline_watched again", None
        case = asks.call("followup", "republish_case", number)
        if isinstance(case, dict):
            return f"followup published its {case['event_type']} again (notify had no watch)", None
        return f"nobody could say ({asks.silent_names() or 'no watch, no case'})", None

    def publish_created_again(self, ticket):
        stored = self.tickets.get(ticket["number"])
        created = events.new_event(events.TicketCreated, **ticket_created_body(stored))
        doc = self.tickets.postpone(ticket["number"], "dispatch", 0, self.reconciling.rules.next_look(
            "dispatch", self.clock.now()), repaired=False, outbox=[outboxed("ticket_created", created)])
        if doc is not None:
            publish_saved(self.tickets.outbox, self.dispatch, doc["_id"])


class Asks:
    """RPC calls of one round; a service that does not answer is asked no more this round."""

    def __init__(self, cluster, silent):
        self.cluster = cluster
        self.silent = silent

    def call(self, service, method, *args):
        if service in self.silent:
            return NO_ANSWER
        try:
            return getattr(getattr(self.cluster, service), method)(*args)
        except Exception as exc:
            log.warning("reconciler: %s.%s did not answer (%s)", service, method, type(exc).__name__)
            self.silent.add(service)
            return NO_ANSWER

    def silent_names(self):
        return ", ".join(f"{name} did not answer" for name in sorted(self.silent))


def _when(value):
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value
