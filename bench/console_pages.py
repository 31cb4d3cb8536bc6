"""How fast the workbench answers the pages people wait on, against a running stack.

    python -m bench.console_pages --url http://127.0.0.1:8080 --tickets 200 --rounds 30

Creates an operator and a department user with the CLI (needs AMQP_URI and
IDENTITY_SECRET like the CLI), submits ``--tickets`` tickets over intake's HTTP
(``--intake``), then times, one request at a time: the operator's suggestions
while typing (knowledge, routing, repeats: three RPCs in parallel), the
caller's earlier tickets, a ticket search, the department's inbox, a case page
and the supervisor's overview (five services at once). Prints p50/p95/max in
milliseconds; asserts nothing.
"""
import argparse
import re
import statistics
import subprocess
import sys
import time
import uuid

import requests

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def cli(*args):
    done = subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def signed_in(url, login, password):
    session = requests.Session()
    page = session.get(f"{url}/signin", timeout=10)
    page = session.post(f"{url}/signin", timeout=30, data={
        "csrf": CSRF.search(page.text).group(1), "login": login, "password": password})
    if page.url.endswith("/password"):
        chosen = "Bench-" + uuid.uuid4().hex[:12]
        page = session.post(f"{url}/password", timeout=30, data={
            "csrf": CSRF.search(page.text).group(1), "current": password, "new": chosen, "again": chosen})
    session.csrf = CSRF.search(page.text).group(1)
    return session


def timed(label, rounds, call):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code >= 400:
            raise SystemExit(f"{label}: HTTP {answer.status_code}")
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{label:<34} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   max {times[-1]:7.1f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--intake", default="http://127.0.0.1:8000")
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    tag = uuid.uuid4().hex[:6]
    operator = signed_in(args.url, f"bench.op.{tag}", cli("users", "create", f"bench.op.{tag}", "--role", "operator",
                                                         "--role", "supervisor"))
    water = signed_in(args.url, f"bench.w.{tag}", cli("users", "create", f"bench.w.{tag}", "--role", "department",
                                                      "--department", "WATER"))
    numbers = []
    for i in range(args.tickets):
        answer = requests.post(f"{args.intake}/tickets", timeout=10, json={
            "title": f"小区停水第{i}天", "description": f"崂山区海尔路{i}号小区停水，没有通知",
            "district": "崂山区", "caller_phone": f"139{i:08d}", "channel": "web"})
        numbers.append(answer.json()["number"])
    time.sleep(3)  # routing and followup open the cases
    typed = {"csrf": operator.csrf, "caller_phone": "13900000007", "title": "小区停水", "description": "海尔路小区停水两天",
             "district": "崂山区", "address": "海尔路小区"}
    print(f"{args.tickets} tickets; {args.rounds} requests each, one at a time")
    timed("operator: suggestions while typing", args.rounds,
          lambda: operator.post(f"{args.url}/operator/suggest", data=typed, headers={"HX-Request": "true"}, timeout=30))
    timed("operator: caller's earlier tickets", args.rounds,
          lambda: operator.post(f"{args.url}/operator/caller", data=typed, headers={"HX-Request": "true"}, timeout=30))
    operator.post(f"{args.url}/tickets", data={"csrf": operator.csrf, "text": "停水"}, timeout=30)
    timed("operator: search by text (page 1)", args.rounds, lambda: operator.get(f"{args.url}/tickets", timeout=30))
    timed("department: inbox (page 1)", args.rounds, lambda: water.get(f"{args.url}/department", timeout=30))
    timed("department: a case", args.rounds,
          lambda: water.get(f"{args.url}/department/cases/{numbers[len(numbers) // 2]}", timeout=30))
    timed("supervisor: the city at a glance", args.rounds, lambda: operator.get(f"{args.url}/supervisor", timeout=30))


if __name__ == "__main__":
    main()
