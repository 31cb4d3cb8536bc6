"""Create or update the services' own RabbitMQ user: ``python -m operate.broker_user``.

The compose file's one-shot ``broker-user`` step runs it with the broker's
administrator (``RABBIT_API_URI``, the management API, from
RABBITMQ_DEFAULT_USER/PASS) so that the services never use the
administrator nor ``guest``: they connect as ``HOTLINE_AMQP_USER`` with
``HOTLINE_AMQP_PASSWORD``, with configure/write/read on ``HOTLINE_AMQP_VHOST``
(default ``/``) only. Idempotent: run it again with a new password to
rotate it (docs/operations.md). Other government systems get users of
their own, with narrower rights (``hotline sources``).
"""
import os
import sys
import time
from urllib.parse import quote, urlsplit

import requests


def api_base(uri):
    """``(base URL without credentials, (user, password))`` of the management API."""
    parts = urlsplit(uri)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{netloc}", (parts.username or "", parts.password or "")


def ensure_user(api_uri, user, password, vhost="/", wait_seconds=60):
    base, auth = api_base(api_uri)
    session = requests.Session()
    session.auth = auth
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            session.get(f"{base}/api/overview", timeout=5).raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    session.put(f"{base}/api/users/{quote(user, safe='')}",
                json={"password": password, "tags": ""}, timeout=10).raise_for_status()
    session.put(f"{base}/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
                json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10).raise_for_status()


def main():
    missing = [k for k in ("RABBIT_API_URI", "HOTLINE_AMQP_USER", "HOTLINE_AMQP_PASSWORD") if not os.environ.get(k)]
    if missing:
        print(f"broker_user: set {', '.join(missing)}", file=sys.stderr)
        return 2
    user = os.environ["HOTLINE_AMQP_USER"]
    if user == "guest":
        print("broker_user: the services must not connect as guest", file=sys.stderr)
        return 2
    vhost = os.environ.get("HOTLINE_AMQP_VHOST", "/")
    ensure_user(os.environ["RABBIT_API_URI"], user, os.environ["HOTLINE_AMQP_PASSWORD"], vhost)
    print(f"broker_user: {user} may configure, write and read on vhost {vhost!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
