"""Routing's store of the department directory (``departments``, ``directory_changes``,
``catalogue``).

Seeded from the city file on first start; every change is a numbered version
(``directory_changes``) with who made it and why, and the outbox of its
announcement (``department_changed``): followup and notify learn the directory
from it. Two changes that take the same version number at once: the loser
raises ``LostRace`` and its unit of work makes it again.
"""
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared.contract import events
from shared.contract.events import utcnow
from shared.platform.outbox import Outbox, outboxed
from shared.platform.unit_of_work import LostRace


def announcement(action, by="", reason=""):
    """``(department, version) -> outbox entry`` of a ``department_changed`` event."""
    def build(department, version):
        body = {k: v for k, v in department.items() if k != "version"}
        return outboxed("department_changed", events.new_event(
            events.DepartmentChanged, action=action, department=body, version=version,
            changed_by=by, reason=reason, changed_at=events.utcnow()))
    return build


class DirectoryRepository:
    def __init__(self, database):
        self.departments = database["departments"]
        self.changes = database["directory_changes"]
        self.catalogue = database["catalogue"]
        self.outbox = Outbox(self.changes)

    def ensure_indexes(self):
        self.departments.create_index("code", unique=True)
        self.changes.create_index("version", unique=True)
        self.catalogue.create_index("code", unique=True)
        self.outbox.ensure_indexes()

    def directory_version(self):
        """The newest directory version whose change is fully applied."""
        last = self.changes.find_one({"applied": {"$ne": False}}, {"version": 1}, sort=[("version", DESCENDING)])
        return last["version"] if last else 0

    def directory_state(self):
        """``(version, applied changes)``: moves whenever the stored directory does."""
        return self.directory_version(), self.changes.count_documents({"applied": {"$ne": False}})

    def seed(self, departments, catalogue, source, announce=lambda dept: None):
        """Load the city file's directory if routing has none yet; the version it got.

        ``announce(department)`` builds the outbox entry of each seeded department;
        the outbox timer publishes them.
        """
        if self.changes.count_documents({}, limit=1):
            return self.directory_version()
        # Departments first (idempotent), the version last: an instance that
        # sees version 1 sees the whole seed, even if two start at once.
        for dept in departments:
            self.departments.update_one({"code": dept["code"]}, {"$setOnInsert": dict(dept, version=1)},
                                        upsert=True)
        for entry in catalogue:
            self.catalogue.update_one({"code": entry["code"]}, {"$setOnInsert": dict(entry)}, upsert=True)
        try:
            self.changes.insert_one({"version": 1, "action": "seed", "code": None, "by": "routing",
                                     "reason": f"seeded from {source}", "at": utcnow(),
                                     "outbox": [announce(dict(d, version=1)) for d in departments]})
        except DuplicateKeyError:  # another instance seeded it at the same time
            pass
        return self.directory_version()

    def load_directory(self):
        """``(departments, catalogue, version)`` as stored."""
        version = self.directory_version()
        departments = list(self.departments.find({}, {"_id": 0}).sort("code", ASCENDING))
        catalogue = list(self.catalogue.find({}, {"_id": 0}))
        return departments, catalogue, version

    def get_department(self, code):
        return self.departments.find_one({"code": code}, {"_id": 0})

    def change_department(self, action, department, by, reason, uow=None):
        """Record a change as the next directory version and apply it; returns the version.

        Its ``department_changed`` is published after the unit of work ``uow``;
        ``LostRace`` when another change took that version number.
        """
        before = self.get_department(department["code"])
        last = self.changes.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
        version = (last["version"] if last else 0) + 1
        try:
            inserted = self.changes.insert_one({
                "version": version, "action": action, "code": department["code"], "before": before,
                "after": department, "by": by, "reason": reason, "at": utcnow(), "applied": False,
                "outbox": [announcement(action, by, reason)(department, version)]})
        except DuplicateKeyError:
            raise LostRace(f"directory version {version} taken") from None
        self.departments.replace_one({"code": department["code"]}, dict(department, version=version),
                                     upsert=True)
        # Announced only once applied: readers never load a version half made.
        self.changes.update_one({"version": version}, {"$set": {"applied": True}})
        if uow is not None:
            uow.saved(self.outbox, inserted.inserted_id)
        return version

    def change_catalogue(self, entry, by, reason):
        """Record a change of a catalogue entry as the next directory version and apply it;
        returns the version (``LostRace`` when another change took it). No event: intake
        asks for the catalogue again within its ``catalogue_ttl``, routing's instances reload
        with the version."""
        before = self.catalogue.find_one({"code": entry["code"]}, {"_id": 0})
        last = self.changes.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
        version = (last["version"] if last else 0) + 1
        try:
            self.changes.insert_one({
                "version": version, "action": "catalogue", "code": entry["code"], "before": before,
                "after": entry, "by": by, "reason": reason, "at": utcnow(), "applied": False, "outbox": []})
        except DuplicateKeyError:
            raise LostRace(f"directory version {version} taken") from None
        self.catalogue.replace_one({"code": entry["code"]}, dict(entry), upsert=True)
        self.changes.update_one({"version": version}, {"$set": {"applied": True}})
        return version

    def change_id(self, version):
        doc = self.changes.find_one({"version": version}, {"_id": 1})
        return doc["_id"] if doc else None

    def directory_history(self, code=None, limit=50):
        query = {"code": code} if code else {}
        return list(self.changes.find(query, {"_id": 0, "outbox": 0}).sort("version", DESCENDING)
                    .limit(limit))

    def responsibility_history(self):
        """Every update of a unit and change of a catalogue entry: ``action``, ``code``,
        ``before``, ``after``, ``at`` (what the learner reads to tell stale labels)."""
        return list(self.changes.find({"action": {"$in": ["update", "catalogue"]}},
                                      {"_id": 0, "action": 1, "code": 1, "before": 1, "after": 1, "at": 1}))

    def all_departments(self):
        return list(self.departments.find({}, {"_id": 0}).sort("code", ASCENDING))
