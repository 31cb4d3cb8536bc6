"""Hypothesis-generated garbage for every queue the services consume.

Used by ``make chaos`` (and its smaller run in ``make test``): JSON of every
shape, near-miss events carrying the contract's field names with wrong
values, and undecodable bytes, published to each consumer queue while valid
tickets flow. Every piece must end in the dead-letter queue.
"""
import eventlet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kombu import Connection

from shared.contract.events import CONTRACT

FIELD_NAMES = sorted({name for schema in CONTRACT.values() for name in schema().fields})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8)
near_misses = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, min_size=1, max_size=8)
undecodable = st.binary(min_size=1, max_size=40).filter(lambda b: not _is_json(b)).map(lambda b: ("bytes", b))
# JSON nested past what a recursive decoder takes (Python's json gives up near 1,000
# levels): a 2 KB body of this kind once spun a consumer for ever.
deep = st.tuples(st.integers(min_value=200, max_value=20000), st.sampled_from(["list", "object"])).map(
    lambda t: ("bytes", b"[" * t[0] + b"]" * t[0] if t[1] == "list"
               else b'{"number":' * t[0] + b"1" + b"}" * t[0]))
garbage = st.one_of(json_values.map(lambda v: ("json", v)), near_misses.map(lambda v: ("json", v)),
                    undecodable, deep)


def _is_json(raw):
    import json

    try:
        json.loads(raw)
        return True
    except ValueError:
        return False


def generate(count):
    found = []

    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(garbage)
    def collect(item):
        found.append(item)

    collect()
    while len(found) < count:  # hypothesis may stop early on a small space
        found.extend(found[: count - len(found)])
    return found[:count]


def consumer_queues(amqp_uri=None):
    """Every queue the services consume from (not the dead letters): the topology's."""
    from shared.contract import topology

    manifest = topology.load_manifest()
    return sorted([entry["queue"] for entry in manifest["event_queues"] + manifest["queues"]]
                  + [f"rpc-{service}" for service in manifest["rpc_services"]])


def publish_garbage(amqp_uri, queues, per_queue):
    items = generate(per_queue)
    # Confirmed: the count of dead letters expected is the count published.
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for queue in queues:
            for kind, value in items:
                if kind == "bytes":
                    producer.publish(value, exchange="", routing_key=queue,
                                     content_type="application/json", content_encoding="binary")
                else:
                    producer.publish(value, exchange="", routing_key=queue, serializer="json")
            eventlet.sleep(0)
    return len(queues) * per_queue


def flood(stack, per_queue, tickets, timeout):
    """Garbage on every consumer queue while ``tickets`` valid ones flow."""
    import uuid

    from bench.chaos import dead_letter_count, difference, repairs_so_far, run_traffic, settle, wait_while_moving

    amqp_uri = stack.config["AMQP_URI"]
    dead_before = dead_letter_count(amqp_uri)
    repairs_before = repairs_so_far(stack)
    queues = consumer_queues(amqp_uri)
    sent_garbage = []
    run = f"malformed-{uuid.uuid4().hex[:4]}"
    submitter, burst, in_flight = run_traffic(
        stack, tickets, run,
        lambda: sent_garbage.append(eventlet.spawn(publish_garbage, amqp_uri, queues, per_queue)))
    garbage_count = sent_garbage[0].wait()
    # The tickets' events queue behind the garbage: first wait for the garbage to drain
    # (as long as it keeps draining), then for the tickets.
    drained_seconds = wait_while_moving(
        lambda: garbage_count - (dead_letter_count(amqp_uri) - dead_before), timeout, ceiling=None)
    dead = dead_letter_count(amqp_uri) - dead_before
    report = settle(stack, submitter, burst, timeout, repairs_before)
    report["garbage_drained_seconds"] = drained_seconds
    report.update(scenario="malformed", sent=tickets, in_flight_at_fault=in_flight,
                  over_amqp=len(burst.external_ids), client_retries=submitter.retries,
                  garbage_sent=garbage_count, queues=len(queues), dead_lettered=dead,
                  containers_alive=all(stack.alive().values()))
    report.update(over_the_limit=redelivered_past_limit(amqp_uri, queues, stack.config))
    report["difference"] = difference(report, tickets, garbage_count) + report["over_the_limit"]
    return report


def redelivered_past_limit(amqp_uri, queues, config):
    """Messages still in the services' queues that were delivered more than the limit."""
    from shared.contract.topology import delivery_limit

    limit = delivery_limit(config)
    over = 0
    with Connection(amqp_uri) as connection:
        for queue in queues:
            channel = connection.channel()
            while True:  # read without acknowledging; closing the channel gives them back
                message = channel.basic_get(queue, no_ack=False)
                if message is None:
                    break
                over += int((message.headers or {}).get("x-delivery-count") or 0) > limit
            channel.close()
    return over
