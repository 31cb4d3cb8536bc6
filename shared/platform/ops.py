"""What an operations team needs from every service: /health, /ready, /metrics.

Every service class has ``Operable`` as its one base (imported as a module:
``nameko run`` takes any class with entrypoints found in a service module for a
service)::

    from shared.platform import ops

    class RoutingService(ops.Operable):
        name = "routing"
        operations = ops.Operations(calendar=True)   # it computes deadlines

and gets, on its own HTTP port (``<SERVICE>_HTTP``, see ``operate.serve``):

* ``GET /health``: 200 while the process runs its workers (a liveness probe);
* ``GET /ready``: 200 when every readiness check passes, else 503, with each
  check's result (``shared.platform.readiness``): broker, store, indexes, calendar;
* ``GET /metrics``: Prometheus text (``shared.platform.metrics``); with
  ``METRICS_TOKEN`` set, only for ``Authorization: Bearer <token>``.

``Operations`` is a nameko dependency provider: its ``worker_setup`` and
``worker_result`` hooks time and count every entrypoint (and HTTP requests
by route and status) and bind the worker's ticket, event and call id to its
log lines (``shared.platform.logs``). Other parts of the service reach the metrics
through ``self.operations.metrics`` (or ``shared.platform.metrics.for_container``).

Sources of scrape-time gauges: the outbox of every repository that has one
(``repository.outbox``), and whatever the repository reports through an
optional ``ops_gauges()`` method returning ``[shared.platform.metrics.Sample]``.
"""
import datetime as dt
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from shared.contract.events import utcnow
from shared.platform import logs, metrics, readiness
from shared.platform.doors import Public, door
from shared.platform.openapi import operation, served
from shared.platform.web import http  # the door's web server: one per service, whichever routes it has

log = logging.getLogger(__name__)

KINDS = {"Rpc": "rpc", "EventHandler": "event", "Consumer": "consumer", "HttpRequestHandler": "http",
         "Timer": "timer", "ConfiguredTimer": "timer"}


def entrypoint_kind(entrypoint):
    for cls in type(entrypoint).__mro__:
        if cls.__name__ in KINDS:
            return KINDS[cls.__name__]
    return type(entrypoint).__name__.lower()


def http_status(result, exc_info, expected):
    """The status nameko answers for an HTTP entrypoint's ``result`` or exception."""
    if exc_info is not None:
        return 400 if isinstance(exc_info[1], expected) else 500
    if isinstance(result, tuple) and result and isinstance(result[0], int):
        return result[0]
    return getattr(result, "status_code", 200)


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, \
        json.dumps(body, ensure_ascii=False, default=str)


class Operations(DependencyProvider):
    """Metrics, readiness and log context for one service container."""

    def __init__(self, calendar=False, **extra_checks):
        self.calendar = calendar
        self.extra_checks = extra_checks  # name -> callable(container) -> (ok, detail)
        self.started = {}
        self.meters = {}

    def setup(self):
        config = self.container.config
        self.timeout = float(config.get("READY_TIMEOUT", 2))
        self.calendar_days = int(config.get("READY_CALENDAR_DAYS", 14))
        self.token = str(config.get("METRICS_TOKEN") or "")
        self.metrics = metrics.for_container(
            self.container, cache_seconds=float(config.get("METRICS_CACHE_SECONDS", 15)),
            bound_seconds=self.timeout)
        logs.set_process_service(self.container.service_name)
        self.broker = readiness.BrokerProbe(self.container, self.timeout)
        self.readiness = readiness.Readiness(self.timeout)
        self.readiness.add("broker", self.broker)
        store = self._store()
        if store is not None:
            self.readiness.add("store", readiness.store_ping(store, self.timeout))
            self.readiness.add("indexes", readiness.store_indexes(store, self.timeout))
        if self.calendar:
            self.readiness.add("calendar", readiness.calendar_check(config, self.calendar_days))
        for name, check in self.extra_checks.items():
            self.readiness.add(name, lambda check=check: check(self.container))
        self.metrics.add_source("readiness", self._readiness_samples)
        if store is not None:
            # the store may be set up after this provider: look at its repository when scraped
            self.metrics.add_source("outbox", lambda: outbox_samples(store.repository))
            self.metrics.add_source("state", lambda: repository_gauges(store.repository))

    def start(self):
        metrics.meter_publishers(self.container, self.metrics)

    def stop(self):
        self.broker.close()

    def kill(self):
        self.broker.close()

    def _store(self):
        from shared.platform.mongo import Store

        return next((d for d in self.container.dependencies if isinstance(d, Store)), None)

    # -- every worker --------------------------------------------------------------

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.monotonic()
        logs.enter(worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        try:
            entrypoint = worker_ctx.entrypoint
            meters = self.meters.get(entrypoint)
            if meters is None:  # the labelled children of this entrypoint, looked up once
                kind = entrypoint_kind(entrypoint)
                name = entrypoint.method_name
                meters = self.meters[entrypoint] = (
                    kind, self.metrics.latency.labels(name, kind),
                    self.metrics.calls.labels(name, kind, "ok"), self.metrics.calls.labels(name, kind, "error"))
            kind, latency, ok, error = meters
            if started is not None:
                latency.observe(time.monotonic() - started)
            (ok if exc_info is None else error).inc()
            if kind == "http":
                status = http_status(result, exc_info, entrypoint.expected_exceptions)
                self.metrics.http.labels(entrypoint.method, entrypoint.url, str(status)).inc()
        except Exception:
            log.debug("worker not metered", exc_info=True)

    def worker_teardown(self, worker_ctx):
        self.started.pop(worker_ctx, None)
        logs.leave()

    def get_dependency(self, worker_ctx):
        return self

    # -- what the endpoints answer ---------------------------------------------------

    def health(self):
        return {"service": self.container.service_name, "status": "ok"}

    def ready(self):
        ok, checks = self.readiness.run()
        self._last_readiness = checks
        return ok, {"service": self.container.service_name, "ready": ok, "checks": checks}

    def _readiness_samples(self):
        _, checks = self.readiness.run()
        samples = [metrics.Sample("hotline_ready", {"check": name}, result["ok"])
                   for name, result in checks.items()]
        end = (checks.get("calendar") or {}).get("covered_until")
        if end:
            after = dt.datetime.combine(dt.date.fromisoformat(end) + dt.timedelta(days=1), dt.time(0),
                                        tzinfo=dt.UTC)
            samples.append(metrics.Sample("hotline_calendar_coverage_end_timestamp_seconds", {},
                                          after.timestamp()))
        return samples

    def may_read_metrics(self, request):
        if not self.token:
            return True
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())


def repository_gauges(repository):
    """What the repository reports through its optional ``ops_gauges()``."""
    gauges = getattr(repository, "ops_gauges", None)
    return gauges() if gauges else []


def outbox_samples(repository):
    """The backlog and oldest age of every outbox the repository keeps."""
    outboxes = [box for box in [getattr(repository, "outbox", None)] if box is not None]
    outboxes += list(getattr(repository, "outboxes", ()))
    samples = []
    for outbox in outboxes:
        collection = outbox.collection
        pending = {"outbox.queued_at": {"$lte": utcnow() + dt.timedelta(days=3650)}}
        backlog = collection.count_documents(pending)
        oldest = 0.0
        if backlog:
            doc = next(iter(collection.find(pending, {"outbox": 1}).sort("outbox.queued_at", 1).limit(1)), None)
            times = [entry["queued_at"] for entry in (doc or {}).get("outbox") or [] if entry.get("queued_at")]
            if times:
                first = min(times)
                first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)
                oldest = max(0.0, (utcnow() - first).total_seconds())
        labels = {"collection": collection.name}
        samples += [metrics.Sample("hotline_outbox_backlog", labels, backlog),
                    metrics.Sample("hotline_outbox_oldest_age_seconds", labels, oldest)]
    return samples


class Operable:
    """``/health``, ``/ready``, ``/metrics`` and ``/openapi.json`` for any service.

    The one base class of every service class: it needs nothing of ``self`` but
    the attributes declared here, which a service sets (see the module's doc).
    """

    operations = Operations()
    openapi_info: Mapping[str, Any] = {}     # title, version, description
    openapi_schemas: Mapping[str, Any] = {}  # name -> a marshmallow schema class or a JSON Schema

    @operation("This API's OpenAPI 3 document", tags=["operations"],
               responses={200: {"type": "object", "required": ["openapi", "paths"]}}, errors=())
    @door(Public())
    @http("GET", "/openapi.json", limits=())
    def http_openapi(self, request):
        return 200, {"Content-Type": "application/json; charset=utf-8"}, served(type(self))

    @operation("Is the process alive", tags=["operations"], responses={200: {"type": "object"}}, errors=())
    @door(Public())
    @http("GET", "/health", limits=())
    def http_health(self, request):
        return json_response(200, self.operations.health())

    @operation("Is it ready: broker, store, indexes, calendar", tags=["operations"],
               responses={200: {"type": "object"}}, errors={503: {"type": "object"}})
    @door(Public())
    @http("GET", "/ready", limits=())
    def http_ready(self, request):
        ok, body = self.operations.ready()
        return json_response(200 if ok else 503, body)

    @operation("Prometheus metrics", tags=["operations"], headers=("Authorization",),
               responses={200: {"text/plain": {"type": "string"}}}, errors=(401,))
    @door(Public())
    @http("GET", "/metrics", limits=())
    def http_metrics(self, request):
        if not self.operations.may_read_metrics(request):
            return json_response(401, {"errors": {"Authorization": ["Bearer METRICS_TOKEN required"]}})
        return Response(self.operations.metrics.render(), status=200,
                        headers={"Content-Type": metrics.CONTENT_TYPE})
