"""The workbench's pages fuzzed against its own /openapi.json, signed in.

schemathesis as for the other services (tests/stack/test_doors.py): no
response >= 500, none outside the document, at least MIN_CASES requests. It
runs as a person holding every role, with a real session cookie, so the pages
behind the sign-in are reached; without the CSRF token every state-changing
request must be a 403 page, never an error.
"""
import os
import random
import re

from services.console.view import SESSION_COOKIE
from tests.stack.test_doors import MIN_CASES, examples_for, schemathesis

ROLES = ("operator", "dispatcher", "reviewer", "callback", "supervisor", "admin", "department")


def test_schemathesis_on_the_workbench_finds_no_server_error_and_no_violation(workbench, tmp_path):
    workbench.user("fuzzer", *ROLES, department="WATER", name="模糊测试")
    session = workbench.http("fuzzer")
    cookie = session.cookies.get(SESSION_COOKIE)
    assert cookie, "signing in gave no session"
    assert session.get(f"{workbench.url}/supervisor", timeout=10, allow_redirects=False).status_code == 200

    seed = int(os.environ.get("SCHEMATHESIS_SEED") or random.randrange(2 ** 32))
    examples = examples_for(workbench.url)
    run = schemathesis(workbench.url, f"Cookie: {SESSION_COOKIE}={cookie}", examples=examples, seed=seed, cwd=tmp_path)
    summary = run.stdout[run.stdout.find("SUMMARY"):] if "SUMMARY" in run.stdout else run.stdout[-3000:]
    print(f"\n--- schemathesis against console (seed {seed}, {examples} examples an operation) ---\n{summary}")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    cases = re.search(r"(\d+) generated", run.stdout)
    assert cases and int(cases.group(1)) >= MIN_CASES, summary
    assert "Server error" not in run.stdout
    # The session lived through it: the fuzzing could not sign it out without a CSRF token.
    assert session.get(f"{workbench.url}/supervisor", timeout=10, allow_redirects=False).status_code == 200
