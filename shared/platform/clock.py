"""One clock for every service: real time, plus one demo offset when ``HOTLINE_DEMO=1``.

A demo or a rehearsal moves time forward (``hotline clock --advance 3d``) to
watch deadlines pass. That offset exists only in demo mode: without
``HOTLINE_DEMO=1`` every service's ``now()`` is the real UTC time, no stored
offset is ever read, and notify's clock RPCs refuse.

In demo mode notify owns the offset (RPC ``set_clock_offset`` /
``advance_clock``), keeps it with a version in its ``settings`` collection and
announces each move (``notify.clock_moved``). Every other service follows
(:func:`follow`, :func:`sync`, called from entrypoints each service declares): it keeps the newest version it heard of in its own
``settings`` collection -- so all its instances agree -- and asks notify
(``get_clock``) at start and every ``CLOCK_SYNC_INTERVAL`` seconds, so a
service that started late or missed an event still catches up.

Every offset is checked (:func:`check_offset`): a number of seconds, finite,
at most ``MAX_OFFSET_SECONDS`` either way. A stored value that fails the check
(written by an older release, or by hand) is logged and read as 0: it cannot
stop a service from starting.
"""
import datetime as dt
import logging
import math
import os
import time

import eventlet
from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.contract import events
from shared.platform.mongo import database_for

log = logging.getLogger(__name__)

MAX_OFFSET_SECONDS = 400 * 86400   # a rehearsal may look a year ahead, not a century
READ_EVERY_SECONDS = 1.0           # a worker re-reads the stored offset at most this often
CLOCK_ID = "clock"


class ClockRefused(Exception):
    """The clock cannot move: not in demo mode, or the offset is not a sane number."""


def demo_mode(config):
    value = config.get("HOTLINE_DEMO", os.environ.get("HOTLINE_DEMO", "0"))
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def check_offset(value, what="offset"):
    """``value`` as finite float seconds within bounds, or ``ClockRefused``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClockRefused(f"{what} must be a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds):
        raise ClockRefused(f"{what} must be a finite number of seconds, got {value!r}")
    if abs(seconds) > MAX_OFFSET_SECONDS:
        raise ClockRefused(f"{what} {seconds:.0f} s is beyond ±{MAX_OFFSET_SECONDS // 86400} days")
    return seconds


class ClockStore:
    """The offset as one service keeps it: ``settings`` document ``clock``."""

    def __init__(self, settings):
        self.settings = settings
        self._complained = False

    def read(self):
        """``(offset seconds, version)``; a stored value that is not sane reads as 0."""
        doc = self.settings.find_one({"_id": CLOCK_ID}) or {}
        version = doc.get("version") if isinstance(doc.get("version"), int) else 0
        if "offset_seconds" not in doc:
            return 0.0, version
        try:
            return check_offset(doc["offset_seconds"], "the stored offset"), version
        except ClockRefused as exc:
            if not self._complained:
                self._complained = True
                log.error("%s: using real time until the clock is set again", exc)
            return 0.0, version

    def accept(self, offset, version):
        """Keep ``offset`` if ``version`` is newer than the stored one; True if kept."""
        offset = check_offset(offset)
        try:
            result = self.settings.update_one(
                {"_id": CLOCK_ID, "$or": [{"version": {"$lt": version}}, {"version": {"$exists": False}}]},
                {"$set": {"offset_seconds": offset, "version": int(version)}}, upsert=True)
        except DuplicateKeyError:  # a newer version is stored already
            return False
        return bool(result.modified_count or result.upserted_id)


class WorkerClock:
    """What a worker gets: ``now()``, and the provider's verbs."""

    def __init__(self, provider):
        self.provider = provider
        offset, self.version = provider.current()
        self.offset = dt.timedelta(seconds=offset)
        self.demo = provider.demo

    def now(self):
        return events.utcnow() + self.offset

    def accept(self, offset, version):
        return self.provider.accept(offset, version)


class Clock(DependencyProvider):
    """``now()``: real UTC time, plus the shared offset in demo mode."""

    def setup(self):
        config = self.container.config
        self.demo = demo_mode(config)
        self.store = ClockStore(database_for(config, self.container.service_name)["settings"]) \
            if self.demo else None
        self.offset, self.version, self.read_at = 0.0, 0, 0.0

    def current(self):
        """``(offset, version)``, re-read from the store at most once a second."""
        if self.store is None:
            return 0.0, 0
        if time.monotonic() - self.read_at >= READ_EVERY_SECONDS:
            try:
                self.offset, self.version = self.store.read()
                self.read_at = time.monotonic()
            except PyMongoError:  # keep the last one known: a store outage must not stop work
                log.warning("clock offset unreadable (store unreachable); using the last known one")
        return self.offset, self.version

    def accept(self, offset, version):
        if self.store is None:
            return False
        kept = self.store.accept(offset, version)
        self.read_at = 0.0
        return kept

    def get_dependency(self, worker_ctx):
        return WorkerClock(self)


def follow(clock, event):
    """notify's ``clock_moved``: take the demo clock's new offset (a service declares the handler)."""
    if not clock.demo:
        log.warning("notify.clock_moved ignored: not in demo mode (HOTLINE_DEMO)")
        return
    if clock.accept(event["offset_seconds"], event["version"]):
        log.info("clock moved: offset %+.0f s (version %d)", event["offset_seconds"], event["version"])


def sync(clock, notify):
    """Ask notify (an ``RpcProxy("notify")``) for the offset: for a service that started late or missed a move."""
    if not clock.demo:
        return None
    try:
        with eventlet.Timeout(5):
            current = notify.get_clock.call_async().result()
    except (Exception, eventlet.Timeout) as exc:
        log.info("notify did not give its clock (%r); keeping ours", exc)
        return None
    if current.get("version", 0) > clock.version:
        clock.accept(current["offset_seconds"], current["version"])
    return current
