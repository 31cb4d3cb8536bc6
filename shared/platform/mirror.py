"""What followup and notify know of routing's directory and of the city's calendar.

Routing owns the department directory and the city's calendar files. A
service that needs them keeps its own copy, in its own database, learned
only from routing (never from the seed file):

* from routing's events, ``department_changed`` (added, updated -- renamed,
  new contacts --, retired) and ``calendar_year_loaded``; each is kept only
  if its version is newer than the one held, so a late or repeated event
  changes nothing;
* by catching up, ``routing.directory_snapshot()``, at start and every
  ``DIRECTORY_SYNC_INTERVAL`` seconds (every 2 s while routing does not
  answer), for a service that started before routing, was down when an
  event went by, or has a fresh database;
* for one department, on a miss (``routing.get_department``): a department
  added a moment ago can get a token before its event has arrived.

Each department names its ``parent`` (``shared.contract.units``): the mirror
answers which units lie within which (:meth:`Mirror.units_within`,
:meth:`Mirror.is_within`), for passing a case down and rolling figures up.

``Mirror`` is the dependency provider: its answers come from memory, reloaded
from the service's own store when another instance of it learned something.
It also holds the service's working-day calendar, whose city files it keeps
current (:meth:`Mirror.calendar`). A service using it has ``directory = Mirror()``,
``routing = RpcProxy("routing")`` and declares its own entrypoints, each a call of
:func:`learn_department`, :func:`learn_year` or :func:`sync`.
"""
import logging
import threading

import eventlet
from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.contract import units
from shared.platform.mongo import database_for
from shared.timelimits.calendar import calendar_from_config
from shared.timelimits.calendar_files import BadCalendarFile, parse

log = logging.getLogger(__name__)

ROUTING_TIMEOUT = 5  # seconds to wait for routing's answer, unless DIRECTORY_ROUTING_TIMEOUT says


class MirrorRepository:
    """``departments`` and ``calendar_years``, each entry with routing's version."""

    def __init__(self, database):
        self.departments = database["departments"]
        self.years = database["calendar_years"]

    def ensure_indexes(self):
        self.departments.create_index("code", unique=True)
        self.departments.create_index("version")
        self.years.create_index("year", unique=True)
        self.years.create_index("version")

    @staticmethod
    def _keep(collection, key, value, doc, version):
        try:
            result = collection.update_one(
                {key: value, "$or": [{"version": {"$lt": version}}, {"version": {"$exists": False}}]},
                {"$set": dict(doc, version=version)}, upsert=True)
        except DuplicateKeyError:  # held already at this version or a newer one
            return False
        return bool(result.modified_count or result.upserted_id)

    def keep_department(self, department, version):
        return self._keep(self.departments, "code", department["code"], department, version)

    def keep_year(self, document, version):
        return self._keep(self.years, "year", document["year"], document, version)

    def all_departments(self):
        return list(self.departments.find({}, {"_id": 0}).sort("code", ASCENDING))

    def all_years(self):
        return list(self.years.find({}, {"_id": 0}).sort("year", ASCENDING))

    def versions(self):
        """``(newest department version, newest calendar version, departments held)``."""
        def newest(collection):
            doc = collection.find_one({}, {"version": 1}, sort=[("version", DESCENDING)])
            return doc["version"] if doc else 0
        return newest(self.departments), newest(self.years), self.departments.count_documents({})


class Mirror(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.repository = MirrorRepository(database_for(config, self.container.service_name))
        self.routing_timeout = float(config.get("DIRECTORY_ROUTING_TIMEOUT") or ROUTING_TIMEOUT)
        self.departments = {}
        self.tree = {}  # {code: parent code}
        self.state = None
        self.lock = threading.Lock()  # green under eventlet

    def start(self):
        try:
            self.repository.ensure_indexes()
            self.reload()
        except PyMongoError as exc:  # the store is down: the sync timer tries again
            log.warning("departments and calendar not loaded yet (%r)", exc)

    @property
    def calendar(self):
        """The service's working-day calendar, with the city files it knows.

        Built on first use: another provider's ``setup()`` may ask for it before this one's.
        """
        if getattr(self, "_calendar", None) is None:
            self._calendar = calendar_from_config(self.container.config)
        return self._calendar

    def get_dependency(self, worker_ctx):
        return self

    # -- reading -----------------------------------------------------------------

    def department(self, code):
        """The department as routing last described it (with ``retired``), or ``None``."""
        return self.departments.get(code)

    def may_ask(self, code, every=60.0):
        """True at most once per ``every`` seconds for ``code``: a department routing did not
        give is not asked for again at every event (routing may be down)."""
        import time

        now = time.monotonic()
        asked = getattr(self, "_asked", None)
        if asked is None:
            asked = self._asked = {}
        if now - asked.get(code, -every) < every:
            return False
        asked[code] = now
        return True

    def name(self, code, language="zh"):
        found = self.departments.get(code) or {}
        return (found.get("name_en") if language == "en" else found.get("name")) or \
            found.get("name") or code

    def contacts(self, code):
        return dict((self.departments.get(code) or {}).get("contacts") or {})

    # -- the tree ------------------------------------------------------------------

    def parent(self, code):
        """The code of the unit ``code`` belongs to; ``""`` at the top or when unknown."""
        return self.tree.get(code, "")

    def children(self, code):
        """The units directly below ``code`` (retired ones too: their figures still count)."""
        return units.children(self.tree, code)

    def ancestors(self, code):
        """``code``'s parent, its parent's parent, ... (nearest first)."""
        return units.ancestors(self.tree, code)

    def units_within(self, code):
        """``code`` and every unit below it (a district: itself, its streets, their communities)."""
        return units.subtree(self.tree, code)

    def is_within(self, child, ancestor):
        """True if ``child`` is ``ancestor`` or lies below it."""
        return units.is_within(self.tree, child, ancestor)

    # -- learning ------------------------------------------------------------------

    def reload(self):
        """Read the service's own copy again if it moved (another instance learned)."""
        state = self.repository.versions()
        if state == self.state:
            return False
        with self.lock:
            self.departments = {d["code"]: d for d in self.repository.all_departments()}
            self.tree = units.parents_of(self.departments.values())
            years = []
            for document in self.repository.all_years():
                try:
                    years.append(parse(document))
                except BadCalendarFile as exc:
                    log.error("calendar of %s ignored: %s", document.get("year"), exc)
            self.calendar.set_years(years)
            self.state = state
        log.info("directory: %d departments; calendar files for %s", len(self.departments),
                 ", ".join(str(y.year) for y in years) or "no year")
        return True

    def learn_department(self, department, version):
        if self.repository.keep_department(department, version):
            self.reload()
            return True
        return False

    def learn_year(self, document, version):
        parse(document)  # a year routing sent must read; BadCalendarFile dead-letters it
        if self.repository.keep_year(document, version):
            self.reload()
            return True
        return False

    def catch_up(self, snapshot):
        """Keep whatever in routing's snapshot is newer; how many entries changed."""
        changed = 0
        for department in snapshot.get("departments") or ():
            version = int(department.get("version") or 1)
            body = {k: v for k, v in department.items() if k != "version"}
            changed += self.repository.keep_department(body, version)
        for document in snapshot.get("calendar_years") or ():
            try:
                parse(document)
            except BadCalendarFile as exc:
                log.error("routing's calendar of %s ignored: %s", document.get("year"), exc)
                continue
            changed += self.repository.keep_year(document, int(document.get("version") or 1))
        self.reload()
        return changed


def learn_department(directory, event):
    """routing's ``department_changed``, for a service with ``directory = Mirror()``."""
    if directory.learn_department(event["department"], event["version"]):
        log.info("department %s %s (directory version %d)", event["department"].get("code"),
                 event["action"], event["version"])


def learn_year(directory, event):
    """routing's ``calendar_year_loaded``."""
    if directory.learn_year(event["document"], event["version"]):
        log.info("calendar of %d loaded (version %d, by %s)", event["year"], event["version"],
                 event["loaded_by"] or "?")


def sync(directory, routing):
    """Catch up with routing (an ``RpcProxy("routing")``): what started before it, or missed an event."""
    directory.reload()
    try:
        with eventlet.Timeout(getattr(directory, "routing_timeout", ROUTING_TIMEOUT)):
            snapshot = routing.directory_snapshot.call_async().result()
    except (Exception, eventlet.Timeout) as exc:
        log.info("routing did not give its directory (%r); trying again later", exc)
        return None
    return directory.catch_up(snapshot)


def department_from_routing(directory, routing, code, timeout=None):
    """Ask routing for one department (a miss: added a moment ago); ``None`` if unknown."""
    timeout = timeout or getattr(directory, "routing_timeout", ROUTING_TIMEOUT)
    try:
        with eventlet.Timeout(timeout):
            found = routing.get_department.call_async(code).result()
    except (Exception, eventlet.Timeout) as exc:
        log.warning("routing did not answer for department %s (%r)", code, exc)
        return None
    if not found:
        return None
    version = int(found.pop("version", 1) or 1)
    directory.learn_department(found, version)
    return directory.department(code)
