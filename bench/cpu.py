"""``make bench-cpu``: the CPU each service spends on a ticket, in one process, without a broker.

    python -m bench.cpu [--tickets 1000] [--warmup 100] [--runs 3] [--rate 40] [--profile SERVICE]

Builds intake, routing, followup, notify and insight as nameko containers in this
process over one in-memory store, without starting them: no consumer or web server
runs and nothing reaches a broker. Each ticket comes in as ``make bench`` sends them --
every other one ``POST /tickets`` through intake's WSGI app, the others an AMQP
submission handed to intake's inbound consumer -- and every event it causes is handed
to the entrypoint of each service that consumes it (``shared/contract/topology.json``)
until none is left: created -> assigned -> case opened -> watched, with intake's status
view and insight on the way. An RPC (notify asking intake for the citizen's contact,
the reconciler's questions) is answered by the callee's entrypoint the same way. The
services' timers (outbox, delivery, the ladder's tick, the reconciler, the directory's
sync ...) run as often as they would at ``--rate`` tickets a second.

What runs is each message's whole path in the service: nameko's worker (every
dependency provider's ``get_dependency``, ``worker_setup``, ``worker_result``), the door
(the signature checked), ``@consumes`` (the event's schema), the handler, the domain,
the unit of work, the store, the outbox, the signing of what it publishes, metrics and
the log context. What does not: the broker and the AMQP client (kombu's JSON encoding
and decoding are kept, so a consumer gets what it would), eventlet's HTTP server.

CPU time (``time.process_time``, not wall clock: figures hold on a busy machine) of each
worker is charged to its service (an RPC's to the callee), less the garbage collector's,
shown apart (``gc``: a full collection here walks every service's store at once). Of it,
``store`` is the time inside the in-memory store's calls (mongomock and
``shared/platform/memory_store.py``): the work MongoDB does in a deployment, in Python
here; the rest is the service's own code and the libraries it calls (marshmallow,
cryptography, nameko). Printed: µs per ticket per service, the median of ``--runs`` runs
of ``--tickets`` tickets (after ``--warmup``), and what each ticket caused (events;
dead letters, of which there must be none).

``--profile SERVICE`` runs cProfile while SERVICE's workers run (``all``: every
worker) in the last run and prints the functions with the most time; ``--profile-out
FILE`` keeps the pstats. The figures of a profiled run are inflated by the profiler.
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import uuid  # noqa: E402

SERVICES = ("intake", "routing", "followup", "notify", "insight")
SOURCE = "bench"  # the system that submits over AMQP
OUTBOX_GRACE_SECONDS = 5.5  # what the outbox timers leave alone (shared.platform.outbox.republish_stale: 5 s)


def ticket(index, run):
    """A distinct request, as ``make bench`` sends (its demo tickets, callers and texts distinct)."""
    from hotline.demo import DEMO_TICKETS

    body = dict(DEMO_TICKETS[index % len(DEMO_TICKETS)])
    body["caller_phone"] = f"139{(run * 1_000_000 + index) % 10**8:08d}"
    body["description"] = f"{body['description']} (#{run}-{index})"
    return body


def bench_config():
    """The config the services get in ``make bench`` (bench.harness.local_stack): warnings only,
    no rate limits for the one client, a fresh in-memory store."""
    os.environ.update({f"RATE_LIMIT_{name}": "" for name in ("CLIENT", "SUBMIT", "PHONE", "LOOKUP")})
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from shared.platform.config import load_config

    config = load_config()
    config.update(MONGO_URI=f"memory://bench-cpu-{uuid.uuid4().hex[:8]}", DECLARE_TOPOLOGY=False)
    return config


@contextlib.contextmanager
def no_broker():
    """nameko's publishers declare their exchange and queues in ``setup()``: not on a broker here."""
    import nameko.messaging as messaging

    saved = messaging.get_connection, messaging.maybe_declare
    messaging.get_connection = lambda *args, **kwargs: contextlib.nullcontext(
        types.SimpleNamespace(channel=lambda: None))
    messaging.maybe_declare = lambda *args, **kwargs: None
    try:
        yield
    finally:
        messaging.get_connection, messaging.maybe_declare = saved


class Meter:
    """CPU per service: each worker's own time, less the time of the workers it waited for;
    and, of it, the time spent inside the in-memory store (``store``).

    The garbage collector's time is counted apart (``gc``): a full collection walks the
    whole heap -- here every service's in-memory store at once -- and would be charged
    to whichever worker happened to trigger it."""

    STORE_CALLS = ("find", "find_one", "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
                   "update_one", "update_many", "replace_one", "insert_one", "insert_many", "delete_one",
                   "delete_many", "count_documents", "aggregate", "bulk_write", "distinct")

    def __init__(self):
        self.cpu = collections.Counter()
        self.store = collections.Counter()
        self.stack = []     # CPU of the workers each running worker waited for
        self.running = []   # the services whose workers run, innermost last
        self.profiled = None  # a service name, "all", or None
        self.profile = cProfile.Profile()
        self.profiling = 0
        self.collecting = 0.0
        self._collection_started = None
        self._in_store = False
        gc.callbacks.append(self._collection)

    def _collection(self, phase, info):
        if phase == "start":
            self._collection_started = time.process_time()
        elif self._collection_started is not None:
            spent = time.process_time() - self._collection_started
            self.collecting += spent
            self.cpu["gc"] += spent

    def run(self, service, fn):
        profile = self.profiled in (service, "all") and not self.profiling
        if profile:
            self.profiling += 1
            self.profile.enable()
        self.stack.append(0.0)
        self.running.append(service)
        started, collected = time.process_time(), self.collecting
        try:
            return fn()
        finally:
            spent = time.process_time() - started - (self.collecting - collected)
            nested = self.stack.pop()
            self.running.pop()
            self.cpu[service] += spent - nested
            if self.stack:
                self.stack[-1] += spent
            if profile:
                self.profile.disable()
                self.profiling -= 1

    def meter_store(self):
        """Time every call into the in-memory store (mongomock and ``shared.platform.memory_store``):
        a collection's methods, and a cursor's iteration, where a find does its work."""
        from mongomock.collection import Cursor

        from shared.platform.memory_store import IndexedCollection

        for cls, names in ((IndexedCollection, self.STORE_CALLS), (Cursor, ("__next__",))):
            for name in names:
                setattr(cls, name, self._timed(getattr(cls, name)))

    def _timed(self, method):
        meter = self

        @functools.wraps(method)
        def timed(*args, **kwargs):
            if meter._in_store or not meter.running:  # a store call made by another: counted there
                return method(*args, **kwargs)
            meter._in_store = True
            started, collected = time.process_time(), meter.collecting
            try:
                return method(*args, **kwargs)
            finally:
                meter._in_store = False
                meter.store[meter.running[-1]] += time.process_time() - started - (meter.collecting - collected)
        return timed


class CapturingPublisher:
    """Stands in for nameko's AMQP publisher: encodes as kombu would, and keeps the message."""

    def __init__(self, bus, service, kind, exchange=None):
        self.bus, self.service, self.kind, self.exchange = bus, service, kind, exchange

    def publish(self, payload, **kwargs):
        from kombu.utils import json as kombu_json

        body = kombu_json.dumps(payload)
        self.bus.published(self.service, self.kind, body, kwargs)


class Call:
    """One RPC, answered by the callee's entrypoint: from a worker (signed as its service and
    carrying its context), or from a standalone proxy (signed as ``principal``)."""

    def __init__(self, bus, worker_ctx, service, method, principal=None):
        self.bus, self.worker_ctx, self.service, self.method = bus, worker_ctx, service, method
        self.principal = principal

    def __call__(self, *args, **kwargs):
        return self.bus.call(self.worker_ctx, self.service, self.method, args, kwargs,
                             principal=self.principal or "cli")

    def call_async(self, *args, **kwargs):
        result = self(*args, **kwargs)
        return types.SimpleNamespace(result=lambda: result)


class Proxy:
    """A service's RPC proxy (``Proxy(bus, worker_ctx, "intake").get_citizen_contact(...)``)."""

    def __init__(self, bus, worker_ctx, service, principal=None):
        self.bus, self.worker_ctx, self.service, self.principal = bus, worker_ctx, service, principal

    def __getattr__(self, method):
        return Call(self.bus, self.worker_ctx, self.service, method, self.principal)


class Cluster:
    """A standalone ``ClusterRpcProxy`` (intake's reconciler), signed as ``principal``."""

    def __init__(self, bus, principal):
        self.bus, self.principal = bus, principal

    def __getattr__(self, service):
        return Proxy(self.bus, None, service, self.principal)


class Bus:
    """The services' containers, the messages between them, and what each costs."""

    def __init__(self, config):
        from nameko.containers import ServiceContainer

        from bench.chaos import service_class
        from shared.contract import topology

        self.config = config
        self.meter = Meter()
        self.meter.meter_store()
        self.pending = collections.deque()
        self.counts = collections.Counter()
        self.dead_letters = []
        self.receipts = []
        self.consumers = collections.defaultdict(list)
        for queue in topology.load_manifest()["event_queues"]:
            if queue["service"] in SERVICES:
                self.consumers[(queue["source"], queue["event_type"])].append(
                    (queue["service"], queue["method"], queue["queue"]))
        self.containers = {}
        for name in SERVICES:
            service_config = dict(config, WEB_SERVER_ADDRESS="127.0.0.1:0")
            self.containers[name] = ServiceContainer(service_class(name), service_config)
        for name, container in self.containers.items():
            self._set_up(name, container)

    # -- building the containers without a broker ------------------------------------

    def _set_up(self, name, container):
        from nameko.extensions import Extension
        from nameko.messaging import Publisher
        from nameko.rpc import RpcProxy
        from nameko.web.server import WebServer

        from services.intake.adapters.catalogue import Catalogue
        from services.intake.adapters.number_fence import NumberFence
        from services.intake.adapters.reconciling import Reconciling

        with no_broker():
            for dependency in container.dependencies:
                dependency.setup()
        for entrypoint in container.entrypoints:
            entrypoint.setup()
        for sub in container.subextensions:
            if isinstance(sub, WebServer):
                sub.setup()
        for dependency in container.dependencies:
            if isinstance(dependency, Publisher):  # events, dead letters, receipts
                kind = type(dependency).__name__
                dependency.publisher = CapturingPublisher(self, name, kind,
                                                          getattr(dependency, "exchange", None))
            if isinstance(dependency, RpcProxy):
                dependency.get_dependency = (
                    lambda worker_ctx, target=dependency.target_service: Proxy(self, worker_ctx, target))
            if isinstance(dependency, Reconciling):  # its round's standalone proxy
                dependency.cluster = lambda: contextlib.nullcontext(Cluster(self, "intake"))
            if isinstance(dependency, NumberFence):  # asks routing and followup with a standalone proxy
                dependency.ask = lambda service, series: self.call(
                    None, service, "highest_sequence", (series,), {}, principal="intake")
        for dependency in container.dependencies:
            if type(dependency).start is not Extension.start and not isinstance(dependency, Catalogue):
                dependency.start()  # indexes, metered publishers, the directory mirror
        for sub in container.subextensions:
            if isinstance(sub, WebServer) and getattr(sub, "limiter", None) is not None:
                sub.limiter.ensure_indexes()

    def prepare(self):
        """What the services learn from each other when they start: the directory and the
        catalogue from routing, an API key for the submitting system."""
        from nameko.web.server import WebServer

        from services.intake.adapters.catalogue import Catalogue
        from shared.platform.identity import Person
        from shared.platform.mirror import Mirror

        intake = self.containers["intake"]
        catalogue = next(d for d in intake.dependencies if isinstance(d, Catalogue))
        catalogue.cached = self.call(None, "routing", "get_catalogue", (), {}, principal="intake")
        catalogue.source, catalogue.fetched_at = "routing", time.monotonic() + 10**6  # never stale here
        for name in ("followup", "notify"):
            for dependency in self.containers[name].dependencies:
                if isinstance(dependency, Mirror):
                    dependency.catch_up(self.call(None, "routing", "directory_snapshot", (), {}, principal=name))
        admin = Person("bench", "bench", ("admin",), via="cli")
        self.api_key = self.call(None, "intake", "create_api_key", (SOURCE,), {}, person=admin)["key"]
        server = next(s for s in intake.subextensions if isinstance(s, WebServer))
        self.wsgi = server.get_wsgi_app()
        # What the first start left in the outboxes (routing's seeded directory and calendar) is
        # published by the outbox timers once it is this old: the timers' first run takes it.
        time.sleep(OUTBOX_GRACE_SECONDS)

    # -- messages ----------------------------------------------------------------

    def published(self, service, kind, body, kwargs):
        if kind == "DeadLetters":
            self.dead_letters.append((service, body))
            return
        if kind != "EventDispatcher":
            self.receipts.append((service, kind, body))
            return
        event_type = kwargs["routing_key"]
        self.counts[f"{service}.{event_type}"] += 1
        headers = kwargs.get("extra_headers") or {}
        for consumer, method, queue in self.consumers.get((service, event_type), ()):
            self.pending.append((consumer, method, queue, body, headers))

    def drain(self):
        while self.pending:
            consumer, method, queue, body, headers = self.pending.popleft()
            self.deliver(consumer, method, queue, body, headers)

    def deliver(self, service, method, queue, body, headers):
        from kombu.utils import json as kombu_json

        from shared.platform import metrics

        container = self.containers[service]

        def work():
            metrics.message_consumed(container, queue, False)  # the queue consumer's count
            payload = kombu_json.loads(body)
            context = {key[len("nameko."):]: value for key, value in headers.items()
                       if key.startswith("nameko.")}
            return self.run_worker(container, method, (payload,), {}, context)
        self.meter.run(service, work)

    def call(self, worker_ctx, service, method, args, kwargs, person=None, principal="cli"):
        """An RPC: signed as the caller (or as ``principal``), answered by ``service``'s entrypoint."""
        from kombu.utils import json as kombu_json
        from nameko.constants import CALL_ID_STACK_CONTEXT_KEY

        from shared.platform import identity, principals

        if worker_ctx is not None:
            keyring = principals.keyring_of(worker_ctx.container)
            context = {key: value for key, value in worker_ctx.context_data.items()}
            context[CALL_ID_STACK_CONTEXT_KEY] = list(worker_ctx.call_id_stack)
        else:
            keyring = principals.Keyring.from_config(principal, self.config, warn=False)
            context = {}
            if person is not None:
                context[identity.CONTEXT_KEY] = identity.sign(person, identity.secret_from(self.config, warn=False))
        context[principals.CALL_KEY] = keyring.sign(f"{service}.{method}", principals.rpc_digest(args, kwargs),
                                                    principals.RPC_TTL_SECONDS)
        request = kombu_json.dumps({"args": list(args), "kwargs": dict(kwargs)})
        container = self.containers[service]

        def work():
            loaded = kombu_json.loads(request)
            return kombu_json.dumps(self.run_worker(container, method, tuple(loaded["args"]), loaded["kwargs"],
                                                    context))
        return kombu_json.loads(self.meter.run(service, work))

    def run_worker(self, container, method, args, kwargs, context):
        from nameko.extensions import Entrypoint

        entrypoint = next(e for e in container.entrypoints
                          if e.method_name == method and isinstance(e, Entrypoint))
        done = eventlet.event.Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send((result, exc_info))
            return result, exc_info

        container.spawn_worker(entrypoint, args, kwargs, context_data=context, handle_result=handle_result)
        result, exc_info = done.wait()
        if exc_info is not None:
            raise exc_info[1]
        return result

    # -- a ticket's ways in ---------------------------------------------------------

    def post(self, body):
        from werkzeug.test import EnvironBuilder

        environ = EnvironBuilder(path="/tickets", method="POST", data=json.dumps(body),
                                 content_type="application/json",
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
        answered = {}

        def start_response(status, headers, exc_info=None):
            answered["status"] = status

        def work():
            return b"".join(self.wsgi(environ, start_response))
        response = self.meter.run("intake", work)
        if not answered["status"].startswith("201"):
            raise RuntimeError(f"intake answered {answered['status']}: {response[:300]!r}")

    def submit(self, body, external_id):
        """An AMQP submission as another system publishes it (``bench.harness.publish_submissions``)."""
        from kombu.utils import json as kombu_json

        raw = kombu_json.dumps(dict(body, source_system=SOURCE, external_id=external_id,
                                    api_key=self.api_key)).encode("utf-8")
        user = self.config["AMQP_URI"].split("://", 1)[1].split(":", 1)[0]
        properties = {"headers": {}, "message_id": None, "correlation_id": None,
                      "content_type": "application/json", "user_id": user}
        before = len(self.receipts)
        self.meter.run("intake", lambda: self.run_worker(self.containers["intake"], "on_inbound_submission",
                                                         (raw, properties), {}, {}))
        receipt = json.loads(self.receipts[before][2]) if len(self.receipts) > before else {}
        if not receipt.get("accepted"):
            raise RuntimeError(f"intake refused an AMQP submission: {receipt}")

    def ticket(self, index, run):
        body = ticket(index, run)
        if index % 2:
            self.submit(body, f"{run}-{index}")
        else:
            self.post(body)
        self.drain()
        if self.timers:
            self.tick(1 / self.rate)

    # -- the services' timers, on a clock that moves 1/rate s per ticket ---------------

    timers: dict = {}

    def start_timers(self, rate):
        """Each timer (outbox, delivery, the ladder's tick, the reconciler ...) runs once per
        interval of simulated time, as in a run of ``make bench`` at ``rate`` tickets/s."""
        from nameko.timer import Timer

        self.rate, self.clock = rate, 0.0
        self.timers = {(name, e.method_name): e.interval for name, c in self.containers.items()
                       for e in c.entrypoints if isinstance(e, Timer)}
        self.due = dict.fromkeys(self.timers, 0.0)  # each runs once now: the stack has been up a while
        self.timer_cpu = collections.Counter()
        self.tick(0.0)

    def tick(self, seconds):
        self.clock += seconds
        for (service, method), interval in self.timers.items():
            while self.due[service, method] <= self.clock:
                self.due[service, method] += interval
                before = self.meter.cpu[service]
                self.meter.run(service, functools.partial(self.run_worker, self.containers[service], method,
                                                          (), {}, {}))
                self.timer_cpu[service] += self.meter.cpu[service] - before
                self.drain()  # what it published


def measure(bus, tickets, run):
    """One run: ``{figure: {service: µs per ticket}}`` -- CPU, of which in the store, of which
    in timers -- and the events published per ticket."""
    for counter in (bus.meter.cpu, bus.meter.store, bus.counts, bus.timer_cpu):
        counter.clear()
    started = time.process_time()
    for index in range(tickets):
        bus.ticket(index, run)
    total = time.process_time() - started

    def per_ticket(counter, names):
        return {name: counter[name] / tickets * 1e6 for name in names}
    cpu = per_ticket(bus.meter.cpu, (*SERVICES, "gc"))
    cpu["services"] = sum(cpu[name] for name in SERVICES)
    cpu["process"] = total / tickets * 1e6
    store = per_ticket(bus.meter.store, SERVICES)
    store["services"] = sum(store.values())
    timers = per_ticket(bus.timer_cpu, SERVICES)
    timers["services"] = sum(timers.values())
    return {"cpu": cpu, "store": store, "timers": timers}, dict(bus.counts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000, help="tickets per measured run")
    parser.add_argument("--warmup", type=int, default=100, help="tickets before the first run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs (the median is printed)")
    parser.add_argument("--rate", type=float, default=40.0,
                        help="tickets per simulated second, for the timers (0: no timers)")
    parser.add_argument("--profile", choices=(*SERVICES, "all"), help="cProfile this service's workers")
    parser.add_argument("--profile-out", help="write the profile's pstats here")
    parser.add_argument("--top", type=int, default=40, help="functions shown from the profile")
    parser.add_argument("--json", help="write the figures here as JSON")
    args = parser.parse_args(argv)

    config = bench_config()
    import logging.config

    logging.config.dictConfig(config["LOGGING"])  # as nameko run does: warnings only, through the filter
    logging.getLogger("shared.platform.mongo").setLevel(logging.ERROR)  # the in-memory store's warning
    bus = Bus(config)
    bus.prepare()
    bus.start_timers(args.rate or float("inf"))
    for index in range(args.warmup):
        bus.ticket(index, 0)

    runs = []
    for run in range(1, args.runs + 1):
        if args.profile and run == args.runs:
            bus.meter.profiled = args.profile
        figures, counts = measure(bus, args.tickets, run)
        runs.append(figures)
        print(f"run {run}: " + ", ".join(f"{k} {v:,.0f}" for k, v in figures["cpu"].items()) + " µs/ticket",
              file=sys.stderr, flush=True)

    median = {figure: {key: statistics.median(r[figure][key] for r in runs) for key in runs[0][figure]}
              for figure in runs[0]}
    print(f"CPU µs per ticket, median of {args.runs} runs of {args.tickets} tickets (after {args.warmup}); "
          f"in-memory store, no broker; timers as at {args.rate:g} tickets/s")
    print(f"  {'':<9} {'CPU':>7} {'store':>7} {'not store':>9} {'timers':>7}   CPU of each run")
    for key, value in median["cpu"].items():
        store = median["store"].get(key)
        cells = [f"{value:>7,.0f}", f"{store:>7,.0f}" if store is not None else " " * 7,
                 f"{value - store:>9,.0f}" if store is not None else " " * 9,
                 f"{median['timers'][key]:>7,.0f}" if key in median["timers"] else " " * 7]
        each = ", ".join(f"{r['cpu'][key]:,.0f}" for r in runs)
        print(f"  {key:<9} {' '.join(cells)}   ({each})")
    print("store: time inside the in-memory store's calls (mongomock and shared/platform/memory_store.py), "
          "MongoDB's work in a deployment; timers: the services' timers (outbox, delivery, the ladder's "
          "tick, the reconciler ...), included in CPU")
    print("events per ticket: " + ", ".join(f"{k} {v / args.tickets:g}" for k, v in sorted(counts.items())))
    print(f"dead letters: {len(bus.dead_letters)}")
    if bus.dead_letters:
        print("  e.g. " + bus.dead_letters[0][1][:500])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"median_us_per_ticket": median, "runs": runs, "tickets": args.tickets, "rate": args.rate,
                       "events_per_ticket": {k: v / args.tickets for k, v in counts.items()}}, handle, indent=2)
    if args.profile:
        if args.profile_out:
            bus.meter.profile.dump_stats(args.profile_out)
        for order in ("tottime", "cumulative"):
            if args.top:
                out = io.StringIO()
                pstats.Stats(bus.meter.profile, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    return 1 if bus.dead_letters else 0


if __name__ == "__main__":
    sys.exit(main())
