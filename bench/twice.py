"""Every service twice over one store: what the platform does once stays once.

``python -m bench.twice [--tickets 300]`` (and ``tests/chaos/test_twice.py``
at a smaller size) starts two containers of every service in this process,
over one in-memory store (it lives inside a process, so two containers of one
process are how two instances share it here; with a real MongoDB the same
holds for two processes or two pods). Every store call first yields to the
other green threads, so the two instances of a service really interleave
between a read and the write that depends on it -- the in-memory store would
otherwise never switch inside a handler. Then:

* tickets are submitted to both intakes at once: every number is issued once;
* every ticket gets one case and one deadline watch;
* notify's clock jumps past every deadline while both notify instances tick:
  each ladder step (reminder, cards, 督办) is taken once, has one
  ``ticket_escalated`` event (one event id, however often it is delivered),
  and each of its notifications is queued once and delivered once;
* both routing instances are asked to train at the same moment: one model;
* every outbox ends empty.

It prints the accounting; the test asserts it.
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.testing.utils import find_free_port, get_extension  # noqa: E402

from bench.chaos import InProcessStack, Submitter, service_class, ticket_body  # noqa: E402
from bench.harness import EventListener  # noqa: E402
from bench.interleave import interleaving_store  # noqa: E402
from shared.platform.mongo import Store  # noqa: E402

ESCALATED = ("notify", "ticket_escalated")

INSTANCES = 2


class TwinStack(InProcessStack):
    """``INSTANCES`` containers of every service, each with its own HTTP port."""

    def __init__(self, amqp_uri, webhook_url, store_uri=None):
        super().__init__(amqp_uri, store_uri)
        self.config.update(OUTBOX_INTERVAL=0.5, NOTIFY_TICK_INTERVAL=0.3, NOTIFY_DELIVERY_INTERVAL=0.3,
                           HOTLINE_DEMO="1")  # the ladder is climbed by moving the shared clock
        notify = copy.deepcopy(self.config["NOTIFY"])
        notify["contacts"] = {"default": {"webhook": webhook_url("/department")}}
        for index, level in enumerate(notify["ladder"]["levels"], 1):
            level.update(email="", webhook=webhook_url(f"/level{index}"))
        notify["webhook"] = {"secret": "twice-test-secret", "timeout": 5}
        notify["sms"] = {"gateway_url": webhook_url("/sms"), "secret": "twice-test-secret", "timeout": 5}
        notify["delivery"].update(backoff_seconds=0.2, backoff_max_seconds=1, lease_seconds=30,
                                  quiet_hours="00:00-00:00")  # no quiet hours: every SMS goes now
        self.config["NOTIFY"] = notify
        self.urls = {}

    def start(self, name):
        for index in range(INSTANCES):
            config = dict(self.config)
            if config.get(f"{name.upper()}_HTTP"):
                port = find_free_port()
                config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{port}"
                self.urls.setdefault(name, []).append(f"http://127.0.0.1:{port}")
            container = ServiceContainer(service_class(name), config)
            container.start()
            self.containers[f"{name}-{index}"] = container

    def repository(self, name):
        return get_extension(self.containers[f"{name}-0"], Store).repository

    def instances(self, name):
        return [self.containers[f"{name}-{index}"] for index in range(INSTANCES)]


def submit_to_both(stack, count, run):
    """``count`` tickets over HTTP, alternating between the two intakes, 20 at a time;
    ``(numbers accepted, retries the clients needed)``."""
    submitters = [Submitter(url) for url in stack.urls["intake"]]
    pool = eventlet.GreenPool(20)
    for index in range(count):
        pool.spawn_n(submitters[index % len(submitters)].submit,
                     dict(ticket_body(index, run), urgency="urgent"), f"{run}-{index}")
    pool.waitall()
    for submitter in submitters:
        submitter.session.close()
    return ([number for submitter in submitters for number in submitter.accepted],
            sum(submitter.retries for submitter in submitters))


def wait(predicate, timeout, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        eventlet.sleep(step)
    return predicate()


def train_twice(stack):
    """Ask both routing instances to train at once; ``(models trained, answers)``."""
    from hotline.people import cli_context
    from services.routing.learning.synthetic import generate
    from shared.platform.principals import ServiceRpcProxy

    config = {"AMQP_URI": stack.config["AMQP_URI"]}
    with ServiceRpcProxy("routing", config, timeout=120, context_data=cli_context("bench")) as routing:
        routing.import_history([list(row) for row in generate(per_department=6)], "twice", True)
    before = len(stack.repository("routing").learning.models_list(100))
    answers = []

    def train():
        with ServiceRpcProxy("routing", config, timeout=300, context_data=cli_context("bench")) as routing:
            try:
                answers.append(("trained", routing.train()["version"]))
            except Exception as exc:  # RemoteError: another instance holds the lease
                answers.append(("refused", str(exc)[:120]))
    # Straight to each container's own worker, as two instances' timers would.
    threads = [eventlet.spawn(train) for _ in range(INSTANCES)]
    for thread in threads:
        thread.wait()
    return len(stack.repository("routing").learning.models_list(100)) - before, answers


def scenario(stack, count, timeout=120):
    """Run the whole check; returns the accounting (see the module's doc)."""
    from bench.chaos import account

    run = f"twice-{uuid.uuid4().hex[:4]}"
    report = {"instances": INSTANCES, "tickets_sent": count}
    with interleaving_store(), EventListener(stack.config["AMQP_URI"], [ESCALATED]) as listener:
        accepted, retries = submit_to_both(stack, count, run)
        report["client_retries"] = retries  # a 5xx or a refused connection made a client try again
        tickets = stack.repository("intake").tickets
        numbers = [doc["number"] for doc in tickets.find({"title": {"$regex": run}}, {"number": 1})]
        report.update(accepted=len(accepted), numbers_issued=len(numbers),
                      numbers_issued_twice=len(numbers) - len(set(numbers)))
        watches = stack.repository("notify").watches
        wait(lambda: watches.count_documents({"number": {"$in": numbers}}) >= len(set(numbers)), timeout)
        counts = account(stack, accepted)
        report.update({k: counts[k] for k in ("missing_case", "duplicate_case", "missing_watch",
                                              "duplicate_watch")})

        # Past every deadline: the ladder's steps come due on both notify instances at once.
        from hotline.people import cli_context
        from shared.platform.principals import ServiceRpcProxy

        with ServiceRpcProxy("notify", {"AMQP_URI": stack.config["AMQP_URI"]}, timeout=30,
                             context_data=cli_context("bench")) as notify:
            notify.set_clock_offset(12 * 86400, "twice")  # every instance of every service follows
        ladder = stack.repository("notify")

        def settled():
            due = watches.count_documents({"number": {"$in": numbers}, "next_check_at": {"$lte": time_now(ladder)}})
            unsent = ladder.notifications.count_documents(
                {"number": {"$in": numbers}, "status": {"$in": ["queued", "retrying"]}})
            return due == 0 and unsent == 0 and not _outbox_backlog(stack)
        report["settled"] = wait(settled, timeout)
        eventlet.sleep(1.5)  # a late duplicate would arrive by now

        steps = collections.Counter()
        for doc in watches.find({"number": {"$in": numbers}}, {"number": 1, "steps_done": 1}):
            for key in doc.get("steps_done") or ():
                steps[(doc["number"], key)] += 1
        report["steps_taken"] = sum(steps.values())
        report["steps_taken_twice"] = sum(1 for n in steps.values() if n > 1)
        by_step = collections.defaultdict(set)
        deliveries = 0
        for event in listener.bodies[ESCALATED]:
            if event.get("number") in set(numbers):
                by_step[(event["number"], event["level"])].add(event["event_id"])
                deliveries += 1
        report["escalation_events"] = len(by_step)
        report["escalation_deliveries"] = deliveries
        report["steps_with_two_event_ids"] = sum(1 for ids in by_step.values() if len(ids) > 1)
        report["steps_without_event"] = report["steps_taken"] - report["escalation_events"]
        notes = list(ladder.notifications.find({"number": {"$in": numbers}}, {"key": 1, "status": 1}))
        keys = collections.Counter(n["key"] for n in notes)
        report["notifications"] = len(notes)
        report["notifications_by_status"] = dict(collections.Counter(n["status"] for n in notes))
        report["notifications_queued_twice"] = sum(1 for n in keys.values() if n > 1)
        counted = 0
        for container in stack.instances("notify"):
            metrics = getattr(container, "_hotline_metrics", None)
            if metrics is not None:
                counted += sum(sample.value for family in metrics.escalations.collect()
                               for sample in family.samples if sample.name.endswith("_total"))
        report["escalations_counted_by_metrics"] = int(counted)
        report["outbox_backlog"] = _outbox_backlog(stack)
    models, answers = train_twice(stack)
    report["models_trained"] = models
    report["training_answers"] = sorted(kind for kind, _ in answers)
    report["containers_alive"] = all(stack.alive().values())
    return report


def time_now(notify_repository):
    from datetime import timedelta

    from shared.contract.events import utcnow
    from shared.platform.clock import ClockStore

    return utcnow() + timedelta(seconds=ClockStore(notify_repository.settings).read()[0])


def _outbox_backlog(stack):
    total = 0
    for name in ("intake", "routing", "followup", "notify"):
        repo = stack.repository(name)
        total += repo.outbox.collection.count_documents({"outbox.0": {"$exists": True}})
    return total


def delivered_once(webhooks):
    """``(deliveries accepted, notification keys delivered more than once)``."""
    seen = collections.Counter(headers.get("X-Hotline-Delivery") or json.loads(body).get("reference")
                               for path, headers, body, status in webhooks.requests if status == 200)
    return sum(seen.values()), sum(1 for n in seen.values() if n > 1)


def main(argv=None):
    from bench.harness import scratch_vhost
    from tests.service.receivers import WebhookServer

    parser = argparse.ArgumentParser(description="two instances of every service over one store")
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    webhooks = WebhookServer().start()
    try:
        with scratch_vhost("twice") as amqp_uri:
            stack = TwinStack(amqp_uri, webhooks.url)
            stack.start_all()
            try:
                report = scenario(stack, args.tickets, args.timeout)
            finally:
                stack.stop_all()
        report["webhook_deliveries"], report["delivered_twice"] = delivered_once(webhooks)
    finally:
        webhooks.stop()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    bad = (report["numbers_issued_twice"] + report["client_retries"] + report["duplicate_case"] + report["duplicate_watch"]
           + report["steps_taken_twice"] + report["steps_with_two_event_ids"]
           + report["notifications_queued_twice"] + report["delivered_twice"] + abs(report["models_trained"] - 1))
    print("twice: everything done once" if not bad else f"twice: {bad} thing(s) done twice")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
