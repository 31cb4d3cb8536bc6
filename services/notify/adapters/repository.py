"""Notify's collections behind domain verbs.

* ``watches`` -- one per case: its deadlines, the ladder steps taken
  (``steps_done``), the events applied, ``next_check_at`` and an outbox.
  Indexed on ``(state, next_check_at)`` so a tick reads only what is due.
* ``notifications`` -- the delivery queue and its log: one document per
  message and recipient with ``status`` (queued, retrying, sent, failed),
  ``attempts`` and history. ``next_attempt_at`` is set only while a
  notification is waiting, and indexed: a delivery tick reads only what is due.
  A unique ``key`` means the same notification is never queued twice.
* ``settings`` -- the demo clock's offset (``shared.platform.clock``), with its version
  and the outbox of its ``clock_moved`` events.
* ``sms_quota`` -- per phone (a keyed digest, never the number) and local day,
  the receipt SMS sent: at most ``NOTIFY.delivery.receipt_sms_per_phone_per_day``.

A citizen's phone or e-mail is never stored here: delivery asks intake for it
each time, and the log keeps it masked (``138****5678``).

Work is claimed with a conditional ``find_one_and_update`` that sets a lease,
``claimed_until``, so a second instance skips it while the first works, and a
crashed instance's work is taken again when the lease ends. Leases run on the
real clock (they are about processes being alive); what is *due* follows the
injectable clock, which a demo may move forward by days.
"""
import datetime as dt
import re
import uuid

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.notify.domain.ladder import WATCHING
from services.notify.domain.watch import Watch, new_watch
from shared.contract import events
from shared.contract.rating import PATH
from shared.platform.clock import CLOCK_ID, ClockStore, check_offset
from shared.platform.outbox import Outbox, outboxed, publish_entry
from shared.platform.privacy import mask_recipient, mask_text
from shared.platform.unit_of_work import LostRace

APPLIED_KEPT = 100  # event ids remembered per case, for idempotency
ESCALATIONS_KEPT = 100  # the latest steps taken, for a person to read (the events tell all)
WATCH_FIELDS = {"outbox": 0, "applied": 0, "pending_notices": 0, "watched_event": 0}
RATING_LINK = re.compile(re.escape(PATH) + r"[A-Za-z0-9_-]+")
LISTED_FIELDS = {"_id": 0, "history": 0, "claimed_until": 0}


def unclaimed(real_now):
    """Nobody holds it, or its holder's lease (on the real clock) has run out."""
    return {"$or": [{"claimed_until": None}, {"claimed_until": {"$lt": real_now}}]}


class NotifyRepository:
    def __init__(self, database, config):
        self.watches = database["watches"]
        self.notifications = database["notifications"]
        self.settings = database["settings"]
        self.sms_quota = database["sms_quota"]
        self.outbox = Outbox(self.watches)
        self.clock_outbox = Outbox(self.settings)

    def ensure_indexes(self):
        self.watches.create_index("number", unique=True)
        self.watches.create_index([("state", ASCENDING), ("next_check_at", ASCENDING)])
        self.outbox.ensure_indexes()
        self.watches.create_index("pending_notices.created_at", sparse=True)
        self.watches.create_index("ticket_number", sparse=True)
        self.notifications.create_index("key", unique=True)
        self.notifications.create_index([("next_attempt_at", ASCENDING), ("_id", ASCENDING)])
        self.notifications.create_index([("number", ASCENDING), ("_id", ASCENDING)])
        self.notifications.create_index([("status", ASCENDING), ("_id", ASCENDING)])
        self.sms_quota.create_index("expire_at", expireAfterSeconds=0)

    # -- watches: built from events ------------------------------------------------

    def get(self, number):
        return self.watches.find_one({"number": number}, dict(WATCH_FIELDS, _id=0))

    def standing(self, number):
        """What ``republish_watch`` needs: the watch's state, assignment and last announcement."""
        return self.watches.find_one({"number": number}, {
            "_id": 0, "state": 1, "attempt": 1, "department_code": 1, "watched_event": 1})

    def parts_of(self, number, limit=500):
        """The watches of the parts of ticket ``number``'s case (``ticket_number``, indexed)."""
        return list(self.watches.find({"ticket_number": number},
                                      {"_id": 0, "number": 1, "ticket_number": 1, "state": 1}).limit(limit))

    def watch_for(self, number, now):
        """The case's watch, created empty the first time an event names it."""
        watch = self.watches.find_one({"number": number}, {"outbox": 0, "pending_notices": 0})
        if watch is None:
            try:
                self.watches.insert_one(new_watch(number, now))
            except DuplicateKeyError:
                pass
            watch = self.watches.find_one({"number": number}, {"outbox": 0, "pending_notices": 0})
        return watch

    def load(self, number, now):
        """The case's ``Watch`` (created empty the first time an event names it)."""
        return Watch.from_doc(self.watch_for(number, now))

    def save(self, uow, watch, event_id, changes, next_check_at, outbox=()):
        """Write an event's changes and its events (outbox) as one update conditional
        on the watch's revision; ``LostRace`` when another worker wrote first."""
        if not self.apply(watch.stored, event_id, changes, next_check_at, outbox):
            raise LostRace(f"{watch.number}: the watch changed under {event_id}")
        uow.saved(self.outbox, watch.id)

    def apply(self, watch, event_id, changes, next_check_at, outbox=()):
        """Write an event's changes if nobody changed the watch since it was read."""
        result = self.watches.update_one(
            {"_id": watch["_id"], "revision": watch["revision"], "applied": {"$ne": event_id}},
            {"$set": dict(changes, next_check_at=next_check_at),
             "$inc": {"revision": 1},
             "$push": {"applied": {"$each": [event_id], "$slice": -APPLIED_KEPT},
                       "outbox": {"$each": list(outbox)}}})
        return result.modified_count == 1

    def escalated(self, numbers=None, limit=5000):
        """Open watches with escalations this round: ``[{number, department_code, levels}]``."""
        query = {"state": WATCHING, "escalations.0": {"$exists": True}}
        if numbers is not None:  # a part's watch (another unit's, ``<number>@<unit>``) names its ticket
            query["$or"] = [{"number": {"$in": list(numbers)}}, {"ticket_number": {"$in": list(numbers)}}]
        found = []
        for watch in self.watches.find(query, {"_id": 0, "number": 1, "department_code": 1, "ticket_number": 1,
                                               "escalations": 1, "round": 1}).limit(limit):
            this_round = f"{watch.get('round', 0)}:"
            levels = [e["step"].split(":", 1)[1] for e in watch.get("escalations") or []
                      if str(e.get("step", "")).startswith(this_round)]
            if levels:
                found.append({"number": watch.get("ticket_number") or watch["number"],
                              "department_code": watch.get("department_code"),
                              "levels": levels})
        return found

    # -- watches: the ladder's tick -------------------------------------------------

    def due(self, now, limit=1000):
        return list(self.watches.find(
            {"state": WATCHING, "next_check_at": {"$lte": now}}, WATCH_FIELDS
        ).sort("next_check_at", 1).limit(limit))

    def due_watch_ids(self, now, limit):
        cursor = self.watches.find({"state": WATCHING, "next_check_at": {"$lte": now}},
                                   {"_id": 1}).sort("next_check_at", 1).limit(limit)
        return [doc["_id"] for doc in cursor]

    def claim_due(self, now, real_now, lease_seconds, owner, limit):
        """Claim up to ``limit`` due watches for one tick: ``(how many were due, claimed)``.

        One indexed query finds them, one conditional update claims those no
        other instance holds, one query by ``_id`` reads back this tick's own.
        """
        ids = self.due_watch_ids(now, limit)
        if not ids:
            return 0, []
        token = f"{owner}:{uuid.uuid4().hex[:12]}"
        self.watches.update_many(
            {"_id": {"$in": ids}, "state": WATCHING, "next_check_at": {"$lte": now},
             **unclaimed(real_now)},
            {"$set": {"claimed_until": real_now + dt.timedelta(seconds=lease_seconds),
                      "claimed_by": token},
             "$inc": {"revision": 1}})
        claimed = self.watches.find({"_id": {"$in": ids}, "claimed_by": token},
                                    WATCH_FIELDS).sort("next_check_at", 1)
        return len(ids), list(claimed)

    def record_steps(self, watch, steps, notices, next_check_at, now):
        """Record this tick's steps, their events, their notifications and the
        next check in one update (``False`` if the watch changed since the claim).

        ``steps``: ``[(step_key, outbox_entry)]``. The notifications wait in
        the watch (``pending_notices``) until ``queue_recorded`` moves them to the
        queue, so a crash in between loses none.
        """
        keys = [key for key, _ in steps]
        update = {"$set": {"next_check_at": next_check_at},
                  "$unset": {"claimed_until": "", "claimed_by": ""},
                  "$inc": {"revision": 1}}
        if steps:
            update["$push"] = {"steps_done": {"$each": keys},
                               "outbox": {"$each": [entry for _, entry in steps]},
                               "escalations": {"$each": [{"step": k, "at": now} for k in keys],
                                               "$slice": -ESCALATIONS_KEPT},
                               "pending_notices": {"$each": list(notices)}}
        result = self.watches.update_one(
            {"_id": watch["_id"], "revision": watch["revision"], "claimed_by": watch["claimed_by"],
             "steps_done": {"$nin": keys}}, update)
        return result.modified_count == 1

    def queue_recorded(self, watch_ids, notices):
        """Queue the notifications this tick recorded with its steps, then drop
        them from their watches (one insert and one update for the whole tick)."""
        if not notices:
            return 0
        queued = self.enqueue(notices)
        self.watches.update_many({"_id": {"$in": list(watch_ids)}}, {"$pull": {
            "pending_notices": {"key": {"$in": [n["key"] for n in notices]}}}})
        return queued

    def queue_left_behind(self, older_than, limit=500):
        """Queue notifications a crash left in their watches; returns how many."""
        docs = list(self.watches.find({"pending_notices.created_at": {"$lte": older_than}},
                                      {"pending_notices": 1}).limit(limit))
        notices = [n for doc in docs for n in doc.get("pending_notices") or []]
        return self.queue_recorded([doc["_id"] for doc in docs], notices)

    def publish_steps(self, watch_ids, dispatch):
        """Publish the events a tick recorded, reading all its watches at once."""
        published = 0
        for doc in self.watches.find({"_id": {"$in": list(watch_ids)}}, {"outbox": 1}):
            for entry in doc.get("outbox") or []:
                published += publish_entry(self.outbox, dispatch, doc["_id"], entry)
        return published

    def release(self, watch):
        """Give up a claim without touching ``next_check_at``."""
        self.watches.update_one({"_id": watch["_id"], "claimed_by": watch["claimed_by"]},
                                {"$unset": {"claimed_until": "", "claimed_by": ""}})

    # -- notifications ---------------------------------------------------------------

    def enqueue(self, notifications):
        """Queue notifications; one already queued under the same key is left alone."""
        if not notifications:
            return 0
        try:
            result = self.notifications.insert_many(
                [dict(n, history=[]) for n in notifications], ordered=False)
            return len(result.inserted_ids)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != 11000 for error in errors):
                raise
            return exc.details.get("nInserted", len(notifications) - len(errors))

    def due_notification_ids(self, now, limit):
        cursor = self.notifications.find({"next_attempt_at": {"$lte": now}}, {"_id": 1}).sort(
            [("next_attempt_at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        return [doc["_id"] for doc in cursor]

    def claim_notification(self, notification_id, now, real_now, lease_seconds):
        """Take a due notification to send; ``None`` if another instance holds it."""
        return self.notifications.find_one_and_update(
            {"_id": notification_id, "next_attempt_at": {"$lte": now}, **unclaimed(real_now)},
            {"$set": {"claimed_until": real_now + dt.timedelta(seconds=lease_seconds)}},
            return_document=ReturnDocument.AFTER)

    def record_attempt(self, notification_id, status, when, note, sent, now):
        """Log the outcome of one delivery attempt (``waiting`` is not an attempt)."""
        if status == "waiting":
            update = {"$set": {"status": "queued", "next_attempt_at": when, "last_error": note}}
            update["$unset"] = {"claimed_until": ""}
        else:
            entry = {"at": now, "status": status, "error": note, "channel": sent["channel"]}
            recipient = sent["recipient"]
            if sent.get("audience") == "citizen":  # asked of intake each time; kept only masked
                recipient = mask_recipient(recipient)
            update = {"$set": {"status": status, "last_error": note, "channel": sent["channel"],
                               "recipient": recipient, "updated_at": now},
                      "$inc": {"attempts": 1}, "$push": {"history": entry}}
            update["$unset"] = {"claimed_until": ""}
            if status == "retrying":
                update["$set"]["next_attempt_at"] = when
            else:
                update["$unset"]["next_attempt_at"] = ""
                if status == "sent":
                    update["$set"]["sent_at"] = now
        self.notifications.update_one({"_id": notification_id}, update)

    def has_notification(self, key):
        return self.notifications.count_documents({"key": key}, limit=1) > 0

    def list_notifications(self, number=None, failed=False, limit=200):
        """The log, oldest first, recipients and errors masked."""
        query = {}
        if number:
            query["number"] = number
        if failed:
            query["status"] = "failed"
        rows = list(self.notifications.find(query, LISTED_FIELDS).sort("_id", 1).limit(limit))
        for row in rows:
            row["recipient"] = mask_recipient(row.get("recipient"))
            row["last_error"] = mask_text(row.get("last_error"))
            for field in ("subject", "body"):  # a citizen's rating link is the citizen's alone
                if isinstance(row.get(field), str):
                    row[field] = RATING_LINK.sub(PATH + "…", row[field])
        return rows

    def erase_personal_data(self, number, scrub):
        """The ticket's notifications: the citizen's address gone, texts scrubbed."""
        for doc in self.notifications.find({"number": number}, {"subject": 1, "body": 1, "audience": 1}):
            changes = {"subject": scrub(doc.get("subject")), "body": scrub(doc.get("body"))}
            if doc.get("audience") == "citizen":
                changes["recipient"] = None
            self.notifications.update_one({"_id": doc["_id"]}, {"$set": changes})

    def allow_receipt_sms(self, phone_digest, day, key, limit, expire_at):
        """Count receipt ``key`` for the phone's day; False once ``limit`` others were sent.

        One conditional upsert: the receipt is let through if it was counted
        before (a retry) or the day has room; a full day makes the upsert
        collide with the existing document, which is the refusal.
        """
        try:
            self.sms_quota.update_one(
                {"_id": f"{phone_digest}:{day}",
                 "$or": [{"keys": key}, {f"keys.{max(limit, 1) - 1}": {"$exists": False}}]},
                {"$addToSet": {"keys": key}, "$setOnInsert": {"expire_at": expire_at}}, upsert=True)
        except DuplicateKeyError:
            return False
        return limit > 0

    # -- what operations watch (shared.platform.ops) --------------------------------------------

    def ops_gauges(self):
        from shared.contract.events import utcnow
        from shared.platform.metrics import Sample

        now = utcnow() + dt.timedelta(seconds=ClockStore(self.settings).read()[0])
        overdue = self.watches.count_documents(
            {"state": WATCHING, "deadline": {"$lt": now}, "replied": {"$ne": True}, "on_hold": {"$ne": True}})
        samples = [Sample("hotline_cases_overdue", {}, overdue)]
        for row in self.notifications.aggregate(
                [{"$group": {"_id": {"channel": "$channel", "status": "$status"}, "n": {"$sum": 1}}}]):
            key = row["_id"] or {}
            samples.append(Sample("hotline_notifications", {"channel": key.get("channel") or "none",
                                                            "status": key.get("status") or "none"}, row["n"]))
        return samples

    # -- the demo clock (notify owns it; see shared.platform.clock) ------------------------------

    def move_clock(self, uow, new_offset, by, now):
        """Set the offset to ``new_offset(current)`` as the next version, with its
        ``clock_moved`` event in the outbox; returns ``(offset, version)``.
        ``LostRace`` when another move came first (the unit of work tries again)."""
        doc = self.settings.find_one({"_id": CLOCK_ID}, {"outbox": 0})
        current, version = ClockStore(self.settings).read()
        offset = check_offset(new_offset(current))
        event = events.new_event(events.ClockMoved, offset_seconds=offset, version=version + 1,
                                 moved_by=by or "", moved_at=now)
        if doc is None:
            try:
                self.settings.insert_one({"_id": CLOCK_ID, "offset_seconds": offset,
                                          "version": 1, "outbox": [outboxed("clock_moved", event)]})
            except DuplicateKeyError:
                raise LostRace("the clock was set meanwhile") from None
            uow.saved(self.clock_outbox, CLOCK_ID)
            return offset, 1
        expect = {"version": doc["version"]} if "version" in doc else {"version": {"$exists": False}}
        update = {"$set": {"offset_seconds": offset, "version": version + 1},
                  "$push": {"outbox": outboxed("clock_moved", event)}}
        if not self.settings.update_one({"_id": CLOCK_ID, **expect}, update).modified_count:
            raise LostRace("the clock moved meanwhile")
        uow.saved(self.clock_outbox, CLOCK_ID)
        return offset, version + 1
