"""What each ticket still waits for, kept for the reconciler: a part of ``TicketRepository``.

A ticket promises three things, each within a configured time (``RECONCILE``):
a department or a dispatcher's queue (``dispatch``), an open case for its
assignment (``case``), a deadline watch for that case (``watch``). While one
is owed, the ticket carries ``check.<stage> = {attempt, since, due, overdue_at,
repairs}``; the event that keeps the promise removes it. An event's checks
are written in the same update as its state (``check_fields``, a stage of
the status view's pipeline update), conditions evaluated on the ticket as
it is, so the result is right whatever order the events come in:

* a check is set only if the step it waits for has not been recorded for
  that attempt already (a case opened before its assignment was handled
  here: no case check);
* a check is removed only by the step for its attempt or a later one (an
  earlier attempt's case, heard late, does not satisfy a later assignment).

The reconciler reads the tickets whose soonest check is due (``check_due``,
indexed, kept with every change of the checks), repairs or escalates, and
moves ``due`` on; ``check_overdue`` (the oldest ``overdue_at``) counts and
lists the tickets waiting too long. Its round totals live in ``reconciler``.
"""
import datetime as dt

from pymongo.errors import DuplicateKeyError

from shared.contract import bounds

STAGES = ("dispatch", "case", "watch")
CHECKED = {"_id": 0, "number": 1, "status": 1, "check": 1, "assignment": 1, "case": 1,
           "watch": 1, "received_at": 1, "department": 1, "title": 1}
# The earliest of a ticket's checks, indexed: what the reconciler reads by.
SOONEST = {"check_due": {"$min": [f"$check.{stage}.due" for stage in STAGES]},
           "check_overdue": {"$min": [f"$check.{stage}.overdue_at" for stage in STAGES]}}


UNKNOWN = 10 ** 9  # an attempt no check has: a missing check is never "done" by a comparison

# The step of each stage is not yet recorded for attempt ``a`` (a pipeline expression;
# spelt without ``$not``, which the in-memory store gets wrong).
NOT_RECORDED = {
    "dispatch": lambda a: {"$lte": [{"$ifNull": ["$dispatched_attempt", 0]}, a]},
    "case": lambda a: {"$lt": [{"$ifNull": ["$case.attempt", 0]}, a]},
    "watch": lambda a: {"$lt": [{"$ifNull": ["$watch.attempt", 0]}, a]},
}
DONE_BY = {"$lt": lambda held, a: held < a, "$lte": lambda held, a: held <= a}


# What an event does to a ticket's checks: ops for ``check_fields``.
def owe(stage, attempt, since, due):
    """The step of ``stage`` is owed for ``attempt`` (unless recorded, or owed already)."""
    return ("owe", stage, attempt, new_check(attempt, since, due))


def done(stage, attempt, op="$lte"):
    """The step of ``stage`` happened for ``attempt``: a check whose attempt is ``op``
    ``attempt`` (not later than it, by default) is done."""
    return ("done", stage, attempt, op)


def dispatched(attempt):
    """Routing assigned or queued the ticket at ``attempt``: the dispatch before it is done."""
    return ("dispatched", attempt)


FINISHED = ("finished",)


def check_fields(ops):
    """The ``$set`` fields (a pipeline stage) that apply ``ops`` to a ticket, after its state.

    A check done is set to null, not removed: ``$$REMOVE`` removes a field in
    MongoDB but not in the in-memory store, and a null check matches nothing
    the reconciler looks for either way."""
    fields = {}
    for op in ops or ():
        kind = op[0]
        if kind == "finished":
            fields["check"] = None
        elif kind == "dispatched":
            fields["dispatched_attempt"] = {"$max": [{"$ifNull": ["$dispatched_attempt", 0]}, op[1]]}
            fields.update(check_fields([done("dispatch", op[1], "$lt")]))
        elif kind == "done":
            _, stage, attempt, compare = op
            held = {"$ifNull": [f"$check.{stage}.attempt", UNKNOWN]}
            fields[f"check.{stage}"] = {"$cond": [{compare: [held, attempt]}, None, f"$check.{stage}"]}
        elif kind == "owe":
            _, stage, attempt, check = op
            owed = {"$and": [NOT_RECORDED[stage](attempt),
                             {"$lt": [{"$ifNull": [f"$check.{stage}.attempt", -1]}, attempt]}]}
            fields[f"check.{stage}"] = {"$cond": [owed, {"$literal": check}, f"$check.{stage}"]}
    return fields


def healed(before, ops):
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


def owing(dispatch_check):
    """The fields a ticket starts with when it waits to be dispatched."""
    return {"check": {"dispatch": dispatch_check}, "check_due": dispatch_check["due"],
            "check_overdue": dispatch_check["overdue_at"]}


def new_check(attempt, since, due):
    """A step owed since ``since``: overdue at ``due`` (kept), looked at from ``due`` (moved on)."""
    return {"attempt": attempt, "since": since, "due": due, "overdue_at": due, "repairs": 0}


class Checks:
    """Needs ``self.tickets`` and ``self.reconciler`` (collections)."""

    def ensure_check_indexes(self):
        self.tickets.create_index("check_due", sparse=True)
        self.tickets.create_index("check_overdue", sparse=True)

    # -- read and moved on by the reconciler ---------------------------------------

    def due_checks(self, now, limit):
        """The tickets with a check the reconciler should look at now, soonest first."""
        return list(self.tickets.find({"check_due": {"$lte": now}}, CHECKED)
                    .sort("check_due", 1).limit(limit))

    def overdue(self, now, limit=None):
        """The tickets with a step overdue, the longest first."""
        found = self.tickets.find({"check_overdue": {"$lte": now}}, CHECKED).sort("check_overdue", 1)
        return list(found.limit(limit) if limit else found)

    def postpone(self, number, stage, attempt, due, repaired=True, escalated_at=None, outbox=()):
        """After a repair (or an escalation): look again at ``due``; False if the check went meanwhile."""
        update = {"$set": {f"check.{stage}.due": due}}
        if repaired:
            update["$inc"] = {f"check.{stage}.repairs": 1}
        if escalated_at is not None:
            update["$set"][f"check.{stage}.escalated_at"] = escalated_at
        if outbox:
            update["$push"] = {"outbox": {"$each": list(outbox)}}
        query = {"number": number, f"check.{stage}.attempt": attempt}
        if outbox:  # events that cannot be published pile up no further than this
            query.update(bounds.has_room("outbox"))
        doc = self.tickets.find_one_and_update(query, update, {"_id": 1})
        if doc is not None:
            self.tickets.update_one({"_id": doc["_id"]}, [{"$set": SOONEST}])
        return doc

    def count_overdue(self, now):
        """``({stage: tickets overdue}, escalated)``: few, read from the ``check_overdue`` index."""
        counts, escalated = dict.fromkeys(STAGES, 0), 0
        for ticket in self.tickets.find({"check_overdue": {"$lte": now}}, {"check": 1}):
            for stage, check in (ticket.get("check") or {}).items():
                if check and check.get("overdue_at") and check["overdue_at"] <= now:
                    counts[stage] += 1
                    escalated += bool(check.get("escalated_at"))
        return counts, escalated

    # -- the reconciler's own record --------------------------------------------------

    def count_round_totals(self, increments):
        query, update = {"_id": "totals"}, {"$inc": increments}
        try:
            self.reconciler.update_one(query, update, upsert=True)
        except DuplicateKeyError:  # the first two counts at once
            self.reconciler.update_one(query, update)

    def save_round(self, report):
        self.reconciler.replace_one({"_id": "last_round"}, dict(report, _id="last_round"), upsert=True)

    def round_record(self):
        totals = self.reconciler.find_one({"_id": "totals"}, {"_id": 0}) or {}
        last = self.reconciler.find_one({"_id": "last_round"}, {"_id": 0})
        return totals, last

    def take_round(self, owner, seconds, now):
        """True if this instance runs the round now (another holds it otherwise)."""
        try:
            self.reconciler.find_one_and_update(
                {"_id": "lease", "until": {"$lt": now}},
                {"$set": {"until": now + dt.timedelta(seconds=seconds), "owner": owner}}, upsert=True)
            return True
        except DuplicateKeyError:
            return False
