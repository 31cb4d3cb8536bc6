"""``make bench``: end-to-end throughput and latency of the running stack.

Starts the four services as separate processes on a scratch vhost of the real
broker, then:

1. reference: a bare nameko dispatcher -> handler pair on the same broker;
2. throughput: submits ``--tickets`` tickets as fast as intake takes them,
   a share of them (``--amqp-share``) published to the AMQP inbound exchange
   as another government system would and the rest POSTed to the HTTP API at
   the same time, and times until notify has watched every one (submitted ->
   assigned -> case opened -> deadline watched);
3. latency: submits at a fixed ``--rate`` (50/s) for ``--seconds`` and measures
   submission -> ``ticket_assigned`` seen on the broker;

and reports CPU seconds (also per ticket, with the broker's own when it runs
on this machine) and peak RSS per service. Prints a table and writes
``bench/results/latest.json``. It measures; it asserts nothing.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from kombu import Connection, Queue

from bench.harness import (
    EventListener,
    ProcessMeter,
    local_stack,
    percentiles,
    publish_submissions,
    scratch_vhost,
    store_label,
)
from hotline.demo import DEMO_TICKETS
from services.intake.entrypoints.inbound import INBOUND_EXCHANGE

ASSIGNED = ("routing", "ticket_assigned")
WATCHED = ("notify", "deadline_watched")
RESULTS = Path(__file__).resolve().parent / "results"


def ticket(index):
    base = dict(DEMO_TICKETS[index % len(DEMO_TICKETS)])
    # Distinct callers and texts: benchmark tickets are not repeats of each other.
    base["caller_phone"] = f"139{index:08d}"[:11]
    base["description"] = f"{base['description']} (#{index})"
    return base


class Submitter:
    def __init__(self, url, concurrency):
        self.url = url
        self.pool = ThreadPoolExecutor(concurrency)
        self.sessions = {}

    def _session(self):
        import threading

        key = threading.get_ident()
        if key not in self.sessions:
            self.sessions[key] = requests.Session()
        return self.sessions[key]

    def post(self, body):
        started = time.monotonic()
        response = self._session().post(f"{self.url}/tickets", json=body, timeout=30)
        response.raise_for_status()
        return response.json()["number"], started

    def many(self, bodies):
        return list(self.pool.map(self.post, bodies))


class AmqpSubmitter:
    """Submissions published to ``hotline.inbound`` (``ticket.submit``) as another
    system would; the ticket numbers come back in receipts."""

    def __init__(self, amqp_uri, api_key, source="bench"):
        self.amqp_uri, self.api_key, self.source = amqp_uri, api_key, source

    def many(self, bodies, timeout=600):
        """Publish all of ``bodies``; ``[(number, published_at)]`` once every receipt is in."""
        receipts = {}
        ready, done = threading.Event(), threading.Event()

        def listen():
            with Connection(self.amqp_uri) as connection:
                queue = Queue(f"bench-receipts-{uuid.uuid4().hex[:6]}", exchange=INBOUND_EXCHANGE,
                              routing_key=f"ticket.receipt.{self.source}", exclusive=True, auto_delete=True)

                def on_receipt(body, message):
                    if "accepted" in body:  # not a later receipt of progress (``kind``: dispatched, ...)
                        receipts[body.get("external_id")] = body
                    message.ack()

                with connection.Consumer([queue], callbacks=[on_receipt], accept=["json"]) as consumer:
                    consumer.qos(prefetch_count=500)
                    ready.set()
                    deadline = time.monotonic() + timeout
                    while len(receipts) < len(bodies) and time.monotonic() < deadline:
                        try:
                            connection.drain_events(timeout=0.2)
                        except Exception:
                            pass
            done.set()

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        ready.wait(10)
        published = publish_submissions(self.amqp_uri, self.source, self.api_key,
                                        [(uuid.uuid4().hex, body) for body in bodies])
        done.wait(timeout)
        refused = [r for r in receipts.values() if not r.get("accepted")]
        if refused:
            raise RuntimeError(f"{len(refused)} AMQP submission(s) refused, e.g. {refused[0]}")
        return [(r["number"], published[key]) for key, r in receipts.items() if key in published]


def api_key(amqp_uri, name="bench"):
    """A new API key for ``name``, made with the CLI as an operator would."""
    out = subprocess.run([sys.executable, "-m", "hotline.cli", "apikeys", "create", name],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, AMQP_URI=amqp_uri))
    if out.returncode != 0:
        raise RuntimeError(f"could not create an API key: {out.stderr or out.stdout}")
    return out.stdout.strip().splitlines()[-1].strip()


def reference_rate(amqp_uri, count):
    out = subprocess.run([sys.executable, "-m", "bench.reference", amqp_uri, str(count)],
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def throughput(submitter, listener, count, start_index, amqp=None, amqp_share=0.0):
    """Tickets through HTTP and, for ``amqp_share`` of them, the AMQP inbound exchange, at once."""
    over_amqp = int(count * amqp_share) if amqp else 0
    bodies = [ticket(start_index + i) for i in range(count)]
    started = time.monotonic()
    with ThreadPoolExecutor(1) as side:
        amqp_done = side.submit(amqp.many, bodies[:over_amqp]) if over_amqp else None
        submitted = submitter.many(bodies[over_amqp:])
        if amqp_done:
            submitted += amqp_done.result()
    submit_done = time.monotonic()
    numbers = [n for n, _ in submitted]
    complete = listener.wait_for(WATCHED, numbers, timeout=max(120, count / 5))
    last = max(listener.seen[WATCHED].get(n, time.monotonic()) for n in numbers)
    return {
        "tickets": count,
        "over_amqp": over_amqp,
        "over_http": count - over_amqp,
        "all_watched": complete,
        "watched": sum(n in listener.seen[WATCHED] for n in numbers),
        "submit_per_s": round(count / (submit_done - started), 1),
        "e2e_tickets_per_s": round(count / (last - started), 1),
        "seconds": round(last - started, 2),
    }


def latency_at_rate(submitter, listener, rate, seconds, start_index):
    count = int(rate * seconds)
    begin = time.monotonic() + 0.2
    futures = []
    for i in range(count):
        delay = begin + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(submitter.pool.submit(submitter.post, ticket(start_index + i)))
    submitted = [f.result() for f in futures]
    numbers = [n for n, _ in submitted]
    listener.wait_for(ASSIGNED, numbers, timeout=60)
    latencies = [(listener.seen[ASSIGNED][n] - t) * 1000 for n, t in submitted
                 if n in listener.seen[ASSIGNED]]
    achieved = count / (submitted[-1][1] - submitted[0][1]) if count > 1 else rate
    return {"rate": rate, "tickets": count, "assigned": len(latencies),
            "achieved_rate": round(achieved, 1), **percentiles(latencies)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=3000, help="tickets in the throughput run")
    parser.add_argument("--rate", type=float, default=50, help="tickets/s in the latency run")
    parser.add_argument("--seconds", type=float, default=20, help="length of the latency run")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel HTTP submitters")
    parser.add_argument("--amqp-share", type=float, default=0.5,
                        help="share of the throughput run's tickets sent over the AMQP inbound exchange")
    parser.add_argument("--reference-events", type=int, default=5000)
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args(argv)

    with scratch_vhost() as amqp_uri:
        print(f"broker vhost {amqp_uri.rsplit('/', 1)[-1]}; measuring the reference pair...", flush=True)
        reference = reference_rate(amqp_uri, args.reference_events)
        with local_stack(amqp_uri) as (processes, url, env):
            store = store_label(env)
            print(f"stack up ({store}); warming up...", flush=True)
            meter = ProcessMeter(processes)
            submitter = Submitter(url, args.concurrency)
            amqp = AmqpSubmitter(amqp_uri, api_key(amqp_uri))
            with EventListener(amqp_uri, [ASSIGNED, WATCHED]) as listener:
                throughput(submitter, listener, 100, 0, amqp, args.amqp_share)
                print(f"throughput run: {args.tickets} tickets, {args.amqp_share:.0%} over AMQP...", flush=True)
                run_meter = ProcessMeter(processes, broker=True)
                rates = throughput(submitter, listener, args.tickets, 100, amqp, args.amqp_share)
                per_ticket = run_meter.cpu_ms_per(args.tickets)
                print(f"latency run: {args.rate:.0f}/s for {args.seconds:.0f}s...", flush=True)
                latency = latency_at_rate(submitter, listener, args.rate, args.seconds,
                                          100 + args.tickets)
            cpu, peak = meter.cpu_seconds(), meter.peak_rss_mb()
            total_tickets = 100 + args.tickets + latency["tickets"]

    result = {
        "store": store,
        "tickets_in_store_at_end": total_tickets,
        "e2e_tickets_per_s": rates["e2e_tickets_per_s"],
        "submit_tickets_per_s": rates["submit_per_s"],
        "throughput_run": rates,
        "reference_events_per_s": reference["events_per_s"],
        "e2e_to_reference_ratio": round(rates["e2e_tickets_per_s"] / reference["events_per_s"], 3),
        "latency_at_rate": latency,
        "p99_assign_ms_at_50": latency["p99"],
        "cpu_seconds": cpu,
        "cpu_ms_per_ticket_in_throughput_run": per_ticket,
        "peak_rss_mb": peak,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print_table(result)
    print(f"\nwritten to {args.out}")


def print_table(r):
    lat = r["latency_at_rate"]
    rows = [
        ("store", r["store"]),
        ("end-to-end throughput", f"{r['e2e_tickets_per_s']} tickets/s "
                                  f"({r['throughput_run']['watched']}/{r['throughput_run']['tickets']} watched; "
                                  f"{r['throughput_run']['over_http']} over HTTP, "
                                  f"{r['throughput_run']['over_amqp']} over AMQP)"),
        ("intake accepted", f"{r['submit_tickets_per_s']} tickets/s"),
        ("CPU per ticket (ms)", ", ".join(f"{k} {v}" for k, v in
                                          r["cpu_ms_per_ticket_in_throughput_run"].items())),
        ("reference nameko pair", f"{r['reference_events_per_s']} events/s"),
        ("ratio e2e / reference", r["e2e_to_reference_ratio"]),
        (f"submit->assigned at {lat['rate']:.0f}/s", f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
                                                     f"p99 {lat['p99']} ms ({lat['assigned']}/{lat['tickets']})"),
        ("tickets in store at end", r["tickets_in_store_at_end"]),
    ]
    for name in r["peak_rss_mb"]:
        rows.append((f"{name}", f"CPU {r['cpu_seconds'][name]} s, peak RSS {r['peak_rss_mb'][name]} MB"))
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
