"""RabbitMQ's management plugin: ``hotline sources`` makes broker users through it.

A fresh RabbitMQ does not serve the management API until the plugin is enabled.
When the broker is on this machine and ``rabbitmq-plugins`` is at hand, the
plugin is enabled here (as ``make run``'s user usually may); otherwise one line
says what to run where, instead of a connection error.
"""
import shutil
import subprocess
import time
from urllib.parse import urlparse

import requests

PLUGIN = "rabbitmq_management"
ENABLE = f"rabbitmq-plugins enable {PLUGIN}"
LOCAL = ("127.0.0.1", "localhost", "::1")


def answers(api_uri, timeout=3.0):
    """True when something serves HTTP at the management API's address (any status)."""
    parts = urlparse(api_uri)
    try:
        requests.get(f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api/overview",
                     timeout=timeout, auth=(parts.username or "guest", parts.password or "guest"))
    except requests.RequestException:
        return False
    return True


def ensure(api_uri, say, wait=30.0):
    """Make the management API answer if this machine can; else ``say`` the one command to run."""
    if answers(api_uri):
        return True
    parts = urlparse(api_uri)
    where = f"{parts.hostname}:{parts.port or 15672}"
    if parts.hostname in LOCAL and shutil.which("rabbitmq-plugins"):
        say(f"RabbitMQ's management API does not answer on {where}: running `{ENABLE}`")
        try:
            done = subprocess.run(["rabbitmq-plugins", "enable", PLUGIN], capture_output=True,
                                  text=True, timeout=120)
            failed = done.returncode != 0 and (done.stderr or done.stdout).strip().splitlines()[-1:]
        except (OSError, subprocess.SubprocessError) as exc:
            failed = [str(exc)]
        if not failed:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if answers(api_uri, timeout=1.0):
                    return True
                time.sleep(0.5)
            failed = [f"the plugin is enabled but nothing answers on {where} after {wait:.0f}s"]
        say(f"could not: {' '.join(failed)}")
    say(f"RabbitMQ's management API does not answer on {where}: on the broker's machine run "
        f"`sudo {ENABLE}`, or set BROKER_MANAGEMENT_URI to where it answers")
    return False
