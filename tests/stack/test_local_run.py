"""`hotline run` stops every service it started when a process supervisor stops it.

A supervisor (systemd, supervisord, a container runtime) sends SIGTERM to the process
it started, not to its children: ``hotline run`` must pass it on, or six services
stay behind holding their ports.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse

import psutil
import pytest

from operate.local import SERVICES, http_addresses
from tests.conftest import _backends, find_free_port


def listening(address):
    host, port = address.rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


def running(processes, wait):
    """The processes still running after up to ``wait`` seconds (psutil's wait needs a
    select.poll that eventlet's patching removes)."""
    deadline = time.monotonic() + wait
    while True:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


@pytest.fixture
def local_env(vhost_pipeline):
    amqp = urlparse(_backends["amqp"])
    with vhost_pipeline.get() as vhost:
        yield dict(os.environ, **http_addresses(SERVICES, find_free_port),
                   AMQP_URI=f"{amqp.scheme}://{amqp.netloc}/{vhost}", MONGO_URI="memory://",
                   PYTHONUNBUFFERED="1")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_hotline_run_stops_every_service_on_a_signal(local_env, tmp_path, signum):
    addresses = [local_env[f"{name.upper()}_HTTP"] for name in SERVICES]
    with open(tmp_path / "run.log", "w") as log:
        # A session of its own: the signal reaches `hotline run` alone, as a supervisor's does.
        parent = subprocess.Popen([sys.executable, "-m", "hotline.cli", "run"], env=local_env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    children = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(listening(a) for a in addresses):
            assert parent.poll() is None, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        assert all(listening(a) for a in addresses), (tmp_path / "run.log").read_text()[-3000:]
        children = psutil.Process(parent.pid).children()
        assert len(children) == len(SERVICES)

        parent.send_signal(signum)
        parent.wait(30)
        alive = running(children, wait=5)
        assert alive == [], f"left running: {[p.cmdline()[-1] for p in alive]}"
        assert [a for a in addresses if listening(a)] == []
        assert "stopped" in (tmp_path / "run.log").read_text()
    finally:
        for child in children:  # whatever happens, nothing of this test stays behind
            if child.is_running():
                child.kill()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
