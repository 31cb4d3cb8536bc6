"""How intake stores its status view of a ticket: a part of ``TicketRepository``.

The other services' events about a ticket arrive on different queues, so in
any order, and any of them may be delivered twice. Each event is applied in
two steps:

1. its *history entry* goes into the ``history`` collection under the id
   ``<number>:<event_id>`` -- which is also what makes the event count once:
   a second copy meets ``DuplicateKeyError``;
2. its *state*, in one update of the ticket: each group of fields
   (``FACETS``) is written only if no later event wrote it already
   (``as_of.<group>`` holds the time of the event that did), so an early
   event handled late never moves the status, the deadline or the
   department back; a first copy also appends the entry to the ticket's own
   short ``history`` (the latest ``HISTORY_KEPT``, for listings).

Step 2 is idempotent and runs for a second copy too, so a crash between the
steps loses nothing: the redelivery writes the state.
Nothing in the ticket document grows with its life: the history has its
own collection, one document per entry.
"""
from datetime import UTC, datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.intake.check_store import FINISHED, SOONEST, check_fields, healed

HISTORY_KEPT = 50     # entries kept in the ticket itself, the latest
HISTORY_SHOWN = 500   # entries a ticket's view shows, the latest

# Which fields move together, each group ordered by its own events' times.
FACETS = {
    "status": "status", "department": "department", "deadline": "deadlines",
    "sign_for_deadline": "deadlines", "reply": "reply", "closed_at": "reply",
    "escalation": "escalation", "assignment": "assignment", "case": "case", "watch": "watch",
    "signed_for_at": "signed", "case_opened_at": "case", "watched_at": "watch",
}


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def split(changes):
    """``{group: {field: value}}`` of a change (unknown fields make a group of their own)."""
    groups = {}
    for field, value in changes.items():
        groups.setdefault(FACETS.get(field, field), {})[field] = value
    return groups


def state_update(changes, at, history_entry=None):
    """One pipeline update (MongoDB 4.2+) writing each group of ``changes`` only if
    no later event wrote it, ``updated_at`` to the latest, and appending
    ``history_entry`` to the ticket's short history."""
    fields = {"updated_at": {"$max": ["$updated_at", at]}}
    for group, values in split(changes).items():
        stamp = f"$as_of.{group}"
        later = {"$lte": [{"$ifNull": [stamp, EPOCH]}, at]}
        for field, value in values.items():
            fields[field] = {"$cond": [later, {"$literal": value}, f"${field}"]}
        fields[f"as_of.{group}"] = {"$cond": [later, at, stamp]}
    stages = [{"$set": fields}]
    if history_entry is not None:
        stages.append({"$set": {"history": {"$slice": [
            {"$concatArrays": [{"$ifNull": ["$history", []]}, {"$literal": [history_entry]}]},
            -HISTORY_KEPT]}}})
    return stages


class StatusRecords:
    """The ``apply`` half of ``TicketRepository``; needs ``self.tickets``, ``self.history``
    and ``count_round_totals`` (``check_store.Checks``)."""

    def ensure_status_indexes(self):
        self.history.create_index([("number", ASCENDING), ("at", ASCENDING)])

    def apply(self, number, event_id, changes, history_entry, at, checks=()):
        """Record what another service did (see the module's docstring).

        ``at`` is when the event happened (its ``occurred_at``); ``checks``,
        what it does to the ticket's checks (``check_store``), written in the
        same update. Returns False when the event was applied before or the
        ticket is unknown here.
        """
        entry_id = f"{number}:{event_id}"
        try:
            self.history.insert_one(dict(history_entry, _id=entry_id, number=number))
            fresh = True
        except DuplicateKeyError:
            fresh = False  # applied before -- perhaps only half: the state is written again
        stages = state_update(changes, at, history_entry if fresh else None)
        if checks:
            stages += [{"$set": check_fields(checks)}, {"$set": SOONEST}]
        before = self.tickets.find_one_and_update({"number": number}, stages, {"check": 1})
        if before is None:
            if fresh:
                self.history.delete_one({"_id": entry_id})
            return False
        mended = healed(before, checks)
        if mended:
            self.count_round_totals({"healed": mended})
        return fresh

    def apply_to_linked(self, number, event_id, changes, history_entry, at):
        """The same for the tickets still linked to ``number``; how many changed."""
        linked = [doc["number"] for doc in self.tickets.find(
            {"linked_to": number, "status": "linked"}, {"number": 1})]
        return sum(self.apply(each, event_id, changes, history_entry, at, [FINISHED]) for each in linked)

    def history_of(self, ticket, limit=HISTORY_SHOWN):
        """A ticket's whole history (the latest ``limit`` entries), oldest first."""
        found = list(self.history.find({"number": ticket["number"]}, {"_id": 0, "number": 0})
                     .sort("at", DESCENDING).limit(limit))
        seen = {(e["at"], e["status"], e.get("note")) for e in found}
        found += [e for e in ticket.get("history") or []
                  if (e["at"], e["status"], e.get("note")) not in seen]  # intake's own entries
        found.sort(key=lambda entry: entry["at"])
        return found[-limit:]
