"""Readiness: may this service instance take work now?

``/ready`` (``shared.platform.ops``) runs every check of its registry at once, each
within ``READY_TIMEOUT`` seconds, and answers 200 only when all pass:

* ``broker``: every queue consumer of the container is connected, and the
  broker answers a round trip on a connection of the check's own in which
  every queue the service consumes exists (the topology is declared);
* ``store``: the store answers ``ping`` (on a replica set: the primary);
* ``indexes``: every index the repository declared at start still exists
  (a restore without indexes, or a dropped one, shows here);
* ``calendar`` (services that compute deadlines): an official source covers
  the working-day calendar for at least ``READY_CALENDAR_DAYS`` days ahead.

A check returns ``(ok, detail)``; a check that raises or overruns fails with
the exception's class name only (no text: it may carry a host or a value).
"""
import datetime as dt
import logging
import time

import eventlet

log = logging.getLogger(__name__)


class Check:
    def __init__(self, name, run):
        self.name, self.run = name, run


class Readiness:
    """The checks of one service container."""

    def __init__(self, timeout_seconds=2.0):
        self.timeout = timeout_seconds
        self.checks = []

    def add(self, name, run):
        self.checks.append(Check(name, run))

    def names(self):
        return [check.name for check in self.checks]

    def run(self):
        """``(ready, {name: {"ok": bool, "ms": float, ...}})``, the checks run side by side."""
        pool = eventlet.GreenPool(max(1, len(self.checks)))
        results = dict(zip(self.names(), pool.imap(self._one, self.checks)))
        return all(r["ok"] for r in results.values()), results

    def _one(self, check):
        started = time.monotonic()
        try:
            with eventlet.Timeout(self.timeout):
                ok, detail = check.run()
        except eventlet.Timeout:
            ok, detail = False, {"error": f"no answer within {self.timeout:g}s"}
        except Exception as exc:
            log.warning("readiness check %s failed: %r", check.name, exc)
            ok, detail = False, {"error": type(exc).__name__}
        return dict(detail, ok=bool(ok), ms=round((time.monotonic() - started) * 1000, 1))


# -- the broker ----------------------------------------------------------------------


def consumed_queues(container):
    """Names of the durable queues the container's entrypoints consume."""
    from shared.platform.metrics import entrypoint_queue

    names = {entrypoint_queue(entrypoint) for entrypoint in container.entrypoints}
    return sorted(name for name in names if name)


def queue_consumers(container):
    from nameko.messaging import QueueConsumer

    return [ext for ext in container.extensions if isinstance(ext, QueueConsumer)]


class BrokerProbe:
    """A round trip to the broker on a connection of the probe's own (made on first use)."""

    def __init__(self, container, timeout_seconds):
        self.container = container
        self.timeout = timeout_seconds
        self.connection = None

    def __call__(self):
        down = [type(qc).__name__ for qc in queue_consumers(self.container)
                if getattr(qc, "broker_connected", True) is False]
        if down:
            return False, {"error": "a queue consumer has lost the broker", "consumers": down}
        missing = self._missing_queues(consumed_queues(self.container))
        if missing:
            return False, {"error": "queues not declared (run `hotline topology`)", "missing": missing}
        return True, {}

    def _missing_queues(self, queues):
        from kombu import Connection

        if self.connection is None:
            self.connection = Connection(self.container.config["AMQP_URI"], connect_timeout=self.timeout)
        try:
            self.connection.ensure_connection(max_retries=1, timeout=self.timeout)
            missing = []
            for name in queues:
                channel = self.connection.channel()
                try:
                    channel.queue_declare(queue=name, passive=True)
                except self.connection.channel_errors:
                    missing.append(name)
                finally:
                    _close_quietly(channel)
            return missing
        except Exception:
            self.close()
            raise

    def close(self):
        if self.connection is not None:
            _close_quietly(self.connection)
            self.connection = None


def _close_quietly(resource):
    try:
        resource.close()
    except Exception:
        pass


# -- the store -----------------------------------------------------------------------


def _bounded(seconds):
    """pymongo's own operation timeout (server selection included)."""
    import pymongo

    return pymongo.timeout(seconds)


def store_ping(store, timeout_seconds):
    def check():
        with _bounded(timeout_seconds):
            store.database.command("ping")
        return True, {}
    return check


def store_indexes(store, timeout_seconds):
    from shared.platform.mongo import index_names

    def check():
        expected = store.expected_indexes or {}
        with _bounded(timeout_seconds):
            present = index_names(store.database, list(expected))
        missing = sorted(f"{collection}.{name}" for collection, names in expected.items()
                         for name in names if name not in present.get(collection, ()))
        if missing:
            return False, {"error": "indexes missing (restart the service to rebuild them)",
                           "missing": missing}
        return True, {"indexes": sum(len(names) for names in expected.values())}
    return check


# -- the calendar ----------------------------------------------------------------------


def official_years():
    """Years the installed ``chinesecalendar`` knows (its official tables)."""
    import chinese_calendar

    years, year = [], 2004
    while True:
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            return years
        years.append(year)
        year += 1


def calendar_coverage_end(config, today=None):
    """The last day from which on no source covers the working-day calendar, or None.

    Uses the calendar's own ``coverage_end(today)`` when it has one; otherwise
    the official Chinese calendar covers the years ``chinesecalendar`` knows
    and the years the city listed holidays or working days for (EXTRA_HOLIDAYS,
    EXTRA_WORKDAYS: its announcement copied into configuration), and the
    coverage ends where the run of covered years from this year on ends. A
    city on the Monday-Friday calendar (``CALENDAR: weekends``) has no end.
    """
    from shared.timelimits.calendar import calendar_from_config

    today = today or dt.date.today()
    calendar = calendar_from_config(config)
    if hasattr(calendar, "coverage_end"):
        return calendar.coverage_end(today)
    if calendar.name == "weekends":
        return None
    years = set(official_years())
    years.update(day.year for day in calendar.extra_holidays | calendar.extra_workdays)
    year = today.year
    while year in years:
        year += 1
    return dt.date(year - 1, 12, 31)


def calendar_check(config, days_ahead, today=None):
    def check():
        end = calendar_coverage_end(config, today)
        if end is None:
            return True, {"covered_until": None}
        horizon = (today or dt.date.today()) + dt.timedelta(days=days_ahead)
        detail = {"covered_until": end.isoformat(), "needed_until": horizon.isoformat()}
        if end < horizon:
            detail["error"] = ("the official calendar ends before the coming weeks: add the next "
                               "year's holidays and working days (EXTRA_HOLIDAYS, EXTRA_WORKDAYS)")
            return False, detail
        return True, detail
    return check
