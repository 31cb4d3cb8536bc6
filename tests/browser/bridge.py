"""Playwright in a process of its own, driven from the (eventlet-patched) tests.

The test process must be monkey-patched by eventlet for nameko; Playwright's
sync API inside it starts, but can stall for good waiting for the driver
(seen: a ``wait_for_function`` that never returned nor timed out). So the
browser lives in a plain Python child process (``python -m
tests.browser.bridge``) and the tests talk to it over a pipe: every
Playwright object they touch is a :class:`Remote` standing for the object in
the child; attribute reads and method calls go over as JSON lines. Tests read
as ordinary Playwright code (``page.fill(...)``, ``page.locator(...).count()``).
"""
import base64
import json
import os
import subprocess
import sys
import threading

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


class BrowserError(AssertionError):
    """What Playwright raised in the child (a timeout, a missing element)."""


# -- the test side ---------------------------------------------------------------

class Bridge:
    def __init__(self):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.browser.bridge"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
        self.lock = threading.Lock()
        self.browser = Remote(self, 0)

    def send(self, message):
        with self.lock:
            self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise BrowserError("the browser process ended")
        answer = json.loads(line)
        if "error" in answer:
            raise BrowserError(f"{answer['type']}: {answer['error']}")
        if "ref" in answer:
            return Remote(self, answer["ref"])
        if "method" in answer:
            return lambda *args, **kwargs: self.send(
                {"op": "call", "ref": message["ref"], "name": message["name"], "args": _out(args),
                 "kwargs": _out(kwargs)})
        if "bytes" in answer:
            return base64.b64decode(answer["bytes"])
        if "list" in answer:
            return [Remote(self, ref) for ref in answer["list"]]
        return answer.get("value")

    def close(self):
        try:
            self.send({"op": "quit"})
        except Exception:
            pass
        self.proc.wait(timeout=30)


def _out(value):
    if isinstance(value, Remote):
        return {"__ref__": value._ref}
    if isinstance(value, (list, tuple)):
        return [_out(v) for v in value]
    if isinstance(value, dict):
        return {k: _out(v) for k, v in value.items()}
    return value


class Remote:
    """A Playwright object in the browser process."""

    def __init__(self, bridge, ref):
        self._bridge, self._ref = bridge, ref

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._bridge.send({"op": "get", "ref": self._ref, "name": name})


# -- the browser side ----------------------------------------------------------------

def serve():
    from playwright.sync_api import sync_playwright

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed goes to stderr, not into the protocol
    objects = {}

    def keep(value):
        objects[id(value)] = value
        return id(value)

    def inward(value):
        if isinstance(value, dict) and "__ref__" in value:
            return objects[value["__ref__"]]
        if isinstance(value, list):
            return [inward(v) for v in value]
        if isinstance(value, dict):
            return {k: inward(v) for k, v in value.items()}
        return value

    def outward(value):
        if callable(value) and not hasattr(value, "_impl_obj"):
            return {"method": True}
        if hasattr(value, "_impl_obj"):
            return {"ref": keep(value)}
        if isinstance(value, (bytes, bytearray)):
            return {"bytes": base64.b64encode(value).decode("ascii")}
        if isinstance(value, list) and value and hasattr(value[0], "_impl_obj"):
            return {"list": [keep(v) for v in value]}
        json.dumps(value)  # anything else must be plain data
        return {"value": value}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        objects[0] = browser
        for line in sys.stdin:
            message = json.loads(line)
            if message["op"] == "quit":
                protocol.write(json.dumps({"value": None}) + "\n")
                break
            try:
                target = objects[message["ref"]]
                value = getattr(target, message["name"])
                if message["op"] == "call":
                    value = value(*inward(message["args"]), **inward(message["kwargs"]))
                answer = outward(value)
            except Exception as exc:
                answer = {"error": str(exc)[:2000], "type": type(exc).__name__}
            protocol.write(json.dumps(answer, ensure_ascii=False, default=str) + "\n")
        browser.close()


if __name__ == "__main__":
    serve()
