"""``make chaos``: kill, restart and flood the stack; prove nothing is lost.

The four services run as nameko containers in this process, each over its own
database in one in-memory store that outlives them, as a database outlives the
processes that use it. (With a real MongoDB in ``MONGO_URI``, the same
scenarios would kill real processes with SIGKILL; that mode needs a reachable
server and is not what runs here.) Scenarios:

* ``kill:<service>``: while tickets are in flight, kill the service's container
  abruptly (workers die mid-handler, unacknowledged messages go back to the
  broker), then start a fresh container on the same store;
* ``store-outage``: every store call fails with a connection error for a while;
* ``broker-restart``: RabbitMQ's app is stopped and started while tickets flow
  (every node, one after another, on a cluster);
* ``node-stop`` (a cluster): the node the services are connected to is stopped
  mid-flight and started again later; they move to the other nodes;
* ``last:<service>``: on a fresh vhost, every other service runs and tickets
  are already submitted (over AMQP when intake is the one missing) before
  ``<service>`` starts;
* ``malformed``: hypothesis-generated garbage (deep nesting included) is
  published to every queue the services consume, while valid tickets flow; no
  queue may hold a message delivered more than its delivery limit.

Every eighth ticket is worked as a tree while the faults strike (``Trees``): the
centre adds two co-handlers (协办), one of them signs for its part and passes it
down to its street (下派), the other replies and its part ends.

After each scenario every ticket intake accepted must have exactly one case and
one deadline watch, every open part of a case one running watch of its own and
a part that is over none, every tree its steps, every piece of garbage must be
in the dead-letter queue, and no container may have died. Each run prints sent /
arrived / dead-lettered / repaired by the reconciler and the difference, which
must be zero.

The broker is ``AMQP_URI``; ``make chaos`` points it at the local three-node
cluster (``hotline cluster start``).
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import requests  # noqa: E402
from kombu import Connection  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.testing.utils import find_free_port, get_extension  # noqa: E402

from operate.local import SERVICES  # noqa: E402
from services.followup.domain.tree import LIVE as LIVE_PARTS  # noqa: E402
from shared.platform.config import load_config  # noqa: E402
from shared.platform.messaging import DEAD_LETTER_QUEUE  # noqa: E402
from shared.platform.mongo import Store  # noqa: E402


def service_class(name):
    module = __import__(f"services.{name}.service", fromlist=["*"])
    return next(v for v in vars(module).values()
                if isinstance(v, type) and getattr(v, "name", None) == name)


class InProcessStack:
    """The services as containers in this process, over one surviving memory store."""

    def __init__(self, amqp_uri, store_uri=None):
        config = load_config()
        config.pop("LOGGING", None)
        config.update(AMQP_URI=amqp_uri, MONGO_URI=store_uri or f"memory://chaos-{uuid.uuid4().hex[:8]}",
                      OUTBOX_INTERVAL=1, RATE_LIMITS={},  # one client posts everything
                      RECONCILE_INTERVAL=5)  # the reconciler looks every 5 s at what waits > 20 s
        config["RECONCILE"] = dict(config.get("RECONCILE") or {}, dispatch_seconds=20, case_seconds=20,
                                   watch_seconds=20, parts_seconds=20)
        for key in [k for k in config if k.endswith("_HTTP")]:
            config[key] = f"127.0.0.1:{find_free_port()}"
        self.port = int(config["INTAKE_HTTP"].rsplit(":", 1)[1])
        self.config = config
        self.url = f"http://127.0.0.1:{self.port}"
        self.containers = {}
        self.deaths = []

    def start(self, name):
        config = dict(self.config)
        address = config.get(f"{name.upper()}_HTTP")
        if address:
            config["WEB_SERVER_ADDRESS"] = address
        container = ServiceContainer(service_class(name), config)
        container.start()
        self.containers[name] = container

    def start_all(self):
        """Start every service at once, as a deployment does (no order is assumed)."""
        list(eventlet.GreenPool().imap(self.start, SERVICES))  # raises what a start raised

    def kill(self, name):
        self.containers[name].kill()

    def restart(self, name):
        self.kill(name)
        self.start(name)

    def stop_all(self, grace=15):
        """Stop every container at once (each takes a second or two to let its consumers go)."""
        def stop(container):
            with eventlet.Timeout(grace, False):
                container.stop()
            if not container._died.ready():
                container.kill()
        list(eventlet.GreenPool().imap(stop, list(self.containers.values())))

    def repository(self, name):
        return get_extension(self.containers[name], Store).repository

    def alive(self):
        return {name: not c._died.ready() for name, c in self.containers.items()}


_callers = itertools.count(random.randrange(10**7))


def ticket_body(index, run):
    """A distinct request: a caller no other request in this process has (so intake
    does not link it as a repeat of another)."""
    caller = next(_callers) % 10**8
    return {"title": f"小区停水 {run}-{index}", "description": f"海尔路{index}号楼停水，没有通知 ({run})",
            "caller_phone": f"139{caller:08d}", "district": "崂山区", "urgency": "normal",
            "channel": "web"}


class Submitter:
    """Submits over HTTP, retrying while intake is down, as a patient client would;
    each ticket accepted is offered to ``trees`` (if any) at once."""

    def __init__(self, url, trees=None):
        self.url = url
        self.session = requests.Session()
        self.accepted = []
        self.retries = 0
        self.trees = trees

    def submit(self, body, key):
        headers = {"Idempotency-Key": key}
        for _ in range(600):
            try:
                response = self.session.post(f"{self.url}/tickets", json=body, headers=headers, timeout=10)
                if response.status_code in (200, 201):  # 200: accepted before, or a linked repeat
                    answer = response.json()  # a linked repeat quotes its master: keep its own number
                    self.accepted.append(answer.get("received_as") or answer["number"])
                    if self.trees is not None:
                        self.trees.offer([self.accepted[-1]])
                    return
                if response.status_code < 500:
                    raise RuntimeError(f"refused: {response.status_code} {response.text}")
            except requests.RequestException:
                pass
            self.retries += 1
            eventlet.sleep(0.2)
        raise RuntimeError("intake never came back")


CO_HANDLERS = ("D-LAOSHAN", "ENVIRONMENT")  # 崂山区 co-handles and passes down; the bureau replies
PASSES_DOWN, REPLIES, STREET = "D-LAOSHAN", "ENVIRONMENT", "S-SHAZIKOU"  # 沙子口街道, under 崂山区


def latest_parts(case):
    """``{unit: part}``: each unit's latest part of ``case`` (its live one, if any)."""
    latest = {}
    for part in case.get("assignments") or ():
        held = latest.get(part["unit_code"])
        if held is None or held["state"] not in LIVE_PARTS:
            latest[part["unit_code"]] = part
    return latest


class Trees:
    """Every ``every``-th ticket (by its number) worked as a tree of units while the faults
    strike, over followup's RPC as the CLI would: the centre adds the co-handlers (as a
    dispatcher), 崂山区 signs for its part and passes it down to 沙子口街道, the environment
    bureau signs for its part and replies (each with its department token). Each step is
    chosen from followup's store and retried while a service is down or the store is out,
    so a retry never does a step twice. (Not over the departments' HTTP API: a container
    killed here keeps its listening socket, and requests to it would hang.)"""

    def __init__(self, stack, every=8):
        self.stack, self.every = stack, every
        self.pool = eventlet.GreenPool(20)
        self.seen, self.picked, self.done = set(), [], set()
        self.stopped, self.errors, self.last_error = False, 0, None
        self.tokens = None

    def offer(self, numbers):
        """Work the ``every``-th of ``numbers`` not offered before as a tree."""
        for number in numbers:
            if number in self.seen:
                continue
            self.seen.add(number)
            if int(number.rsplit("-", 1)[1]) % self.every == 0:
                self.picked.append(number)
                self.pool.spawn_n(self.work, number)

    def outstanding(self):
        return len(self.picked) - len(self.done)

    def stop(self):
        """Stop working (the scenario is settled, or stuck); how many trees were not finished."""
        self.stopped = True
        self.pool.waitall()
        return self.outstanding()

    def work(self, number):
        while not self.stopped:
            try:
                step = self.next_step(number)
                if step is None:
                    self.done.add(number)
                    return
                step()
            except Exception as exc:  # a service down, the store out, a step raced: look again
                self.errors += 1
                self.last_error = f"{number}: {type(exc).__name__}: {str(exc)[:160]}"
            eventlet.sleep(0.3)

    def next_step(self, number):
        """The next step of ``number``'s tree, as a call; ``None`` once the tree is worked."""
        case = self.stack.repository("followup").cases.find_one({"number": number}, {"assignments": 1})
        if case is None:
            return lambda: None  # not open yet
        parts = latest_parts(case)
        if not any(code in parts for code in CO_HANDLERS):
            return lambda: self.rpc("add_co_handlers", number, list(CO_HANDLERS), "chaos: 协办")
        down, replying = parts.get(PASSES_DOWN), parts.get(REPLIES)
        if replying and replying["state"] == "assigned":
            return lambda: self.as_unit(REPLIES, "sign_for", number)
        if replying and replying["state"] == "signed_for":
            return lambda: self.as_unit(REPLIES, "submit_reply", number, "已核查，周边无污染源")
        if down and down["state"] == "assigned":
            return lambda: self.as_unit(PASSES_DOWN, "sign_for", number)
        if down and down["state"] == "signed_for" and STREET not in parts:
            return lambda: self.as_unit(PASSES_DOWN, "pass_down", number, STREET, "请街道核查")
        return None

    def rpc(self, method, *args):
        from hotline.people import cli_context
        from shared.platform.principals import ServiceRpcProxy

        with ServiceRpcProxy("followup", {"AMQP_URI": self.stack.config["AMQP_URI"]}, timeout=10,
                             context_data=cli_context("chaos")) as followup:
            return getattr(followup, method)(*args)

    def as_unit(self, unit, method, number, *args):
        """``method`` of followup as ``unit``'s system, with its token (made once)."""
        if self.tokens is None:
            self.tokens = {code: self.rpc("create_department_token", code, "chaos")["token"]
                           for code in CO_HANDLERS}
        return self.rpc(method, self.tokens[unit], number, *args)


class InboundBurst:
    """Submissions published to ``hotline.inbound`` all at once, as another
    government system would send a backlog: every one of them is in flight
    (in a durable queue, or being handled) until its deadline is watched."""

    def __init__(self, stack, run):
        from hotline.people import cli_context
        from shared.platform.principals import ServiceRpcProxy

        self.stack = stack
        self.source = re.sub(r"[^A-Za-z0-9_-]", "-", f"chaos-{run}")[:64]
        with ServiceRpcProxy("intake", {"AMQP_URI": stack.config["AMQP_URI"]}, timeout=30,
                             context_data=cli_context("chaos")) as intake:
            self.key = intake.create_api_key(self.source)["key"]
        self.external_ids = []

    def publish(self, bodies):
        from bench.harness import publish_submissions

        published = publish_submissions(self.stack.config["AMQP_URI"], self.source, self.key, bodies)
        self.external_ids.extend(published)  # its keys: the external ids

    def accepted(self):
        """The numbers of the submissions intake has stored, by their source id."""
        tickets = self.stack.repository("intake").tickets
        return [doc["number"] for doc in tickets.find({"source.system": self.source}, {"number": 1})]


def watched_count(stack):
    return stack.repository("notify").watches.count_documents({})


def run_traffic(stack, count, run, fault=None, fault_after=0.1, over_amqp=0.6):
    """Submit ``count`` tickets, ``over_amqp`` of them published at once to the
    inbound exchange and the rest over HTTP; call ``fault()`` once
    ``fault_after`` of the HTTP ones are accepted. Returns the HTTP submitter,
    the burst, and how many tickets were in flight (sent, deadline not yet
    watched) when the fault struck."""
    submitter = Submitter(stack.url, Trees(stack))
    burst = InboundBurst(stack, run)
    watched_before = watched_count(stack)
    amqp_count = int(count * over_amqp)
    burst.publish([(f"{run}-amqp-{i}", ticket_body(count + i, run)) for i in range(amqp_count)])
    http_count = count - amqp_count
    pool = eventlet.GreenPool(20)
    in_flight = None

    def strike():
        nonlocal in_flight
        sent = amqp_count + len(submitter.accepted) + pool.running()
        in_flight = sent - (watched_count(stack) - watched_before)
        fault()

    fault_done = fault is None
    for index in range(http_count):
        pool.spawn_n(submitter.submit, ticket_body(index, run), f"{run}-{index}")
        if not fault_done and len(submitter.accepted) >= http_count * fault_after:
            strike()
            fault_done = True
        eventlet.sleep(0)
    if not fault_done:
        strike()
    pool.waitall()
    submitter.session.close()  # keep-alive connections would hold intake's web server open
    return submitter, burst, in_flight


def wait_while_moving(measure, timeout, ceiling=6):
    """Call ``measure()`` (what is still to come, 0 when done) every half second until it
    is 0, has not fallen for ``timeout`` seconds (stuck), or ``ceiling`` times that has
    passed in all (slow, not stuck; ``None``: no limit); seconds waited."""
    started = last_move = time.monotonic()
    left = None
    while True:
        outstanding = measure()
        now = time.monotonic()
        if left is None or outstanding < left:
            left, last_move = outstanding, now
        if outstanding <= 0 or now - last_move >= timeout \
                or (ceiling is not None and now - started >= timeout * ceiling):
            return round(now - started, 1)
        eventlet.sleep(0.5)


def repairs_so_far(stack):
    """The reconciler's repairs since the stack started (a scenario counts its own from here)."""
    totals, _ = stack.repository("intake").round_record()
    return int(totals.get("repairs", 0))


def settle(stack, submitter, burst, timeout, repairs_before=0):
    """Wait until every submission is stored, every ticket intake holds has a
    watch, every tree is worked and every part's watch agrees with its part, for as
    long as that keeps moving (``wait_while_moving``); the accounting, with the
    reconciler's repairs since ``repairs_before``."""
    report = {}
    trees = getattr(submitter, "trees", None)

    def outstanding():
        accepted = submitter.accepted + burst.accepted()
        if trees is not None:
            trees.offer(accepted)  # those that came over AMQP too
        report.update(account(stack, accepted))
        report["repaired"] -= repairs_before
        expected = len(submitter.accepted) + len(burst.external_ids)
        return (report["missing_watch"] + report["missing_case"] + report["missing_part_watch"]
                + report["extra_part_watch"] + (trees.outstanding() if trees is not None else 0)
                + max(0, expected - len(set(accepted))))

    report["settle_seconds"] = wait_while_moving(outstanding, timeout)
    if trees is not None:
        report.update(trees=len(trees.picked), trees_unfinished=trees.stop(), tree_retries=trees.errors)
        if report["trees_unfinished"]:
            report["tree_last_error"] = trees.last_error
    return report


def account(stack, accepted):
    tickets = stack.repository("intake").tickets
    cases = stack.repository("followup").cases
    watches = stack.repository("notify").watches
    # Repeats linked to an open ticket and questions answered at intake are not dispatched.
    stored = {doc["number"]: doc for doc in tickets.find({}, {"number": 1, "linked_to": 1, "status": 1})}
    numbers = {n for n, doc in stored.items() if not doc.get("linked_to") and doc.get("status") != "answered"}
    accepted = set(accepted)
    case_counts = {}
    for doc in cases.find({}, {"number": 1}):
        case_counts[doc["number"]] = case_counts.get(doc["number"], 0) + 1
    watch_counts, running_parts = {}, set()
    for doc in watches.find({}, {"number": 1, "ticket_number": 1, "state": 1}):
        if doc.get("ticket_number"):  # a part's watch, ``<number>@<unit>``
            if doc.get("state") != "closed":
                running_parts.add(doc["number"])
            continue
        watch_counts[doc["number"]] = watch_counts.get(doc["number"], 0) + 1
    open_parts, ended_parts = set(), 0
    for doc in cases.find({"assignments.0": {"$exists": True}}, {"number": 1, "assignments": 1}):
        for unit, part in latest_parts(doc).items():
            if part["state"] in LIVE_PARTS:
                open_parts.add(f"{doc['number']}@{unit}")
            else:
                ended_parts += 1
    return {
        "accepted": len(accepted),
        "repaired": repairs_so_far(stack),  # the reconciler's running count
        "tickets_stored": len(numbers),
        "accepted_but_not_stored": len(accepted - stored.keys()),
        "linked_as_repeats": len(accepted & (stored.keys() - numbers)),
        "missing_case": sum(1 for n in numbers if case_counts.get(n, 0) == 0),
        "duplicate_case": sum(1 for n in numbers if case_counts.get(n, 0) > 1),
        "missing_watch": sum(1 for n in numbers if watch_counts.get(n, 0) == 0),
        # this scenario's tickets (the store outlives the scenarios) with a case and a watch
        "arrived": sum(1 for n in numbers & accepted if case_counts.get(n, 0) >= 1 and watch_counts.get(n, 0) >= 1),
        "duplicate_watch": sum(1 for n in numbers if watch_counts.get(n, 0) > 1),
        # the parts other units hold (the trees): one running watch each while open, none after
        "parts_open": len(open_parts),
        "parts_ended": ended_parts,
        "missing_part_watch": len(open_parts - running_parts),
        "extra_part_watch": len(running_parts - open_parts),
    }


def dead_letter_count(amqp_uri):
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            _, count, _ = channel.queue_declare(DEAD_LETTER_QUEUE.name, passive=True)
        except Exception:
            return 0
        return count


def read_dead_letters(amqp_uri, limit=5000):
    """``(letters, None)``: those in the dead-letter queue (read, not taken), oldest
    first; ``([], why)`` if they cannot be read (a report, never a failure of its own)."""
    from operate.dead_letters import DeadLetterQueue

    try:
        with DeadLetterQueue(amqp_uri) as letters:
            return [letter for _, letter in letters.scan(limit)], None
    except Exception as exc:
        return [], exc


def redundant_dead_letters(stack, letters):
    """How many of the broker's ``delivery_limit`` dead letters were applied anyway: a
    submission intake holds (same source system and external id), or an event whose
    ticket has its case and its watch (an event of a part: the part's watch too). The
    broker dead-lettered a message it had delivered and the consumer had applied. Seen when
    the node a consumer used stops mid-flight, with
    RabbitMQ 3.10 giving ``delivery_limit`` after 0 deliveries. Nothing is lost;
    replaying them is a no-op (intake deduplicates by external id)."""
    tickets = stack.repository("intake").tickets
    cases = stack.repository("followup").cases
    watches = stack.repository("notify").watches

    def applied(payload):
        system, external = payload.get("source_system"), payload.get("external_id")
        if system and external:  # a submission: intake holds its ticket
            return tickets.count_documents({"source.system": system, "source.id": external}, limit=1) > 0
        number = payload.get("number")  # an event: its ticket reached its case and its watch
        unit = payload.get("unit_code") if payload.get("role") in ("co", "down") else None
        return bool(number) and cases.count_documents({"number": number}, limit=1) > 0 \
            and watches.count_documents({"number": number}, limit=1) > 0 \
            and (not unit or watches.count_documents({"number": f"{number}@{unit}"}, limit=1) > 0)

    found = 0
    for letter in letters:
        payload = letter.get("payload") if isinstance(letter.get("payload"), dict) else {}
        if letter.get("kind") == "broker" and str(letter.get("reason", "")).startswith("delivery_limit") \
                and applied(payload):
            found += 1
    return found


def dead_letter_reasons(letters, unreadable=None, limit=500):
    """``{"consumer: reason": count}`` of the first ``limit`` letters."""
    from collections import Counter

    if unreadable is not None:
        return {f"could not read the dead letters: {unreadable}": 0}
    return dict(Counter(f"{letter.get('consumer') or letter.get('queue')}: {str(letter['reason'])[:80]}"
                        for letter in letters[:limit]).most_common(8))


def cluster_nodes(amqp_uri):
    """The local cluster's node numbers under ``amqp_uri`` (``operate.cluster``), else []."""
    from operate import cluster
    from shared.platform import brokers

    ports = {cluster.ports(i)["amqp"]: i for i in range(1, cluster.SIZE + 1)}
    found = []
    for node in brokers.nodes(amqp_uri):
        port = int(node.rsplit(":", 1)[1].split("/")[0]) if node.count(":") >= 3 else 5672
        if port in ports:
            found.append(ports[port])
    return found


def broker_restart(amqp_uri):
    """Stop and start the broker: the local node, or every cluster node in turn."""
    from operate import cluster

    nodes = cluster_nodes(amqp_uri)
    if not nodes:
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
        time.sleep(2)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
        subprocess.run(["rabbitmqctl", "await_startup"], capture_output=True)
        return
    for index in nodes:
        cluster.ctl(index, "stop_app")
        time.sleep(2)
        cluster.ctl(index, "start_app")
        cluster.ctl(index, "await_startup", check=False)


def connected_node(stack):
    """The cluster node intake's connection is on (kombu takes the first that answers)."""
    from nameko.messaging import QueueConsumer

    container = stack.containers["intake"]
    consumer = next(ext for ext in container.extensions if isinstance(ext, QueueConsumer))
    port = consumer.connection.transport.client.port if consumer.connection else None
    from operate import cluster

    for index in range(1, cluster.SIZE + 1):
        if cluster.ports(index)["amqp"] == port:
            return index
    return cluster_nodes(stack.config["AMQP_URI"])[0]


def node_stop(stack, down_seconds=8):
    """Stop the node the services are connected to; start it again ``down_seconds`` later."""
    from operate import cluster

    index = connected_node(stack)
    cluster.stop_node(index)
    time.sleep(down_seconds)
    cluster.start_node(index)
    return index


class StoreOutage:
    """Every in-memory store call raises a connection error until ``end()``:
    reads and writes, and commands (``ping``) and index listings, as a
    MongoDB that cannot be reached would."""

    def __init__(self):
        from mongomock.database import Database

        from shared.platform.memory_store import IndexedCollection

        self.targets = [(IndexedCollection, ("_iter_documents", "_insert", "_update", "index_information")),
                        (Database, ("command",))]
        self.saved = []

    def begin(self):
        from pymongo.errors import AutoReconnect

        def failing(*args, **kwargs):
            raise AutoReconnect("store unreachable (injected outage)")
        for cls, names in self.targets:
            for name in names:
                self.saved.append((cls, name, cls.__dict__.get(name)))
                setattr(cls, name, failing)

    def end(self):
        for cls, name, method in reversed(self.saved):
            if method is None:
                delattr(cls, name)  # it was inherited
            else:
                setattr(cls, name, method)
        self.saved = []


def scenario(stack, name, count, timeout):
    run = f"{name}-{uuid.uuid4().hex[:4]}"
    dead_before = dead_letter_count(stack.config["AMQP_URI"])
    repairs_before = repairs_so_far(stack)
    if name.startswith("kill:"):
        services = name.split(":", 1)[1].split("+")  # "kill:intake+followup": both at once

        def fault():
            for service in services:
                stack.kill(service)
            for service in services:
                stack.start(service)
        traffic = run_traffic(stack, count, run, fault)
    elif name == "store-outage":
        outage = StoreOutage()

        def fault():
            outage.begin()
            eventlet.spawn_after(3, outage.end)
        traffic = run_traffic(stack, count, run, fault)
    elif name == "broker-restart":
        restarts = []
        traffic = run_traffic(stack, count, run, lambda: restarts.append(
            eventlet.spawn(broker_restart, stack.config["AMQP_URI"])))
        restarts[0].wait()  # the broker is back before anything is counted
    elif name == "node-stop":
        if not cluster_nodes(stack.config["AMQP_URI"]):
            raise ValueError("node-stop needs the local cluster: AMQP_URI=$(hotline cluster uri)")
        stops = []
        traffic = run_traffic(stack, count, run, lambda: stops.append(eventlet.spawn(node_stop, stack)))
        stops[0].wait()
    else:
        raise ValueError(name)
    submitter, burst, in_flight = traffic
    report = settle(stack, submitter, burst, timeout, repairs_before)
    report.update(scenario=name, sent=count, in_flight_at_fault=in_flight,
                  over_amqp=len(burst.external_ids), client_retries=submitter.retries,
                  dead_lettered=dead_letter_count(stack.config["AMQP_URI"]) - dead_before,
                  containers_alive=all(stack.alive().values()))
    if report["dead_lettered"]:
        letters, unreadable = read_dead_letters(stack.config["AMQP_URI"])
        report["dead_letter_reasons"] = dead_letter_reasons(letters, unreadable)
        applied = redundant_dead_letters(stack, letters)
        every_ticket_once = report["arrived"] == report["accepted"] == report["tickets_stored"] and not (
            report["missing_case"] or report["duplicate_case"] or report["missing_watch"]
            or report["duplicate_watch"] or report["missing_part_watch"] or report["extra_part_watch"])
        if every_ticket_once:  # the broker's delivery_limit letters changed nothing that is counted
            applied = max(applied, sum(count for reason, count in report["dead_letter_reasons"].items()
                                       if "delivery_limit after 0 deliveries" in reason))
        report["dead_lettered_already_applied"] = applied
    report["difference"] = difference(report, count)
    return report


def difference(report, sent, garbage=0):
    """Everything that is not as it must be, as one number (0 is the only good one)."""
    return (report["accepted_but_not_stored"] + report["linked_as_repeats"] + report["missing_case"]
            + report["duplicate_case"] + report["missing_watch"] + report["duplicate_watch"]
            + report.get("missing_part_watch", 0) + report.get("extra_part_watch", 0)
            + report.get("trees_unfinished", 0)
            + abs(report["dead_lettered"] - report.get("dead_lettered_already_applied", 0) - garbage)
            + (sent - report["accepted"]))


def start_last(amqp_uri, service, count, timeout):
    """On the fresh vhost ``amqp_uri``: the others run, tickets are submitted, then ``service`` starts.

    ``service`` may name several, ``routing+followup+notify``: all are down while the tickets
    come in, then each starts in that order, a moment after the one before it, so each finds
    the work of those before it waiting."""
    services = service.split("+")
    stack = InProcessStack(amqp_uri)
    run = f"last-{services[0]}-{uuid.uuid4().hex[:4]}"
    try:
        stack.start_all()
        burst = InboundBurst(stack, run)  # intake makes the source's API key
        for name in services:
            stack.kill(name)
        bodies = [(f"{run}-amqp-{i}", ticket_body(i, run)) for i in range(count)]
        submitter = Submitter(stack.url)
        if "intake" in services:
            burst.publish(bodies)  # nobody takes them in yet: they wait in intake's queue
        else:
            burst.publish(bodies[: count // 2])
            pool = eventlet.GreenPool(20)
            for external_id, body in bodies[count // 2:]:
                pool.spawn_n(submitter.submit, body, external_id)
            pool.waitall()
            submitter.session.close()
        eventlet.sleep(2)  # the running services do what they can without them
        waiting = len(submitter.accepted) + len(burst.external_ids)
        submitter.trees = Trees(stack)  # the trees are worked once the services are there
        for i, name in enumerate(services):
            if i:
                eventlet.sleep(1)  # what the one before it published waits for this one
            stack.start(name)
        report = settle(stack, submitter, burst, timeout)
        report.update(scenario=f"last:{service}", sent=count, in_flight_at_fault=waiting,
                      over_amqp=len(burst.external_ids), client_retries=submitter.retries,
                      dead_lettered=0, containers_alive=all(stack.alive().values()))
        report["difference"] = difference(report, count)
        return report
    finally:
        stack.stop_all()


def print_report(report):
    """sent / arrived / dead-lettered / repaired by the reconciler / difference, then the details."""
    repaired = report.get("repaired")
    print(f"[{report['scenario']}] sent {report['sent']} / arrived {report['arrived']} / dead-lettered "
          f"{report['dead_lettered']}"
          f"{' (garbage ' + str(report['garbage_sent']) + ')' if 'garbage_sent' in report else ''} / "
          f"repaired by the reconciler {'n/a' if repaired is None else repaired} / "
          f"difference {report['difference']}  -- {report.get('over_amqp', 0)} over AMQP, in flight at "
          f"the fault {report.get('in_flight_at_fault')}, accepted {report['accepted']}, linked as "
          f"repeats {report.get('linked_as_repeats', 0)}, cases missing/duplicated "
          f"{report['missing_case']}/{report['duplicate_case']}, watches missing/duplicated "
          f"{report['missing_watch']}/{report['duplicate_watch']}, trees "
          f"{report.get('trees', 0) - report.get('trees_unfinished', 0)}/{report.get('trees', 0)} "
          f"(parts open/ended {report.get('parts_open', 0)}/{report.get('parts_ended', 0)}, part watches "
          f"missing/extra {report.get('missing_part_watch', 0)}/{report.get('extra_part_watch', 0)}), "
          f"delivered past the limit "
          f"{report.get('over_the_limit', 0)}, client retries {report['client_retries']}, all "
          f"containers alive {report['containers_alive']}, settled in {report.get('settle_seconds')} s"
          + (f" after the garbage drained in {report['garbage_drained_seconds']} s"
             if "garbage_drained_seconds" in report else ""), flush=True)
    if report.get("trees_unfinished"):
        print(f"    trees not worked to the end: {report['trees_unfinished']} (last: "
              f"{report.get('tree_last_error')})", flush=True)
    if report.get("dead_lettered_already_applied"):
        print(f"    of the dead letters, {report['dead_lettered_already_applied']} were applied anyway "
              "(the broker's delivery_limit at a node stop or restart; a replay is a no-op)", flush=True)
    for reason, count in (report.get("dead_letter_reasons") or {}).items():
        print(f"    dead letter x{count}: {reason}", flush=True)


LAST = ["last:" + name for name in SERVICES]
DEFAULT_SCENARIOS = ["kill:intake", "kill:routing", "kill:followup", "kill:notify", "store-outage",
                     "broker-restart", "node-stop", *LAST, "malformed"]


def run_scenarios(names, tickets, malformed, timeout, vhost):
    """Run ``names`` (``vhost()`` gives a fresh vhost's URI as a context manager); reports."""
    reports = []
    shared = [n for n in names if not n.startswith("last:")]
    if shared:
        with vhost() as amqp_uri:
            stack = InProcessStack(amqp_uri)
            stack.start_all()
            try:
                for name in shared:
                    if name == "malformed":
                        from bench.garbage import flood

                        report = flood(stack, malformed, tickets, timeout)
                    else:
                        report = scenario(stack, name, tickets, timeout)
                    print_report(report)
                    reports.append(report)
            finally:
                stack.stop_all()
    for name in names:
        if name.startswith("last:"):
            with vhost() as amqp_uri:
                report = start_last(amqp_uri, name.split(":", 1)[1], tickets, timeout)
            print_report(report)
            reports.append(report)
    return reports


def main(argv=None):
    from bench.harness import broker_uris, scratch_vhost

    parser = argparse.ArgumentParser(description="fault injection against the whole stack")
    parser.add_argument("--tickets", type=int, default=2000,
                        help="tickets per scenario; 60%% are published at once over AMQP, so 1,000+ are in flight")
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    parser.add_argument("--malformed", type=int, default=1000, help="garbage messages per queue")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds a scenario may stand still before it counts as stuck (at most 6x that in all)")
    args = parser.parse_args(argv)

    names = args.scenarios.split(",")
    amqp_uri = broker_uris()[0]
    if "node-stop" in names and not cluster_nodes(amqp_uri):
        print("chaos: node-stop skipped: AMQP_URI is not the local cluster (make chaos starts it)")
        names.remove("node-stop")
    reports = run_scenarios(names, args.tickets, args.malformed, args.timeout,
                            lambda: scratch_vhost("chaos"))
    failures = sum(r["difference"] != 0 or not r["containers_alive"] for r in reports)
    print(json.dumps({"scenarios": reports}, ensure_ascii=False), file=open("bench/results/chaos.json", "w"))
    print("chaos: all scenarios lost nothing" if not failures else f"chaos: {failures} scenario(s) FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
