"""How long the workbench's staff actions take, against a running stack.

    python -m bench.console_people --url http://127.0.0.1:8080 --rounds 20

Creates an administrator with the CLI (needs AMQP_URI and IDENTITY_SECRET like the
CLI), then times, one request at a time: creating a user (系统管理 → 人员与角色),
signing in, and changing one's password; then a light page (the sign-in form)
while four users are being created at once, to see whether password hashing holds
up the other requests. Prints p50/p95/max in milliseconds; asserts nothing.
"""
import argparse
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid

import requests

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def cli(*args):
    done = subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def report(label, times):
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{label:<34} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   max {times[-1]:7.1f} ms")


def sign_in(url, login, password):
    """(session, milliseconds the sign-in POST took)."""
    session = requests.Session()
    session.csrf = CSRF.search(session.get(f"{url}/signin", timeout=10).text).group(1)
    start = time.perf_counter()
    page = session.post(f"{url}/signin", timeout=30, data={"csrf": session.csrf, "login": login,
                                                            "password": password})
    took = (time.perf_counter() - start) * 1000
    session.csrf = CSRF.search(page.text).group(1)
    return session, took, page


def change_password(url, session, current):
    chosen = "Bench-" + uuid.uuid4().hex[:12]
    start = time.perf_counter()
    page = session.post(f"{url}/password", timeout=30, data={"csrf": session.csrf, "current": current,
                                                              "new": chosen, "again": chosen})
    took = (time.perf_counter() - start) * 1000
    if page.status_code >= 400:
        raise SystemExit(f"change password: HTTP {page.status_code}")
    session.csrf = CSRF.search(page.text).group(1)
    return chosen, took


def create_user(url, admin, login):
    start = time.perf_counter()
    page = admin.post(f"{url}/admin/users", timeout=30, data={
        "csrf": admin.csrf, "login": login, "display_name": "测试", "roles": "operator"})
    took = (time.perf_counter() - start) * 1000
    if page.status_code >= 400:
        raise SystemExit(f"create user: HTTP {page.status_code}")
    return re.search(r'<code id="password">([^<]+)</code>', page.text).group(1), took


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    url, run = args.url.rstrip("/"), uuid.uuid4().hex[:6]
    admin_login = f"bench-admin-{run}"
    password = cli("users", "create", admin_login, "--role", "admin")
    admin, _took, _page = sign_in(url, admin_login, password)
    change_password(url, admin, password)

    created, signins, changes = [], [], []
    for n in range(args.rounds):
        login = f"bench-{run}-{n}"
        password, took = create_user(url, admin, login)
        created.append(took)
        session, took, _page = sign_in(url, login, password)
        signins.append(took)
        _chosen, took = change_password(url, session, password)
        changes.append(took)
    report("create a user", created)
    report("sign in", signins)
    report("change one's password", changes)

    light, busy = [], threading.Event()

    def creating(worker):
        for n in range(args.rounds // 2 or 1):
            create_user(url, admin, f"bench-{run}-w{worker}-{n}")
    workers = [threading.Thread(target=creating, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    while any(w.is_alive() for w in workers):
        start = time.perf_counter()
        requests.get(f"{url}/signin", timeout=10)
        light.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    for worker in workers:
        worker.join()
    busy.set()
    report("sign-in form, 4 users being made", light)


if __name__ == "__main__":
    main()
