"""Prometheus metrics for a nameko service, one registry per container.

Every service container gets a ``ServiceMetrics`` (``for_container``): its
own ``prometheus_client`` registry, so two containers in one process (the
tests run two of each service) never mix their figures. What it counts:

* messages consumed, redelivered and dead-lettered per queue (the queue
  consumer and the dead-letter publishers of ``shared.platform.messaging`` call
  ``message_consumed`` / ``message_dead_lettered``), and published per
  exchange and routing key (``meter_publishers`` wraps the container's
  publishers when it starts);
* handler calls and latency per entrypoint, and HTTP requests by route and
  status (``shared.platform.ops.Operations`` observes every worker);
* ladder steps taken, notification attempts and reconciler findings, which
  the services that do them record;
* gauges read when Prometheus scrapes (``add_source``): the outbox backlog
  and its oldest age, tickets and cases by state, overdue cases, the
  readiness checks. A source runs within a bound and its answer is kept for
  ``METRICS_CACHE_SECONDS``, so a scrape never hangs on a slow store and a
  busy Prometheus does not load it.

Nothing here may break the work it measures: the hooks swallow their own
errors.
"""
import logging
import time

import eventlet
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Sample:
    """One gauge value a source reports: ``Sample("hotline_tickets", {"status": "received"}, 3)``."""

    __slots__ = ("name", "labels", "value")

    def __init__(self, name, labels, value):
        self.name, self.labels, self.value = name, dict(labels), float(value)


# Help text of every gauge a source may report; a source naming another is a bug.
GAUGES = {
    "hotline_outbox_backlog": "Documents holding events not yet published (outbox), per collection",
    "hotline_outbox_oldest_age_seconds": "Age of the oldest unpublished outbox event, per collection",
    "hotline_tickets": "Tickets by status, in intake's view (the same figure on every instance)",
    "hotline_cases": "Cases by state, in followup (the same figure on every instance)",
    "hotline_cases_overdue": "Open cases past their reply deadline, in notify's watches",
    "hotline_notifications": "Notifications by channel and status, in notify's delivery queue",
    "hotline_dispatch_queue": "Tickets waiting for a dispatcher, in routing",
    "hotline_insight_requests": "Requests in insight's read model",
    "hotline_callcentre_callbacks_open": "Missed callers not yet called back, in callcentre",
    "hotline_ready": "1 when a readiness check passes, 0 when it fails",
    "hotline_calendar_coverage_end_timestamp_seconds":
        "End (UTC midnight after the last day) of the days an official calendar source covers",
    "hotline_reconciler_open_findings": "Problems the reconciler found and could not repair yet, by check",
}


class SourceCollector:
    """Gauges computed at scrape time from registered sources, cached and bounded."""

    def __init__(self, metrics, cache_seconds, bound_seconds):
        self.metrics = metrics
        self.cache_seconds = cache_seconds
        self.bound_seconds = bound_seconds
        self.sources = {}  # name -> callable() -> [Sample]
        self.cached = {}   # name -> (monotonic time, [Sample])

    def add(self, name, source):
        self.sources[name] = source

    def samples(self, name):
        now = time.monotonic()
        kept = self.cached.get(name)
        if kept and now - kept[0] < self.cache_seconds:
            return kept[1]
        try:
            with eventlet.Timeout(self.bound_seconds):
                found = list(self.sources[name]())
        except (Exception, eventlet.Timeout) as exc:
            self.metrics.source_errors.labels(name).inc()
            log.warning("metrics source %s failed: %s", name, type(exc).__name__)
            found = []
        self.cached[name] = (now, found)
        return found

    def collect(self):
        families = {}
        for name in list(self.sources):
            for sample in self.samples(name):
                family = families.get(sample.name)
                if family is None:
                    family = families[sample.name] = (GAUGES[sample.name], sorted(sample.labels), [])
                family[2].append(sample)
        for metric, (help_text, label_names, samples) in families.items():
            gauge = GaugeMetricFamily(metric, help_text, labels=label_names)
            for sample in samples:
                gauge.add_metric([str(sample.labels.get(k, "")) for k in label_names], sample.value)
            yield gauge


class ServiceMetrics:
    """The metrics of one service container."""

    def __init__(self, service, cache_seconds=15.0, bound_seconds=2.0):
        self.service = service
        disable_created_metrics()  # the *_created series only double what is scraped
        self.registry = registry = CollectorRegistry()
        registry.set_target_info({"service": service})
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)

        def counter(name, help_text, labels):
            return Counter(name, help_text, labels, registry=registry)

        self.consumed = counter("hotline_messages_consumed", "Messages delivered to this service, per queue",
                                ["queue"])
        self.consumed_by_queue = {}
        self.redelivered = counter("hotline_messages_redelivered",
                                   "Messages delivered again (after a requeue or a lost connection), per queue",
                                   ["queue"])
        self.dead_lettered = counter("hotline_messages_dead_lettered",
                                     "Messages this service sent to hotline.dead_letters, per queue they came from",
                                     ["queue"])
        self.published = counter("hotline_messages_published", "Messages published, per exchange and routing key",
                                 ["exchange", "routing_key"])
        self.publish_failures = counter("hotline_publish_failures",
                                        "Publishes that raised (broker away, unroutable), per exchange and routing key",
                                        ["exchange", "routing_key"])
        self.calls = counter("hotline_handler_calls", "Entrypoint calls by outcome (ok, error)",
                             ["entrypoint", "kind", "outcome"])
        self.latency = Histogram("hotline_handler_duration_seconds", "Time a worker took, per entrypoint",
                                 ["entrypoint", "kind"], buckets=LATENCY_BUCKETS, registry=registry)
        self.http = counter("hotline_http_requests", "HTTP requests by method, route and status",
                            ["method", "route", "status"])
        self.escalations = counter("hotline_escalations",
                                   "Supervision ladder steps taken (reminders, cards, 督办), by level", ["level"])
        self.notification_attempts = counter("hotline_notification_attempts",
                                             "Notification delivery attempts by channel and outcome",
                                             ["channel", "outcome"])
        self.reconciler_findings = counter("hotline_reconciler_findings",
                                           "What the reconciler found, by check and what it did (repaired, raised)",
                                           ["check", "action"])
        self.source_errors = counter("hotline_metrics_source_errors",
                                     "Scrape-time gauges that could not be read (store slow or down)", ["source"])
        self.info = Gauge("hotline_service_started_timestamp_seconds", "When this container started",
                          registry=registry)
        self.info.set_to_current_time()
        self.sources = SourceCollector(self, cache_seconds, bound_seconds)
        registry.register(self.sources)

    def add_source(self, name, source):
        """Read ``source()`` -> ``[Sample]`` at each scrape (cached, bounded)."""
        self.sources.add(name, source)

    def render(self):
        return generate_latest(self.registry)


def for_container(container, **options):
    """The container's ``ServiceMetrics``, made on first use."""
    metrics = getattr(container, "_hotline_metrics", None)  # extensions hold a weakref proxy
    if metrics is None:
        metrics = ServiceMetrics(container.service_name, **options)
        container._hotline_metrics = metrics
    return metrics


def _safely(record):
    try:
        record()
    except Exception:  # a metric must never break the message it counts
        log.debug("metric not recorded", exc_info=True)


def message_consumed(container, queue, redelivered):
    if queue.startswith("rpc.reply-"):  # a reply queue: one per container, named at random
        return

    def record():
        metrics = for_container(container)
        counter = metrics.consumed_by_queue.get(queue)
        if counter is None:
            counter = metrics.consumed_by_queue[queue] = metrics.consumed.labels(queue)
        counter.inc()
        if redelivered:
            metrics.redelivered.labels(queue).inc()
    _safely(record)


def message_dead_lettered(container, queue):
    _safely(lambda: for_container(container).dead_lettered.labels(queue or "unknown").inc())


def entrypoint_queue(entrypoint):
    """The queue an entrypoint consumes (event handlers, consumers, RPC), else None."""
    queue = getattr(entrypoint, "queue", None)
    if queue is None:
        queue = getattr(getattr(entrypoint, "rpc_consumer", None), "queue", None)
    return getattr(queue, "name", None)


def queue_of(extension, message):
    """The queue ``message`` came from: the extension's own, or found by consumer tag."""
    own = getattr(getattr(extension, "queue", None), "name", None)
    if own:
        return own
    tag = (message.delivery_info or {}).get("consumer_tag")
    for provider, consumer in list(getattr(extension, "_consumers", {}).items()):
        if tag in getattr(consumer, "_active_tags", {}).values():
            return entrypoint_queue(provider)
    return None


def meter_publishers(container, metrics):
    """Count what every publisher of ``container`` publishes (events, dead letters, receipts).

    nameko's ``Publisher`` and ``EventDispatcher`` build an AMQP publisher in
    ``setup()``; its ``publish`` is wrapped, so every message that the broker
    confirmed is counted, and every publish that raised.
    """
    from nameko.messaging import Publisher

    for extension in container.dependencies:
        amqp = getattr(extension, "publisher", None) if isinstance(extension, Publisher) else None
        if amqp is None or getattr(amqp, "_hotline_metered", False):
            continue
        default_exchange = getattr(getattr(amqp, "exchange", None), "name", None) or ""
        amqp.publish = _metered(amqp.publish, metrics, default_exchange)
        amqp._hotline_metered = True


def _metered(publish, metrics, default_exchange):
    def metered_publish(payload, **kwargs):
        exchange = kwargs.get("exchange")
        exchange = getattr(exchange, "name", exchange) or default_exchange
        routing_key = kwargs.get("routing_key") or ""
        try:
            result = publish(payload, **kwargs)
        except Exception:
            _safely(lambda: metrics.publish_failures.labels(exchange, routing_key).inc())
            raise
        _safely(lambda: metrics.published.labels(exchange, routing_key).inc())
        return result
    return metered_publish
