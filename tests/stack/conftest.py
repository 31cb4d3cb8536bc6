"""The whole stack: every service as separate processes, real broker."""
import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from operate.local import SERVICES, http_addresses, start_services, stop_services, wait_ready
from tests.conftest import _backends, find_free_port, uses_real_mongo
from tests.service.receivers import WebhookServer


class Stack:
    def __init__(self, env, url, log_file=None):
        self.env = env
        self.url = url
        self.log_file = log_file
        self.processes = {}

    def start(self, *names):
        """Start services (as processes) and wait until they answer."""
        started = start_services(names, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.processes.update(started)
        wait_ready(started, self.env["AMQP_URI"], log_file=self.log_file.name if self.log_file else None)

    def stop(self, service):
        """Stop one service's process (the others run on)."""
        stop_services({service: self.processes.pop(service)})

    def post(self, body):
        return requests.post(f"{self.url}/tickets", json=body, timeout=10)

    def lookup(self, number, code):
        """What the requester sees over HTTP, with the receipt's lookup code."""
        return requests.get(f"{self.url}/tickets/{number}", headers={"X-Lookup-Code": code}, timeout=10)

    def get(self, number):
        """The operator's view of a ticket (RPC ``intake.get_ticket``)."""
        return self.rpc("intake", "get_ticket", number)

    def http_url(self, service):
        return f"http://{self.env[f'{service.upper()}_HTTP']}"

    def said_about(self, text, last=40):
        """The services' log lines that mention ``text`` (a ticket's number), for a failure's message."""
        if not self.log_file:
            return ""
        self.log_file.flush()
        with open(self.log_file.name, encoding="utf-8", errors="replace") as handle:
            lines = [line.rstrip() for line in handle if text in line]
        return "\n".join(lines[-last:]) or f"(no log line mentions {text})"

    def wait_until(self, number, predicate, timeout=15.0):
        """The operator's view of ticket ``number`` once ``predicate`` holds of it, looked at
        every 0.1 s over one connection (one per look cost the broker and this process ten
        times as much)."""
        deadline = time.monotonic() + timeout
        view = None
        with self.proxy() as cluster:
            while time.monotonic() < deadline:
                view = cluster.intake.get_ticket(number)
                if predicate(view):
                    return view
                time.sleep(0.1)
        raise AssertionError(f"ticket {number} never got there; last seen: {view}")

    def hotline(self, *args):
        """Run the ``hotline`` CLI against this stack, as a user would."""
        return subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def command(self, module, *args):
        """Run a package's own command (``python -m services.routing ...``) against this stack."""
        return subprocess.run([sys.executable, "-m", module, *args], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def rpc(self, service, method, *args, principal="cli"):
        """An RPC as a member of the hotline's staff (every staff role), signed as the CLI
        signs, or as ``principal`` signs (a service, for what only services may ask)."""
        with self.proxy(principal) as cluster:
            return getattr(getattr(cluster, service), method)(*args)

    def proxy(self, principal="cli"):
        """A signed RPC proxy to the stack (see ``rpc``), for several calls."""
        from shared.platform.principals import ClusterRpcProxy
        from tests.people import context

        return ClusterRpcProxy({"AMQP_URI": self.env["AMQP_URI"]}, timeout=10, context_data=context(),
                               principal=principal)


def declare_topology(env):
    """What `make run` and compose do before any service starts."""
    done = subprocess.run([sys.executable, "-m", "operate", "topology"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@contextlib.contextmanager
def running_stack(vhost_pipeline, log_dir, services=SERVICES, topology=True, **extra_env):
    """Services as processes on a fresh vhost, with ``extra_env`` on top.

    The topology is declared first (as `make run` does) unless ``topology`` is
    false; ``services`` start now, the rest when the test calls ``stack.start``.
    """
    amqp = urlparse(_backends["amqp"])
    addresses = http_addresses(SERVICES, find_free_port)
    port = int(addresses["INTAKE_HTTP"].rsplit(":", 1)[1])
    logs = log_dir / "services.log"
    with vhost_pipeline.get() as vhost:
        env = dict(os.environ, **addresses,
                   AMQP_URI=f"{amqp.scheme}://{amqp.netloc}/{vhost}",
                   OUTBOX_INTERVAL="1", PYTHONUNBUFFERED="1",
                   # each service stops in a fraction of a second, not 1-2 s; at 0.1 s, seven
                   # idle services woke 70 times a second: 7% of a core per stack, for its life
                   CONSUMER_WAKE_SECONDS="0.3",
                   # refusals re-route at once unless a test asks for review (see tests/conftest.py)
                   FOLLOWUP_REFUSAL_REVIEW="false")
        if uses_real_mongo():
            env.update(MONGO_URI=_backends["mongo"], MONGO_DB_PREFIX=f"stack_{uuid.uuid4().hex[:8]}_")
        else:
            env.update(MONGO_URI="memory://")
        env.update(extra_env)
        if topology:
            declare_topology(env)
        with open(logs, "w") as log:
            stack = Stack(env, f"http://127.0.0.1:{port}", log)
            try:
                if services:
                    stack.start(*services)
                yield stack
            finally:
                stop_services(stack.processes)
        if uses_real_mongo():
            from shared.platform.mongo import connect

            client = connect(env["MONGO_URI"])
            for name in client.list_database_names():
                if name.startswith(env["MONGO_DB_PREFIX"]):
                    client.drop_database(name)


LAST = "test_doors.py"  # fuzzes the shared stack: thousands of tickets still flowing after it
FLOOD = "[intake]"      # of its tests, the one that posts those tickets


def pytest_collection_modifyitems(config, items):
    """The fuzzing module runs after the other stack modules, so none of them waits
    behind (or has a ticket linked to) the thousands of tickets it leaves in the shared
    stack; and its fuzzing of intake's door, which posts them, runs after its other
    tests: every service of the stack works each of those tickets for a minute or more
    after it, and the other services' fuzzing would wait behind them (insight's took four
    times as long)."""
    here = Path(__file__).parent
    mine = [i for i, item in enumerate(items) if item.path.parent == here]
    if not mine:
        return
    block = items[mine[0]:mine[-1] + 1]
    block.sort(key=lambda item: (item.path.parent == here and item.path.name == LAST,  # stable
                                 item.path.name == LAST and item.name.endswith(FLOOD)))
    items[mine[0]:mine[-1] + 1] = block


@pytest.fixture(scope="package")
def stack(vhost_pipeline, tmp_path_factory):
    """One stack for the modules here that need no settings of their own: each test
    posts tickets of its own and reads only those, so they do not meet. Starting the seven
    processes once instead of once per module saves most of this tier's time.

    Not every module can share it: intake links a ticket to an open one from the same
    caller with similar words, or of the same category nearby, and several modules post
    the same citizens (``hotline demo``'s tickets, the example script's sample). Such
    modules take ``another_stack`` (test_end_to_end, test_sources; test_insight too, whose
    loaded history would slow the reports test_doors fuzzes). A module that counts
    what a department holds, or retrains routing, takes ``own_stack``."""
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("stack")) as stack:
        yield stack


@pytest.fixture(scope="package")
def another_stack(vhost_pipeline, tmp_path_factory):
    """A second shared stack, for modules whose tickets would be taken for repeats of
    tickets that modules on ``stack`` post (see ``stack``)."""
    # A PBX of its own name among callcentre's call sources (test_sources makes its broker user).
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("another-stack"),
                       CALLCENTRE_CALL_SOURCES=f"pbx,pbx-{uuid.uuid4().hex[:8]}") as stack:
        yield stack


@pytest.fixture(scope="module")
def own_stack(vhost_pipeline, tmp_path_factory):
    """A stack of the module's own (default settings), for a module whose assertions
    hold only on a stack that no other module has used."""
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("own-stack")) as stack:
        yield stack


@pytest.fixture(scope="module")
def webhooks():
    """A webhook receiver for the module's stack."""
    server = WebhookServer().start()
    yield server
    server.stop()
