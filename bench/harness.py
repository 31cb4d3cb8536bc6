"""What the benchmarks share: a scratch vhost, the local stack, listeners, meters."""
import contextlib
import os
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from urllib.parse import urlparse

import psutil
from kombu import Connection, Exchange, Queue

from operate.local import SERVICES, http_addresses, start_services, stop_services, wait_ready
from shared.platform.mongo import describe


def broker_uris():
    """``(AMQP_URI, management API URL with credentials)``; AMQP_URI may list a cluster's nodes."""
    from shared.platform import brokers

    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    user, password = brokers.credentials(amqp)
    base = urlparse(brokers.management_url(amqp))
    api = os.environ.get("RABBIT_API_URI") or f"http://{user}:{password}@{base.netloc}"
    return amqp, api


@contextlib.contextmanager
def scratch_vhost(prefix="bench"):
    """A fresh vhost for one run, deleted afterwards; yields its AMQP URI."""
    from nameko.testing.rabbit import Client

    from shared.platform import brokers

    amqp, api = broker_uris()
    vhost = f"{prefix}_{uuid.uuid4().hex[:8]}"
    client = Client(api)
    client.create_vhost(vhost)
    client.set_vhost_permissions(vhost, brokers.credentials(amqp)[0], ".*", ".*", ".*")
    try:
        yield brokers.with_vhost(amqp, vhost)
    finally:
        client.delete_vhost(vhost)


def publish_submissions(amqp_uri, source, api_key, submissions, connections=8):
    """Publish ``[(external_id, body)]`` to intake's inbound exchange as system ``source``
    would (``ticket.submit``, persistent, each confirmed by the broker, retried while it
    fails over); ``{external_id: monotonic time published}``.

    A confirm from quorum queues on a cluster takes milliseconds (the message is
    replicated and written first), so a backlog goes out over ``connections`` at once:
    one connection waiting for each confirm in turn publishes slower than intake
    takes them, and the backlog would never be a backlog."""
    from services.intake.entrypoints.inbound import INBOUND_EXCHANGE

    published = {}
    failures = []

    def publish_share(share):
        try:
            with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
                producer = connection.Producer(exchange=INBOUND_EXCHANGE, serializer="json")
                publish = connection.ensure(producer, producer.publish, max_retries=30,
                                            interval_start=0.2, interval_step=0.5, interval_max=2)
                for external_id, body in share:
                    published[external_id] = time.monotonic()
                    publish(dict(body, source_system=source, external_id=external_id,
                                 api_key=api_key), routing_key="ticket.submit", delivery_mode=2,
                            user_id=connection.userid)  # intake knows the publisher by it
        except Exception as exc:  # raised below, in the caller
            failures.append(exc)

    submissions = list(submissions)
    threads = [threading.Thread(target=publish_share, args=(submissions[i::connections],))
               for i in range(min(connections, len(submissions)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return published


def free_port():
    from nameko.testing.utils import find_free_port

    return find_free_port()


@contextlib.contextmanager
def local_stack(amqp_uri, services=SERVICES, extra_env=None):
    """The services as separate processes; yields ``(processes, intake_url, env)``."""
    addresses = http_addresses(SERVICES, free_port)
    port = int(addresses["INTAKE_HTTP"].rsplit(":", 1)[1])
    env = dict(os.environ, **addresses, AMQP_URI=amqp_uri,
               LOG_LEVEL="WARNING",
               PYTHONUNBUFFERED="1")
    env.setdefault("MONGO_URI", "memory://")
    if not env["MONGO_URI"].startswith("memory://"):
        env["MONGO_DB_PREFIX"] = f"bench_{uuid.uuid4().hex[:8]}_"
    env.update({f"RATE_LIMIT_{name}": "" for name in ("CLIENT", "SUBMIT", "PHONE", "LOOKUP")})  # one client, many posts
    env.update(extra_env or {})
    log_file = tempfile.NamedTemporaryFile(prefix="hotline-bench-", suffix=".log", delete=False).name
    with open(log_file, "w") as log:
        processes = start_services(services, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(processes, amqp_uri, log_file=log_file)
            yield processes, f"http://127.0.0.1:{port}", env
        finally:
            stop_services(processes)
            drop_bench_databases(env)


def drop_bench_databases(env):
    if env["MONGO_URI"].startswith("memory://"):
        return
    from shared.platform.mongo import connect

    client = connect(env["MONGO_URI"])
    for name in client.list_database_names():
        if name.startswith(env["MONGO_DB_PREFIX"]):
            client.drop_database(name)


def store_label(env=None):
    return describe((env or os.environ).get("MONGO_URI", "memory://"))


class EventListener:
    """Record when each ticket's events are seen on the broker (a plain kombu consumer)."""

    def __init__(self, amqp_uri, kinds):
        self.amqp_uri = amqp_uri
        self.kinds = kinds  # [(source, event_type), ...]
        self.seen = {kind: {} for kind in kinds}
        self.counts = {kind: 0 for kind in kinds}
        self.bodies = {kind: [] for kind in kinds}  # every event, in arrival order
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        with Connection(self.amqp_uri) as connection:
            queues = []
            for source, event_type in self.kinds:
                queues.append(Queue(
                    f"bench-{source}-{event_type}-{uuid.uuid4().hex[:6]}",
                    exchange=Exchange(f"{source}.events", type="topic", durable=True),
                    routing_key=event_type, exclusive=True, auto_delete=True))

            def on_message(body, message):
                kind = (message.delivery_info["exchange"].rsplit(".", 1)[0],
                        message.delivery_info["routing_key"])
                if kind in self.seen:
                    self.seen[kind].setdefault(body.get("number"), time.monotonic())
                    self.counts[kind] += 1
                    self.bodies[kind].append(body)
                message.ack()

            with connection.Consumer(queues, callbacks=[on_message], accept=["json"]) as consumer:
                consumer.qos(prefetch_count=500)
                self._ready.set()
                while not self._stop.is_set():
                    try:
                        connection.drain_events(timeout=0.2)
                    except Exception:
                        pass

    def wait_for(self, kind, numbers, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(n in self.seen[kind] for n in numbers):
                return True
            time.sleep(0.05)
        return False


class ProcessMeter:
    """CPU seconds and peak resident memory of each service process (and, with
    ``broker``, of the RabbitMQ node when it runs on this machine)."""

    def __init__(self, processes, broker=False):
        self.procs = {name: psutil.Process(p.pid) for name, p in processes.items()}
        if broker:  # every RabbitMQ node on the machine (a local cluster has several)
            for proc in psutil.process_iter(["name"]):
                if proc.info["name"] == "beam.smp":
                    try:
                        node = proc.environ().get("RABBITMQ_NODENAME") or "rabbit@localhost"
                    except psutil.Error:
                        node = str(proc.pid)
                    self.procs[f"rabbitmq:{node.split('@')[0]}"] = proc
        self.start_cpu = {name: self._cpu(p) for name, p in self.procs.items()}

    @staticmethod
    def _cpu(proc):
        times = proc.cpu_times()
        return times.user + times.system

    def cpu_seconds(self):
        return {name: round(self._cpu(p) - self.start_cpu[name], 2) for name, p in self.procs.items()}

    def cpu_ms_per(self, count):
        """CPU milliseconds each process spent per item since the meter started, and their sum."""
        spent = {name: round((self._cpu(p) - self.start_cpu[name]) * 1000 / count, 2)
                 for name, p in self.procs.items()}
        return dict(spent, total=round(sum(spent.values()), 2))

    def peak_rss_mb(self):
        peaks = {}
        for name, proc in self.procs.items():
            with open(f"/proc/{proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks[name] = round(int(line.split()[1]) / 1024, 1)
        return peaks


def percentiles(values_ms):
    if not values_ms:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99

    return {"p50": round(q[49], 1), "p95": round(q[94], 1), "p99": round(q[98], 1)}
