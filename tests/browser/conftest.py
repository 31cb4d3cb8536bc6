"""The workbench in a real browser: Debian's Chromium driven by Playwright,
against every service running as a process (``tests/stack``).

Playwright must never download a browser: it drives ``/usr/bin/chromium``
(``.ci/run`` installs it with a CJK font). Screenshots of every screen are
kept in ``$HOTLINE_SCREENSHOTS`` (default ``test-artifacts/screens``); the
folder is printed at the end of the run.

The test process is eventlet-patched (the root conftest), under which
Playwright is not reliable: the browser runs in a process of its own and the
tests drive it through ``tests/browser/bridge.py``.
"""
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pyotp
import pytest
import requests

from tests.browser.bridge import CHROMIUM, Bridge
from tests.service.receivers import WebhookServer
from tests.stack.conftest import running_stack

SHOTS = Path(os.environ.get("HOTLINE_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screens")
NUMBER = re.compile(r"[A-Z]{2}-\d{8}-\d{5}")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOTP_SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
_shots_taken = []


def pytest_collection_modifyitems(config, items):
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium fonts-wqy-microhei")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if _shots_taken:
        terminalreporter.section("workbench screenshots")
        terminalreporter.write_line(f"{len(_shots_taken)} screenshot(s) in {SHOTS}")


_contexts = []  # every browser context a Workbench opened, in order


@pytest.fixture(scope="module", autouse=True)
def _pages_closed_after_their_module():
    """A module's pages close when the module is done. Left open they would live to the end
    of the browser tests, and an operator's page asks for a ringing call every 2 s: scores
    of pages polling the workbench, the phone floor and the broker while the later modules
    run. (A failed test's screenshots are taken before this.)"""
    opened = len(_contexts)
    yield
    for context in _contexts[opened:]:
        try:
            context.close()
        except Exception:  # a context the test closed itself, or a browser already gone
            pass
    del _contexts[opened:]


# Package-scoped (tests/browser is a package): the browser and the workbench's stack stop
# when the last browser test is done, not at the end of the whole run.
@pytest.fixture(scope="package")
def chromium():
    bridge = Bridge()
    try:
        yield bridge.browser
    finally:
        bridge.close()


class Workbench:
    """The running stack, its workbench URL, and people signing in to it."""

    def __init__(self, stack, browser, keep_shots=False):
        self.stack = stack
        self.browser = browser
        self.url = f"http://{stack.env['CONSOLE_HTTP']}"
        self.passwords = {}
        self.secrets = {}       # login -> TOTP key, once enrolled
        self.used_steps = {}    # login -> the last TOTP time step given
        self.pages = []
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in [] if keep_shots else SHOTS.glob("*.png"):  # this run's screens only (a second
            old.unlink()                                      # workbench keeps the first's)

    def cli(self, *args):
        done = subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=self.stack.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def page(self, lang=None):
        context = self.browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        _contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        self.pages.append(page)
        if lang:
            page.goto(f"{self.url}/lang/{lang}")
        return page

    def code(self, login):
        """The login's current TOTP code, never one already used (the console takes each once)."""
        totp = pyotp.TOTP(self.secrets[login])
        step = max(totp.timecode(datetime.now()), self.used_steps.get(login, 0) + 1)
        while step > totp.timecode(datetime.now()) + 1:  # both this step's and the next are used
            time.sleep(1)
        self.used_steps[login] = step
        return totp.generate_otp(step)

    def sign_in(self, login, password=None, new_password=None):
        """A browser of one's own, signed in (choosing a new password the first time, giving the
        second-factor code, or adding one as administrators and supervisors must)."""
        page = self.page()
        page.goto(f"{self.url}/signin")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", password or self.passwords[login])
        page.click("form[action='/signin'] button")
        if page.url.endswith("/signin/code"):
            page.fill("input[name=code]", self.code(login))
            page.click("form[action='/signin/code'] button")
            page.wait_for_function("() => !location.pathname.startsWith('/signin') && document.body")
        if page.url.endswith("/password"):
            chosen = new_password or f"Shift-{len(self.passwords)}-Hotline-2026!"
            page.fill("input[name=current]", password or self.passwords[login])
            page.fill("input[name=new]", chosen)
            page.fill("input[name=again]", chosen)
            page.click("form[action='/password'] button")
            self.passwords[login] = chosen
        if page.url.endswith("/account/second-factor"):
            self.enrol(page, login)
        return page

    def enrol(self, page, login):
        """Add a second factor on the enrolment page: read the key, give its code."""
        self.secrets[login] = page.inner_text("#totp-secret").replace(" ", "")
        self.used_steps.pop(login, None)
        page.fill("input[name=code]", self.code(login))
        page.click("form[action='/account/second-factor'] button")
        # the next page has loaded before the caller reads it (a read during the navigation
        # finds no document body)
        page.wait_for_function("() => !location.pathname.endsWith('/account/second-factor') && document.body")

    def user(self, login, *roles, department=None, name=None):
        """A user made as ``hotline users create`` makes one: the console's ``create_user``,
        signed as the CLI signs it. No CLI process is started for each of the run's twenty
        users (one costs seconds on a busy machine); the administrator is made with the
        CLI itself (``workbench`` below), so that path is still walked every run."""
        from hotline.people import cli_context
        from shared.platform.principals import ClusterRpcProxy

        with ClusterRpcProxy({"AMQP_URI": self.stack.env["AMQP_URI"], "serializer": "json"}, timeout=10,
                             context_data=cli_context()) as cluster:
            made = cluster.console.create_user(login, list(roles), department, name)
        self.passwords[login] = made["password"]
        return self.passwords[login]

    def http(self, login=None):
        """A plain HTTP client (``requests``), signed in as ``login`` if given; ``.csrf`` is its token."""
        session = requests.Session()
        form = session.get(f"{self.url}/signin", timeout=10)
        session.csrf = CSRF.search(form.text).group(1)
        if login:
            answer = session.post(f"{self.url}/signin", timeout=10, data={
                "csrf": session.csrf, "login": login, "password": self.passwords[login]})
            if answer.url.endswith("/signin/code"):
                answer = session.post(f"{self.url}/signin/code", timeout=10, data={
                    "csrf": CSRF.search(answer.text).group(1), "code": self.code(login)})
            if answer.url.endswith("/password"):
                chosen = f"Shift-{len(self.passwords)}-Hotline-2026!"
                answer = session.post(f"{self.url}/password", timeout=10, data={
                    "csrf": CSRF.search(answer.text).group(1), "current": self.passwords[login],
                    "new": chosen, "again": chosen})
                self.passwords[login] = chosen
            if answer.url.endswith("/account/second-factor"):
                self.secrets[login] = TOTP_SECRET.search(answer.text).group(1).replace(" ", "")
                self.used_steps.pop(login, None)
                answer = session.post(f"{self.url}/account/second-factor", timeout=10, data={
                    "csrf": CSRF.search(answer.text).group(1), "code": self.code(login)})
            session.csrf = CSRF.search(answer.text).group(1)
        return session

    def shot(self, page, name):
        path = SHOTS / f"{len(_shots_taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _shots_taken.append(path)
        return path

    def flash(self, page):
        return page.inner_text(".flash")

    def wait_for_case(self, number, state=None, timeout=20.0):
        deadline = time.monotonic() + timeout
        case = None
        while time.monotonic() < deadline:
            case = self.stack.rpc("followup", "get_case", number)
            if case and (state is None or case["state"] == state):
                return case
            time.sleep(0.2)
        raise AssertionError(f"case {number} never got to {state}: {case and case['state']}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves a screenshot of every page it had open."""
    outcome = yield
    report = outcome.get_result()
    bench = item.funcargs.get("workbench") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and bench is not None:
        for index, page in enumerate(bench.pages):
            try:
                page.screenshot(path=str(SHOTS / f"FAILED-{item.name}-{index}.png"), full_page=True)
            except Exception:
                pass


@pytest.fixture(scope="package")
def sms_gateway():
    """The city's SMS gateway, as the workbench's notify sees it: what it was asked to send."""
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def workbench(vhost_pipeline, tmp_path_factory, chromium, sms_gateway):
    # A stranger's sixth wrong password makes that pair wait 30 s (2 s by default): long enough
    # for the tests to see the wait on a busy machine. Citizens' SMS go to the gateway at any
    # hour (no quiet hours), so a test can read what a citizen got. An operator's first 有误 or
    # 已过时 flags a knowledge entry for review (3 by default), so one operator's is told to its unit.
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("workbench"),
                       CONSOLE_FIRST_WAIT_SECONDS="30", SMS_GATEWAY_URL=sms_gateway.url("/sms"),
                       NOTIFY_QUIET_HOURS="00:00-00:00", NOTIFY_DELIVERY_INTERVAL="0.5",
                       KNOWLEDGE_FLAG_AFTER="1") as stack:
        bench = Workbench(stack, chromium)
        bench.sms = sms_gateway
        bench.passwords["admin"] = bench.cli("users", "create", "admin", "--role", "admin",
                                             "--display-name", "系统管理员").strip().splitlines()[-1]
        yield bench
