"""Real receivers for notify's channels: an SMTP server and a webhook server.

Both bind 127.0.0.1 on a free port and record what arrives, so tests check
what a department's mailbox or endpoint would actually get.
"""
import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.conftest import find_free_port


def wait_until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class SmtpServer:
    """aiosmtpd on a free port; ``messages`` holds each mail as ``email.message``."""

    def __init__(self):
        self.messages = []
        self.port = find_free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]

    def header(self, name):
        return [m[name] for m in self.messages]


class WebhookServer:
    """Answers POSTs with 200, or as planned per path: fail each delivery N times, or always."""

    def __init__(self):
        self.requests = []   # (path, headers, body bytes, status answered)
        self.plan = {}       # path -> failures per delivery (None: always)
        self.tries = {}      # (path, delivery) -> POSTs seen
        self.port = find_free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.answer(self.path, self.headers.get("X-Hotline-Delivery"))
                receiver.requests.append((self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path, delivery):
        key = (path, delivery)
        self.tries[key] = self.tries.get(key, 0) + 1
        if path not in self.plan:
            return 200
        failures = self.plan[path]
        if failures is None:
            return 500
        return 503 if self.tries[key] <= failures else 200

    def always_fail(self, path):
        self.plan[path] = None

    def fail_first(self, path, times):
        """Each delivery to ``path`` fails ``times`` times, then gets through."""
        self.plan[path] = times

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def received(self, path, accepted_only=True):
        return [(headers, body) for p, headers, body, status in self.requests
                if p == path and (status == 200 or not accepted_only)]

    def documents(self, path):
        return [json.loads(body) for _, body in self.received(path)]
