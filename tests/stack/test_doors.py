"""Every HTTP door of the running stack, fuzzed and tried as a stranger would.

schemathesis (``--checks`` below) runs against each service's own
``/openapi.json``: no response >= 500, none outside the document (status,
content type, schema, headers), at least ``MIN_CASES`` generated requests per
API; its summary is printed (``pytest -s`` shows it). Then the hand-picked
inputs that once got a 500 -- JSON nested a thousand deep on every POST route,
dates at the calendar's edge on every date parameter -- and the abuse cases: a
200 MB body, a thousand anonymous posts in a minute.
"""
import concurrent.futures
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.stack.conftest import running_stack
from tests.stack.test_department_api import as_staff

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")
MIN_CASES = 1000
# Examples per operation that give each API at least MIN_CASES test cases. routing's and
# notify's ports have only parameterless routes (/health, /ready, /metrics): one request each.
EXAMPLES = {"intake": 55, "followup": 70, "insight": 200, "routing": 10, "notify": 10, "callcentre": 100}
MIN_CASES_OF = {"routing": 3, "notify": 3, "callcentre": 100}
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
METHODS = ("get", "put", "post", "delete", "patch")


def examples_for(url, margin=1.0):
    """Examples per operation for the API at ``url`` (the workbench's, which grows with
    every page): MIN_CASES spread over the operations that take input, ``margin`` times;
    schemathesis's coverage phase adds its own cases on top. As the API grows each
    operation is fuzzed less, not the whole for longer; the test still asserts the count."""
    paths = requests.get(f"{url}/openapi.json", timeout=10).json()["paths"]
    taking = sum(1 for item in paths.values() for method, operation in item.items()
                 if method in METHODS and (operation.get("parameters") or operation.get("requestBody")
                                           or item.get("parameters")))
    return max(10, math.ceil(MIN_CASES * margin / max(taking, 1)))


def schemathesis(url, *headers, examples, seed, cwd=None):
    command = [SCHEMATHESIS, "run", f"{url}/openapi.json", "--checks", CHECKS, "--max-examples",
               str(examples), "--seed", str(seed), "--no-color", "--request-timeout", "20"]
    for header in headers:
        command += ["-H", header]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=cwd,  # its cache there
                          env=dict(os.environ, SCHEMATHESIS_TELEMETRY="false"))


@pytest.fixture(scope="module")
def department_token(stack):
    return as_staff(stack, "create_department_token", "HOUSING", "fuzz")["token"]


@pytest.mark.parametrize("service", ["intake", "followup", "insight", "routing", "notify", "callcentre"])
def test_schemathesis_finds_no_server_error_and_no_violation(stack, department_token, service, tmp_path):
    seed = int(os.environ.get("SCHEMATHESIS_SEED") or random.randrange(2 ** 32))
    headers = [f"Authorization: Bearer {department_token}"] if service == "followup" else []
    if service == "intake":
        headers.append(f"X-Api-Key: {stack.rpc('intake', 'create_api_key', f'fuzz-{seed}')['key']}")
    run = schemathesis(stack.http_url(service), *headers, examples=EXAMPLES[service], seed=seed, cwd=tmp_path)
    summary = run.stdout[run.stdout.find("SUMMARY"):] if "SUMMARY" in run.stdout else run.stdout[-3000:]
    print(f"\n--- schemathesis against {service} (seed {seed}) ---\n{summary}")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    cases = re.search(r"(\d+) generated", run.stdout)
    assert cases and int(cases.group(1)) >= MIN_CASES_OF.get(service, MIN_CASES), summary
    assert "Server error" not in run.stdout


DEEP = "[" * 1000 + "]" * 1000
EDGE_DATES = ("0001-01-01", "9999-12-31")


def no_exception(answer):
    return "Traceback" not in answer.text and "Error:" not in answer.text


def test_json_nested_a_thousand_deep_gets_400_on_every_post_route(stack, department_token):
    number = stack.post({"title": "路灯不亮", "district": "市北区", "channel": "web"}).json()["number"]
    followup = stack.http_url("followup")
    routes = [(f"{stack.url}/tickets", {}), (f"{stack.url}/open311/v2/requests.json", {}),
              (f"{stack.url}/open311/v2/requests.xml", {})]
    routes += [(f"{followup}/cases/{number}/{verb}", {"Authorization": f"Bearer {department_token}"})
               for verb in ("sign-for", "refuse", "extension", "reply")]
    routes.append((stack.http_url("callcentre") + stack.rpc("callcentre", "rotate_cti_token")["path"], {}))
    for url, headers in routes:
        answer = requests.post(url, data=DEEP, headers=dict(headers, **{"Content-Type": "application/json"}),
                               timeout=10)
        assert 400 <= answer.status_code < 500 and no_exception(answer), (url, answer.status_code, answer.text)
        assert answer.status_code != 404, url


def test_dates_at_the_calendar_s_edge_get_400_everywhere(stack):
    followup, insight = stack.http_url("followup"), stack.http_url("insight")
    asked = []
    for day in EDGE_DATES:
        asked += [f"{stack.url}/open311/v2/requests.json?start_date={day}T00:00:00Z",
                  f"{stack.url}/open311/v2/requests.json?end_date={day}T23:59:59Z",
                  f"{stack.url}/open311/v2/requests.xml?start_date={day}T00:00:00Z",
                  f"{followup}/scorecard?from={day}", f"{followup}/scorecard?to={day}",
                  f"{followup}/scorecard?from={day}&to={day}&format=csv",
                  f"{insight}/insight/hotspots?from={day}", f"{insight}/insight/hotspots?to={day}",
                  f"{insight}/insight/hotspots.png?from={day}&to={day}",
                  f"{insight}/insight/staffing?week={day}", f"{insight}/insight/staffing.png?week={day}",
                  f"{insight}/insight/top-problems?month={day[:7]}"]
    asked += [f"{followup}/scorecard?from=1826-01-01&to=2026-01-01",        # 200 years
              f"{insight}/insight/hotspots?from=2000-01-01&to=2026-01-01"]  # 26 years
    for url in asked:
        answer = requests.get(url, timeout=30)
        assert answer.status_code == 400 and no_exception(answer), (url, answer.status_code, answer.text)


@pytest.fixture(scope="module")
def limited_stack(vhost_pipeline, tmp_path_factory):
    """The stack with the shipped limits for anonymous submissions, behind one proxy
    (each test below comes from a client address of its own, in X-Forwarded-For)."""
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("limited"), HTTP_TRUSTED_PROXIES="1",
                       RATE_LIMIT_CLIENT="300/minute", RATE_LIMIT_SUBMIT="10/minute;200/day",
                       RATE_LIMIT_PHONE="5/hour", RATE_LIMIT_REFUSED="120/minute") as stack:
        yield stack


def test_a_thousand_anonymous_posts_in_a_minute_are_throttled(limited_stack):
    body = {"title": "小区停水", "district": "崂山区", "channel": "web"}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: requests.post(
            f"{limited_stack.url}/tickets", json=dict(body, title=f"小区停水 {i}"), timeout=30,
            headers={"X-Forwarded-For": "203.0.113.7"}), range(1000)))
    elapsed = time.monotonic() - started  # printed: timings are measured, never asserted
    statuses = [a.status_code for a in answers]
    print(f"\n1,000 posts in {elapsed:.1f} s: {statuses.count(201)} accepted, {statuses.count(429)} refused (429)")
    assert statuses.count(201) == 10 and statuses.count(429) == 990
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status_code == 429)
    # Refused requests spend no quota but count apart: past 120 refusals in a minute the whole
    # door is closed to this client until the minute ends; another client is served.
    assert requests.get(f"{limited_stack.url}/open311/v2/services.json", timeout=10,
                        headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert requests.post(f"{limited_stack.url}/tickets", json=body, timeout=10,
                         headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 201


def test_guessing_a_ticket_s_lookup_code_slows_the_guesser_not_the_citizen(limited_stack):
    url = f"{limited_stack.url}/tickets"
    receipt = requests.post(url, json={"title": "路灯不亮", "district": "市北区", "channel": "web",
                                       "caller_phone": "13906391234"}, timeout=10).json()

    def guess(client, code=None, tail=None):
        proof = {"X-Lookup-Code": code} if code else {"X-Phone-Last4": tail}
        return requests.get(f"{url}/{receipt['number']}", timeout=10,
                            headers=dict(proof, **{"X-Forwarded-For": client}))

    # One address guessing: five failures are free, then it waits, longer after each failure.
    guesses = [guess("192.0.2.1", f"{i:08d}").status_code for i in range(7)]
    assert guesses == [404] * 6 + [429]
    # While it waits not even the right code is checked from there: no oracle for the guesser.
    assert guess("192.0.2.1", receipt["lookup_code"]).status_code == 429
    # The citizen, from their own phone, is answered at once.
    assert guess("192.0.2.99", receipt["lookup_code"]).status_code == 200

    # Many addresses guessing the phone's four digits: past 20 failures of the number in all,
    # the digits no longer prove it (the code still does).
    tails = [guess(f"198.51.100.{i}", tail=f"{i:04d}").status_code for i in range(14)]
    assert tails == [404] * 14
    refused = guess("198.51.100.200", tail="1234")
    assert refused.status_code == 429 and "proof" in refused.json()["errors"]
    assert guess("198.51.100.201", receipt["lookup_code"]).status_code == 200


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_a_200_mb_body_is_refused_before_it_is_sent_and_intake_does_not_grow(stack, tmp_path):
    """The time it takes is printed, not asserted (measured 0.3 s on an idle machine)."""
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    intake = psutil.Process(stack.processes["intake"].pid)
    before = intake.memory_info().rss
    started = time.monotonic()
    run = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_upload}",
                          "-H", "Content-Type: application/json", "--data-binary", f"@{big}",
                          f"{stack.url}/tickets"], capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    after = intake.memory_info().rss
    status, uploaded = run.stdout.split()
    print(f"\n200 MB body: HTTP {status} after {elapsed:.2f} s, {float(uploaded) / 1e6:.1f} MB sent, "
          f"intake RSS {before / 1e6:.0f} -> {after / 1e6:.0f} MB")
    assert status == "413"
    assert float(uploaded) < 1024 * 1024  # refused before the body was sent, let alone read
    assert after - before < 20 * 1024 * 1024
