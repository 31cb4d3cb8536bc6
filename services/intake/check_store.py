"""What each ticket still waits for, kept for the reconciler: a part of ``TicketRepository``.

A ticket promises three things, each within a configured time (``RECONCILE``):
a department or a dispatcher's queue (``dispatch``), an open case for its
assignment (``case``), a deadline watch for that case (``watch``). While one
is owed, the ticket carries ``check.<stage> = {attempt, since, due, overdue_at,
repairs}``;
the event that keeps the promise removes it. Each is one conditional update
on one document, so the result is right whatever order the events come in:

* a check is set only if the step it waits for has not been recorded for
  that attempt already (a case opened before its assignment was handled
  here: no case check);
* a check is removed only by the step for its attempt or a later one (an
  earlier attempt's case, heard late, does not satisfy a later assignment).

The reconciler reads the checks whose ``due`` has passed (indexed), repairs or
escalates, and moves ``due`` on. Its round totals live in ``reconciler``.
"""
import datetime as dt

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared import bounds

STAGES = ("dispatch", "case", "watch")
CHECKED = {"_id": 0, "number": 1, "status": 1, "check": 1, "assignment": 1, "case": 1,
           "watch": 1, "received_at": 1, "department": 1}


def new_check(attempt, since, due):
    """A step owed since ``since``: overdue at ``due`` (kept), looked at from ``due`` (moved on)."""
    return {"attempt": attempt, "since": since, "due": due, "overdue_at": due, "repairs": 0}


class Checks:
    """Needs ``self.tickets`` and ``self.reconciler`` (collections)."""

    def ensure_check_indexes(self):
        for stage in STAGES:
            self.tickets.create_index(f"check.{stage}.due", sparse=True)
            self.tickets.create_index(f"check.{stage}.overdue_at", sparse=True)

    # -- set by the status view --------------------------------------------------

    def await_dispatch(self, number, attempt, since, due):
        """Owed: a department or the dispatchers' queue, after attempt ``attempt`` (0: new)."""
        self._owe(number, "dispatch", attempt, since, due,
                  {"$or": [{"dispatched_attempt": {"$lte": attempt}}, {"dispatched_attempt": None}]})

    def dispatched(self, number, attempt):
        """Routing assigned or queued the ticket at ``attempt``: the dispatch before it is done."""
        self.tickets.update_one({"number": number}, {"$max": {"dispatched_attempt": attempt}})
        self._done(number, "dispatch", {"$lt": attempt})

    def await_case(self, number, attempt, since, due):
        self._owe(number, "case", attempt, since, due,
                  {"$or": [{"case.attempt": {"$lt": attempt}}, {"case.attempt": None}]})

    def case_recorded(self, number, attempt):
        self._done(number, "case", {"$lte": attempt})

    def await_watch(self, number, attempt, since, due):
        self._owe(number, "watch", attempt, since, due,
                  {"$or": [{"watch.attempt": {"$lt": attempt}}, {"watch.attempt": None}]})

    def _owe(self, number, stage, attempt, since, due, not_yet):
        """Set the check unless the step is recorded, or the check (with its repairs) is there."""
        self.tickets.update_one(
            {"number": number, "$and": [not_yet, {"$or": [{f"check.{stage}.attempt": {"$lt": attempt}},
                                                          {f"check.{stage}": None}]}]},
            {"$set": {f"check.{stage}": new_check(attempt, since, due)}})

    def watch_recorded(self, number, attempt):
        self._done(number, "watch", {"$lte": attempt})

    def finished(self, number):
        """Closed or answered: nothing more is owed."""
        before = self.tickets.find_one_and_update(
            {"number": number, "check": {"$exists": True}}, {"$unset": {"check": ""}}, {"check": 1},
            return_document=ReturnDocument.BEFORE)
        if before and any((owed or {}).get("repairs") for owed in (before.get("check") or {}).values()):
            self.count_round_totals({"healed": 1})

    def _done(self, number, stage, attempts):
        before = self.tickets.find_one_and_update(
            {"number": number, f"check.{stage}.attempt": attempts},
            {"$unset": {f"check.{stage}": ""}}, {"check": 1},
            return_document=ReturnDocument.BEFORE)
        if before and ((before.get("check") or {}).get(stage) or {}).get("repairs"):
            self.count_round_totals({"healed": 1})

    # -- read and moved on by the reconciler ---------------------------------------

    def due_checks(self, stage, now, limit):
        """The checks of ``stage`` the reconciler should look at now."""
        return list(self.tickets.find({f"check.{stage}.due": {"$lte": now}}, CHECKED)
                    .sort(f"check.{stage}.due", 1).limit(limit))

    def overdue(self, stage, now, limit):
        """The tickets whose step of ``stage`` is overdue, the longest first."""
        return list(self.tickets.find({f"check.{stage}.overdue_at": {"$lte": now}}, CHECKED)
                    .sort(f"check.{stage}.overdue_at", 1).limit(limit))

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
        return self.tickets.find_one_and_update(query, update, {"_id": 1})

    def count_due(self, now):
        return {stage: self.tickets.count_documents({f"check.{stage}.overdue_at": {"$lte": now}})
                for stage in STAGES}

    def count_escalated(self):
        return sum(self.tickets.count_documents({f"check.{stage}.escalated_at": {"$exists": True}})
                   for stage in STAGES)

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
