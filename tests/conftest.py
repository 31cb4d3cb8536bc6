"""Test fixtures shared by unit, service and stack tests.

Where the broker and the store come from, in order of preference:

* RabbitMQ: ``AMQP_URI`` (and ``RABBIT_API_URI`` for its management API) when
  set; a ``rabbitmq:3-management`` container when a Docker daemon answers;
  otherwise the local broker at 127.0.0.1:5672.
* MongoDB: ``MONGO_URI`` when set; a ``mongo:7`` container when Docker
  answers; otherwise the in-memory store (mongomock).

The choice is printed in the test report header and again at the end.
"""
import os

import eventlet


def _execnet_on_real_threads():
    """Under pytest-xdist the worker talks to the controller through execnet, whose
    thread model imports ``threading`` and friends when it needs a lock, a queue or a
    thread: once eventlet has patched them, its real reader thread and the green main
    thread deadlock. It is given the unpatched modules."""
    from eventlet import patcher
    from execnet import gateway_base

    real = {name: patcher.original(name) for name in ("threading", "_thread", "queue", "time")}
    model = gateway_base.ThreadExecModel
    model.queue = property(lambda self: real["queue"])
    model.get_ident = lambda self: real["_thread"].get_ident()
    model.sleep = lambda self, delay: real["time"].sleep(delay)
    model.start = lambda self, func, args=(): real["_thread"].start_new_thread(func, args)
    model.Lock = lambda self: real["threading"].RLock()
    model.RLock = lambda self: real["threading"].RLock()
    model.Event = lambda self: real["threading"].Event()


if os.environ.get("PYTEST_XDIST_WORKER"):
    _execnet_on_real_threads()
eventlet.monkey_patch()  # noqa: E402 -- nameko's fixtures need a patched world

import contextlib  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

# Every indexed answer of the in-memory store is checked against a full scan
# (inherited by the stack tests' service processes).
os.environ.setdefault("HOTLINE_MEMORY_STORE_CHECK", "1")
# Tests post many tickets from one address and reuse phones: the rate limits are
# off unless a test sets its own (tests/*/test_*limits*). Stack processes inherit this.
for _limit in ("CLIENT", "SUBMIT", "PHONE", "REFUSED"):
    os.environ.setdefault(f"RATE_LIMIT_{_limit}", "")
from urllib.parse import urljoin, urlparse  # noqa: E402

import pytest  # noqa: E402

from shared.platform.config import load_config  # noqa: E402
from shared.platform.mongo import describe  # noqa: E402

_backends = {}
_containers = []


# -- ports for the tests' own servers ------------------------------------------------
# nameko's find_free_port asks the kernel for an ephemeral port and closes it, so the
# port is only free until someone else takes it. With two xdist workers, each starting
# servers and stacks and opening many outgoing connections (whose ports come from the
# same ephemeral range), a port handed to one worker was sometimes bound by the other
# first ("Address already in use"). Each process takes its ports from a range of its own,
# below the kernel's ephemeral range (32768-60999) and clear of RabbitMQ's (5672,
# 15672, 25672 and the cluster's 5701-5703, 15701-15703, 25701-25703), in turn.
PORTS_PER_PROCESS = 2000
_FIRST_PORT = 26000


def _port_range():
    # Two suites run side by side on one machine (one per work tree) each name their own
    # range: HOTLINE_TEST_PORTS=16000 gives that run 16000-16999 (avoid 15672 and 25672).
    own = os.environ.get("HOTLINE_TEST_PORTS", "")
    if own.isdigit():
        return (int(own), int(own) + 1000)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0
    start = _FIRST_PORT + index * PORTS_PER_PROCESS
    return (start, start + PORTS_PER_PROCESS) if start + PORTS_PER_PROCESS <= 32768 else None


_next_port = {}


def find_free_port(host="127.0.0.1"):
    """A port no other test process will be given, free now; the next one each call."""
    import socket

    span = _port_range()
    if span is None:  # more workers than ranges: the kernel's choice, as nameko makes it
        return _nameko_find_free_port(host)
    start, end = span
    for _ in range(end - start):
        port = _next_port.get(host, start)
        _next_port[host] = start + (port + 1 - start) % (end - start)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {start}-{end}")


import nameko.testing.utils as _nameko_testing_utils  # noqa: E402

_nameko_find_free_port = _nameko_testing_utils.find_free_port
_nameko_testing_utils.find_free_port = find_free_port  # nameko's web_config imports it when called


def _docker_answers():
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


def _choose_rabbit(config):
    uri = os.environ.get("AMQP_URI")
    if uri:
        parts = urlparse(uri)
        api = os.environ.get("RABBIT_API_URI") or (
            f"http://{parts.username or 'guest'}:{parts.password or 'guest'}@{parts.hostname}:15672")
        return uri, api, f"RabbitMQ from AMQP_URI ({parts.hostname}:{parts.port or 5672})"
    if _backends["docker"]:
        from testcontainers.rabbitmq import RabbitMqContainer

        container = RabbitMqContainer("rabbitmq:3-management").with_exposed_ports(5672, 15672)
        container.start()
        _containers.append(container)
        host = container.get_container_host_ip()
        amqp = f"amqp://guest:guest@{host}:{container.get_exposed_port(5672)}/"
        api = f"http://guest:guest@{host}:{container.get_exposed_port(15672)}"
        return amqp, api, "RabbitMQ in a testcontainer"
    return (config.getoption("RABBIT_AMQP_URI"), config.getoption("RABBIT_API_URI"),
            "local RabbitMQ at 127.0.0.1:5672")


def _choose_mongo():
    uri = os.environ.get("MONGO_URI")
    if uri:
        return uri, f"{describe(uri)} (from MONGO_URI)"
    if _backends["docker"]:
        from testcontainers.mongodb import MongoDbContainer

        container = MongoDbContainer("mongo:7")
        container.start()
        _containers.append(container)
        uri = container.get_connection_url()
        return uri, f"{describe(uri)} (testcontainer)"
    return "memory://", "in-memory store (mongomock): no MONGO_URI and no Docker daemon"


def pytest_configure(config):
    _backends["docker"] = _docker_answers()
    amqp, api, rabbit_label = _choose_rabbit(config)
    config.option.RABBIT_AMQP_URI = amqp
    config.option.RABBIT_API_URI = api
    config.option.suppress_eventlet_notification = True
    mongo, mongo_label = _choose_mongo()
    _backends.update(amqp=amqp, rabbit_api=api, mongo=mongo, rabbit_label=rabbit_label,
                     mongo_label=mongo_label)


def tier_of(path, rootpath):
    """``unit``, ``service``, ``stack``, ``browser`` or ``chaos`` for a path under tests/."""
    parts = path.relative_to(rootpath).parts
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


_groups = {}


def xdist_group(nodeid, rootpath):
    """The worker group of a test under pytest-xdist (``make test`` runs ``-n 2``): tests
    that share processes run on one worker, so each stack and the browser start once.
    The browser tests share one workbench (a module with a stack of its own goes apart)
    and the chaos tests one cluster; the stack
    modules on a shared stack (``stack`` or ``another_stack``, tests/stack/conftest.py)
    run together, and any other stack module stays whole (its module-scoped stacks start
    once). Unit and service tests start their own containers: each goes anywhere."""
    path = nodeid.split("::", 1)[0]
    if path not in _groups:
        parts = Path(path).parts
        tier = parts[1] if len(parts) > 2 and parts[0] == "tests" else ""
        group = None
        if tier == "browser" and re.search(r"^\s+with running_stack\(", (rootpath / path).read_text(encoding="utf-8"),
                                           re.M):
            group = path  # a browser module on a stack of its own: it need not wait behind the workbench's
        elif tier in ("browser", "chaos"):
            group = tier
        elif tier == "stack":
            text = (rootpath / path).read_text(encoding="utf-8")
            if re.search(r"^def stack\(another_stack\)", text, re.M):
                group = "another_stack"
            elif re.search(r"^def stack\(", text, re.M) or not re.search(r"^def test_\w+\([^)]*\bstack\b", text, re.M):
                group = path  # a stack of its own, or none
            else:
                group = "stack"
        _groups[path] = group
    return _groups[path] or nodeid


# Modules whose tests change the machine's broker for everyone for a while: they must
# not run beside other tests (``make test`` runs them alone, after the rest, ``-m alone``).
# test_broker_heal stops RabbitMQ's dead-letter supervisor to see it brought back.
# Matched by file name, wherever under tests/ the module is moved.
ALONE = ("test_broker_heal.py",)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in ALONE:
            item.add_marker(pytest.mark.alone)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scheduling by scope, the scopes being ``xdist_group``'s: each
    whole group goes to one worker, the largest first. (``--dist loadgroup`` would do
    it with marks, but pytest-xdist 3.8 cannot rename pytest 9's node ids to carry them.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return xdist_group(nodeid, config.rootpath)

    return ByGroup(config, log)


def pytest_unconfigure(config):
    for container in _containers:
        container.stop()


def store_report():
    return [f"broker: {_backends['rabbit_label']}", f"store:  {_backends['mongo_label']}",
            f"docker: {'available' if _backends['docker'] else 'not available'}"]


def pytest_report_header(config):
    return store_report()


# -- no citizen's phone in any log ------------------------------------------------
# Every log line of the run -- this process's, and the stack processes' logs under
# the run's temporary folder -- is searched at the end for the phone numbers the
# tests give their citizens; one found in full fails the run.

PHONE_LITERAL = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_log_check = {}


def citizens_phones_in_tests():
    root = Path(__file__).resolve().parents[1]
    phones = set()
    for path in [*root.glob("tests/**/*.py"), *root.glob("examples/*.py"), root / "hotline" / "demo.py"]:
        phones.update(PHONE_LITERAL.findall(path.read_text(encoding="utf-8")))
    return phones


def pytest_sessionstart(session):
    basetemp = session.config._tmp_path_factory.getbasetemp()
    handler = logging.FileHandler(basetemp / "hotline-tests.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    _log_check.update(basetemp=basetemp, handler=handler)


def unmasked_phones_in_logs(basetemp, phones):
    found = []
    for path in sorted(basetemp.rglob("*.log")):
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                hits = phones.intersection(PHONE_LITERAL.findall(line))
                if hits:
                    found.append(f"{path.relative_to(basetemp)}:{number}: {line.strip()[:300]}")
    return found


def pytest_sessionfinish(session, exitstatus):
    if "basetemp" not in _log_check:
        return
    _log_check["handler"].flush()
    phones = citizens_phones_in_tests()
    found = unmasked_phones_in_logs(_log_check["basetemp"], phones)
    logs = list(_log_check["basetemp"].rglob("*.log"))
    _log_check["report"] = (f"logs:   {len(logs)} log file(s) searched for {len(phones)} test citizens' "
                            f"phones: {len(found)} line(s) with one in full")
    _log_check["found"] = found
    if found and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("backends used")
    for line in store_report():
        terminalreporter.write_line(line)
    if _log_check.get("report"):
        terminalreporter.write_line(_log_check["report"])
        for line in _log_check["found"][:20]:
            terminalreporter.write_line(f"  UNMASKED PHONE IN A LOG: {line}")


def uses_real_mongo():
    return not _backends["mongo"].startswith("memory://")


@pytest.fixture
def mongo_settings():
    """A store of the test's own: a fresh in-memory one, or fresh databases."""
    tag = uuid.uuid4().hex[:10]
    if uses_real_mongo():
        settings = {"MONGO_URI": _backends["mongo"], "MONGO_DB_PREFIX": f"test_{tag}_"}
    else:
        settings = {"MONGO_URI": f"memory://test-{tag}", "MONGO_DB_PREFIX": "hotline_"}
    yield settings
    if uses_real_mongo():
        from shared.platform.mongo import connect

        client = connect(settings["MONGO_URI"])
        for name in client.list_database_names():
            if name.startswith(settings["MONGO_DB_PREFIX"]):
                client.drop_database(name)


@pytest.fixture(scope="session")
def deletions(tmp_path_factory):
    """The run's deletions of vhosts and queues, per broker (``tests.vhosts.Deletions``),
    counted in the folder the run's processes share (an xdist worker's basetemp is in it)."""
    from tests.vhosts import Deletions

    basetemp = tmp_path_factory.getbasetemp()
    return Deletions(basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp)


@pytest.fixture(scope="session")
def vhost_pipeline(vhost_pipeline, deletions):
    """nameko's fresh vhosts, each deletion noted once it is done."""
    destroy = vhost_pipeline.destroy

    def destroy_and_note(vhost):
        try:
            destroy(vhost)
        finally:
            deletions.note("local")

    vhost_pipeline.destroy = destroy_and_note
    return vhost_pipeline


@pytest.fixture(scope="session")
def vhost_pool(request, rabbit_manager, deletions):
    """Vhosts the service tests reuse (tests/vhosts.py); says at the end how many were made."""
    from tests.vhosts import VhostPool

    uri = request.config.getoption("RABBIT_AMQP_URI")
    pool = VhostPool(rabbit_manager, uri, urlparse(uri).username, load_config(), deletions)
    yield pool
    pool.close()
    _backends["vhosts"] = pool.counts


@pytest.fixture
def rabbit_config(request, vhost_pipeline, vhost_pool):
    """nameko's ``rabbit_config``, on a clean vhost a test before used (tests/vhosts.py).
    nameko's own fresh vhost, deleted under the test's services as it ends, for a test
    marked ``fresh_vhost``, or for every test with ``HOTLINE_TEST_FRESH_VHOSTS=1``."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    fresh = os.environ.get("HOTLINE_TEST_FRESH_VHOSTS") or request.node.get_closest_marker("fresh_vhost")
    with vhost_pipeline.get() if fresh else vhost_pool.get(request.node.nodeid) as vhost:
        yield {"AMQP_URI": f"{uri.scheme}://{uri.netloc}/{vhost}", "username": uri.username, "vhost": vhost}


@pytest.fixture
def service_config(rabbit_config, mongo_settings, web_config):
    """The project's config.yaml, pointed at a throw-away vhost and store."""
    config = load_config()
    config.update(mongo_settings)
    config["AMQP_URI"] = rabbit_config["AMQP_URI"]
    config["WEB_SERVER_ADDRESS"] = web_config["WEB_SERVER_ADDRESS"]
    config["OUTBOX_INTERVAL"] = 1
    config["CONSUMER_WAKE_SECONDS"] = 0.1  # a service stops in 0.1-0.2 s, not 1-2 s
    # followup, notify and insight ask routing for its directory as they start, and their
    # stop waits for the answer: without routing, 5 s unless this says. 0.5 s was too short
    # for a routing stand-in on a loaded machine (a department it holds went unknown).
    config["DIRECTORY_ROUTING_TIMEOUT"] = 2
    config.pop("LOGGING", None)
    # Refusals re-route at once, as in a city that does not review them: the journeys written
    # before refusal review keep proving that mode; the tests of the review turn it on.
    # Most service tests run followup without intake: asking intake fails sooner than 3 s.
    config["FOLLOWUP"] = dict(config.get("FOLLOWUP") or {}, refusal_review=False, intake_timeout_seconds=0.5)
    # Most run intake without routing and followup: its first ticket would wait 2 s for
    # routing's catalogue and 2 s more for their highest numbers. The tests of those
    # answers set the production timeouts back (``INTAKE_WAITS``).
    config["INTAKE"] = dict(config.get("INTAKE") or {}, catalogue_rpc_timeout=0.3, number_fence_timeout=0.3)
    return config


# intake's production waits for routing's and followup's answers (config.yaml), for
# the tests whose services do answer: ``dict(config["INTAKE"], **INTAKE_WAITS)``.
INTAKE_WAITS = {"catalogue_rpc_timeout": 2, "number_fence_timeout": 2}


# The tiers whose tests declare queues on the machine's broker; the unit tests never do.
BROKER_TIERS = ("service", "stack", "browser", "chaos")


@pytest.fixture(scope="module", autouse=True)
def _dead_letter_supervisor_alive(request, deletions):
    """Before each module that uses a broker, bring back the broker's dead-letter
    supervisor if RabbitMQ 3.10's bug stopped it while earlier tests deleted their vhosts
    (``operate.cluster.heal_dead_letter_supervisor``); says so when it did. Each check is
    a ``rabbitmqctl eval`` (an Erlang VM started, 1-2 s): the machine's node is asked
    before the modules of the broker tiers, the cluster's nodes before the chaos modules,
    the only ones that use them; and a node is asked again only once the run has deleted
    something on it since (``tests.vhosts.Deletions``)."""
    from operate import cluster

    tier = tier_of(request.node.path, request.config.rootpath)
    nodes = []
    amqp = urlparse(_backends.get("amqp") or "")
    if tier in BROKER_TIERS and amqp.hostname in ("127.0.0.1", "localhost") and (amqp.port or 5672) == 5672:
        nodes.append(None)
    if tier == "chaos" and _cluster_started:
        nodes += [1, 2, 3]
    for node in nodes:
        if not deletions.since_last_asked("local" if node is None else "cluster", node):
            continue
        if cluster.heal_dead_letter_supervisor(node):
            print(f"\n[broker] RabbitMQ's dead-letter supervisor had stopped on "
                  f"{'the local node' if node is None else cluster.node_name(node)} "
                  "(rabbitmq-server#16652); restarted it", file=sys.stderr)
    yield


_cluster_started = []


class LocalCluster:
    """The three-node RabbitMQ cluster beside the machine's own node (``hotline cluster``)."""

    def __init__(self, deletions):
        from operate import cluster

        self.cluster = cluster
        self.deletions = deletions
        self.amqp_uri = cluster.start()
        _cluster_started.append(True)

    @contextlib.contextmanager
    def vhost(self):
        """A fresh vhost on the cluster; yields its failover AMQP URI."""
        from nameko.testing.rabbit import Client

        from shared.platform import brokers

        client = Client(self.cluster.management_uri())
        name = f"cluster_test_{uuid.uuid4().hex[:10]}"
        client.create_vhost(name)
        client.set_vhost_permissions(name, "guest", ".*", ".*", ".*")
        try:
            yield brokers.with_vhost(self.amqp_uri, name)
        finally:
            try:
                client.delete_vhost(name)
            finally:
                self.deletions.note("cluster")


@pytest.fixture(scope="session")
def rabbit_cluster(deletions):
    """The local three-node cluster, started if it is not running (``.ci/run`` starts it first)."""
    import shutil

    if shutil.which("rabbitmq-server") is None or os.geteuid() != 0:
        pytest.skip("a local RabbitMQ cluster needs Debian's rabbitmq-server and root")
    return LocalCluster(deletions)


@pytest.fixture()
def web_session(web_config_port):
    """nameko's fixture imports werkzeug.urls.url_join, gone in werkzeug 3."""
    from requests import Session

    class WebSession(Session):
        def request(self, method, url, *args, **kwargs):
            url = urljoin(f"http://127.0.0.1:{web_config_port}/", url)
            return Session.request(self, method, url, *args, **kwargs)

    with WebSession() as session:
        yield session
