"""The whole stack: four services as separate processes, real broker."""
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

import pytest
import requests
from nameko.testing.utils import find_free_port

from hotline.local import start_services, stop_services
from tests.conftest import _backends, uses_real_mongo

SERVICES = ("intake", "routing", "followup", "notify", "insight")


class Stack:
    def __init__(self, env, url):
        self.env = env
        self.url = url

    def post(self, body):
        return requests.post(f"{self.url}/tickets", json=body, timeout=10)

    def get(self, number):
        return requests.get(f"{self.url}/tickets/{number}", timeout=10)

    def wait_until(self, number, predicate, timeout=15.0):
        deadline = time.monotonic() + timeout
        view = None
        while time.monotonic() < deadline:
            view = self.get(number).json()
            if predicate(view):
                return view
            time.sleep(0.1)
        raise AssertionError(f"ticket {number} never got there; last seen: {view}")

    def hotline(self, *args):
        """Run the ``hotline`` CLI against this stack, as a user would."""
        return subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def rpc(self, service, method, *args):
        from nameko.standalone.rpc import ClusterRpcProxy

        with ClusterRpcProxy({"AMQP_URI": self.env["AMQP_URI"]}, timeout=10) as cluster:
            return getattr(getattr(cluster, service), method)(*args)


@pytest.fixture(scope="module")
def stack(vhost_pipeline, tmp_path_factory):
    amqp = urlparse(_backends["amqp"])
    port = find_free_port()
    logs = tmp_path_factory.mktemp("stack") / "services.log"
    with vhost_pipeline.get() as vhost:
        env = dict(os.environ,
                   AMQP_URI=f"{amqp.scheme}://{amqp.netloc}/{vhost}",
                   INTAKE_HTTP=f"127.0.0.1:{port}",
                   FOLLOWUP_HTTP=f"127.0.0.1:{find_free_port()}",
                   INSIGHT_HTTP=f"127.0.0.1:{find_free_port()}",
                   OUTBOX_INTERVAL="1", PYTHONUNBUFFERED="1")
        if uses_real_mongo():
            env.update(MONGO_URI=_backends["mongo"], MONGO_DB_PREFIX=f"stack_{uuid.uuid4().hex[:8]}_")
        else:
            env.update(MONGO_URI="memory://")
        with open(logs, "w") as log:
            processes = start_services(SERVICES, env=env, stdout=log, stderr=subprocess.STDOUT)
            stack = Stack(env, f"http://127.0.0.1:{port}")
            try:
                wait_ready(stack, processes, logs)
                yield stack
            finally:
                stop_services(processes)
        if uses_real_mongo():
            from shared.mongo import connect

            client = connect(env["MONGO_URI"])
            for name in client.list_database_names():
                if name.startswith(env["MONGO_DB_PREFIX"]):
                    client.drop_database(name)


def wait_ready(stack, processes, logs, timeout=60.0):
    deadline = time.monotonic() + timeout
    pending = list(SERVICES)
    while pending and time.monotonic() < deadline:
        for name, proc in processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{logs.read_text()[-3000:]}")
        try:
            assert stack.rpc(pending[0], "ping") == pending[0]
            pending.pop(0)
        except Exception:
            time.sleep(0.3)
    if pending:
        raise RuntimeError(f"{pending} did not answer in {timeout}s:\n{logs.read_text()[-3000:]}")
