"""How intake stores its status view of a ticket: a part of ``TicketRepository``.

The other services' events about a ticket arrive on different queues, so in
any order, and any of them may be delivered twice. Each event is applied in
two idempotent steps:

1. its *state*, field group by field group (``FACETS``): a group is written
   only if no later event wrote it already (``as_of.<group>`` holds the time
   of the event that did), so an early event handled late never moves the
   status, the deadline or the department back;
2. its *history entry*, in the ``history`` collection under the id
   ``<number>:<event_id>`` -- which is also what makes the event count once
   (a second copy meets ``DuplicateKeyError``) -- and in the ticket's own
   short ``history`` (the latest ``HISTORY_KEPT`` entries, sorted by time,
   for listings).

A crash between the steps loses nothing: the redelivery does both again.
Nothing in the ticket document grows with its life: the history has its
own collection, one document per entry.
"""
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

HISTORY_KEPT = 50     # entries kept in the ticket itself, the latest
HISTORY_SHOWN = 500   # entries a ticket's view shows, the latest

# Which fields move together, each group ordered by its own events' times.
FACETS = {
    "status": "status", "department": "department", "deadline": "deadlines",
    "sign_for_deadline": "deadlines", "reply": "reply", "closed_at": "reply",
    "escalation": "escalation", "assignment": "assignment", "case": "case", "watch": "watch",
    "signed_for_at": "signed", "case_opened_at": "case", "watched_at": "watch",
}


def split(changes):
    """``{group: {field: value}}`` of a change (unknown fields make a group of their own)."""
    groups = {}
    for field, value in changes.items():
        groups.setdefault(FACETS.get(field, field), {})[field] = value
    return groups


class StatusRecords:
    """The ``apply`` half of ``TicketRepository``; needs ``self.tickets`` and ``self.history``."""

    def ensure_status_indexes(self):
        self.history.create_index([("number", ASCENDING), ("at", ASCENDING)])

    def apply(self, number, event_id, changes, history_entry, at):
        """Record what another service did (see the module's docstring).

        ``at`` is when the event happened (its ``occurred_at``). Returns
        False when the event was applied before or the ticket is unknown here.
        """
        if self.tickets.find_one({"number": number}, {"_id": 1}) is None:
            return False
        self._write_state(number, changes, at)
        entry = dict(history_entry, _id=f"{number}:{event_id}", number=number)
        try:
            self.history.insert_one(entry)
        except DuplicateKeyError:
            return False
        self.tickets.update_one({"number": number}, {"$push": {"history": {
            "$each": [history_entry], "$sort": {"at": ASCENDING}, "$slice": -HISTORY_KEPT}}})
        return True

    def _write_state(self, number, changes, at):
        groups = split(changes)
        if not groups:
            self.tickets.update_one({"number": number}, {"$max": {"updated_at": at}})
            return
        for group, fields in groups.items():
            stamp = f"as_of.{group}"
            self.tickets.update_one(
                {"number": number, "$or": [{stamp: {"$lte": at}}, {stamp: None}]},
                {"$set": dict(fields, **{stamp: at}), "$max": {"updated_at": at}})

    def apply_to_linked(self, number, event_id, changes, history_entry, at):
        """The same for the tickets still linked to ``number``; how many changed."""
        linked = [doc["number"] for doc in self.tickets.find(
            {"linked_to": number, "status": "linked"}, {"number": 1})]
        return sum(self.apply(each, event_id, changes, history_entry, at) for each in linked)

    def history_of(self, ticket, limit=HISTORY_SHOWN):
        """A ticket's whole history (the latest ``limit`` entries), oldest first."""
        found = list(self.history.find({"number": ticket["number"]}, {"_id": 0, "number": 0})
                     .sort("at", DESCENDING).limit(limit))
        seen = {(e["at"], e["status"], e.get("note")) for e in found}
        found += [e for e in ticket.get("history") or []
                  if (e["at"], e["status"], e.get("note")) not in seen]  # intake's own entries
        found.sort(key=lambda entry: entry["at"])
        return found[-limit:]
