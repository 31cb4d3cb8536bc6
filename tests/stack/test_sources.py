"""Another system through its own door: `hotline sources` and a plain pika client.

Each test makes uniquely named sources on the shared broker and deletes their
users afterwards, whatever happens.
"""
import json
import time
import uuid

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker, ProbableAuthenticationError

from examples.submit_over_amqp import SAMPLE, submit
from shared.platform.broker_admin import BrokerAdmin, source_user, vhost_of
from tests.conftest import _backends


@pytest.fixture(scope="module")
def stack(another_stack):
    """The second shared stack: the example script's sample ticket, posted here again and again, is the
    one test_intake_channels posts: on its stack one would be linked to the other."""
    return another_stack


@pytest.fixture
def sources(stack):
    """``make(name)`` runs ``hotline sources create``; every user made is deleted at the end."""
    admin = BrokerAdmin(stack.env["BROKER_MANAGEMENT_URI"], vhost_of(stack.env["AMQP_URI"]))
    made = []

    def make(prefix="test", name=None):
        name = name or f"{prefix}-{uuid.uuid4().hex[:8]}"
        made.append(name)
        created = stack.hotline("sources", "create", name, "--json")
        assert created.returncode == 0, created.stderr
        return json.loads(created.stdout)

    yield make
    for name in made:
        admin.close_source(name)
    assert not [name for name in made if admin.user_exists(source_user(name))]


@pytest.fixture(scope="module", autouse=True)
def management_uri(stack):
    stack.env["BROKER_MANAGEMENT_URI"] = _backends.get("rabbit_api") or "http://guest:guest@127.0.0.1:15672/"


def listed(stack, user, timeout=15.0):
    """Until the management API lists ``user``'s connection: it does with its next
    statistics (every 5 s by default), and revoking closes only the listed ones."""
    admin = BrokerAdmin(stack.env["BROKER_MANAGEMENT_URI"], vhost_of(stack.env["AMQP_URI"]))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.get("user") == user for c in admin._call("GET", f"/vhosts/{admin._v()}/connections") or []):
            return
        time.sleep(0.2)
    raise AssertionError(f"the management API never listed {user}'s connection")


def submission(source, **extra):
    return dict(SAMPLE, source_system=source["name"], api_key=source["api_key"],
                external_id=f"{source['name']}-{uuid.uuid4().hex[:6]}", **extra)


def refused(uri, act):
    """Run ``act(channel)`` as the source's user; the broker's refusal, or None."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        act(channel)
        return None
    except ChannelClosedByBroker as exc:
        return exc
    finally:
        if connection.is_open:
            connection.close()


def test_a_source_submits_and_reads_its_receipts_and_nothing_else(stack, sources):
    mine, theirs = sources(), sources()
    receipt = submit(mine["amqp_uri"], submission(mine), mine["name"], receipts_queue=mine["receipts_queue"])
    assert receipt and receipt["accepted"] and receipt["number"].startswith("QD-")
    assert submit(theirs["amqp_uri"], submission(theirs), theirs["name"],
                  receipts_queue=theirs["receipts_queue"])["accepted"]

    uri = mine["amqp_uri"]
    attempts = {
        "call an RPC": lambda ch: ch.basic_publish("nameko-rpc", "intake.create_api_key", b"{}"),
        "fake an event": lambda ch: ch.basic_publish("followup.events", "case_closed", b"{}"),
        "use the default exchange": lambda ch: ch.basic_publish("", "hotline.inbound.ticket_submit", b"{}"),
        "forge a receipt": lambda ch: ch.basic_publish("hotline.inbound", f"ticket.receipt.{theirs['name']}", b"{}"),
        "read another system's receipts": lambda ch: ch.basic_get(theirs["receipts_queue"]),
        "read the dead letters": lambda ch: ch.basic_get("hotline.dead_letters"),
        "read intake's inbound queue": lambda ch: ch.basic_get("hotline.inbound.ticket_submit"),
        "declare a queue of its own": lambda ch: ch.queue_declare("", exclusive=True),
        "bind to its neighbour's key": lambda ch: ch.queue_bind(mine["receipts_queue"], "hotline.inbound",
                                                                f"ticket.receipt.{theirs['name']}"),
    }
    for what, act in attempts.items():
        refusal = refused(uri, act)
        assert refusal is not None and refusal.reply_code == 403, f"{what}: not refused"
    assert refused(uri, lambda ch: ch.basic_get(mine["receipts_queue"])) is None


def test_rotate_replaces_key_and_password_under_the_same_name(stack, sources):
    source = sources()
    rotated = stack.hotline("sources", "rotate", source["name"], "--json")
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)
    assert new["name"] == source["name"] and new["api_key"] != source["api_key"]

    with pytest.raises(ProbableAuthenticationError):
        pika.BlockingConnection(pika.URLParameters(source["amqp_uri"]))
    old_key = submit(new["amqp_uri"], submission(source), source["name"], receipts_queue=new["receipts_queue"])
    assert not old_key["accepted"] and "api_key" in old_key["errors"]
    fresh = submit(new["amqp_uri"], submission(new), new["name"], receipts_queue=new["receipts_queue"])
    assert fresh["accepted"]


def test_revoke_closes_the_door_and_the_name_can_be_used_again(stack, sources):
    source = sources()
    held = pika.BlockingConnection(pika.URLParameters(source["amqp_uri"]))
    listed(stack, source_user(source["name"]))
    revoked = stack.hotline("sources", "revoke", source["name"])
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(Exception):  # noqa: B017 - the broker closes the connection; pika says it several ways
        held.channel().basic_publish("hotline.inbound", "ticket.submit", b"{}")
        held.process_data_events(1)
    with pytest.raises(ProbableAuthenticationError):
        pika.BlockingConnection(pika.URLParameters(source["amqp_uri"]))

    again = stack.hotline("sources", "create", source["name"], "--json")
    assert again.returncode == 0, again.stderr
    back = json.loads(again.stdout)
    assert submit(back["amqp_uri"], submission(back), back["name"], receipts_queue=back["receipts_queue"])["accepted"]


def test_a_source_is_known_by_its_broker_user_not_by_what_its_body_says(stack, sources):
    mine, theirs = sources(), sources()
    # Naming the other system, with either key: refused, and the receipt comes back to the sender only.
    for key in (mine["api_key"], theirs["api_key"]):
        posing = dict(submission(theirs), api_key=key)
        receipt = submit(mine["amqp_uri"], posing, mine["name"], receipts_queue=mine["receipts_queue"])
        assert receipt is not None and not receipt["accepted"] and "source_system" in receipt["errors"]
        assert receipt["source_system"] == mine["name"]
    connection = pika.BlockingConnection(pika.URLParameters(theirs["amqp_uri"]))
    try:
        assert connection.channel().basic_get(theirs["receipts_queue"], auto_ack=True)[0] is None
    finally:
        connection.close()
    # Without user_id the broker cannot vouch for the publisher: no receipt at all.
    connection = pika.BlockingConnection(pika.URLParameters(mine["amqp_uri"]))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("hotline.inbound", "ticket.submit", json.dumps(submission(mine)).encode())
        # Claiming another broker user is refused by RabbitMQ itself.
        with pytest.raises(ChannelClosedByBroker):
            channel.basic_publish("hotline.inbound", "ticket.submit", json.dumps(submission(theirs)).encode(),
                                  pika.BasicProperties(user_id=source_user(theirs["name"])))
    finally:
        if connection.is_open:
            connection.close()
    time.sleep(1.5)
    connection = pika.BlockingConnection(pika.URLParameters(mine["amqp_uri"]))
    try:
        assert connection.channel().basic_get(mine["receipts_queue"], auto_ack=True)[0] is None
    finally:
        connection.close()


def test_what_a_source_can_learn_of_another_queue_is_a_count_and_nothing_personal(stack, sources):
    """RabbitMQ checks no permission on a passive queue.declare: a source can read the
    depth and consumer count of a queue whose name it knows (docs/security.md), but
    neither consume nor get from it."""
    mine = sources()
    connection = pika.BlockingConnection(pika.URLParameters(mine["amqp_uri"]))
    try:
        declared = connection.channel().queue_declare("rpc-intake", passive=True)
        assert set(vars(declared.method)) <= {"queue", "message_count", "consumer_count"}
    except ChannelClosedByBroker as exc:
        assert exc.reply_code in (403, 404)
    finally:
        if connection.is_open:
            connection.close()
    assert refused(mine["amqp_uri"], lambda ch: ch.basic_get("rpc-intake")).reply_code == 403


def test_a_source_learns_its_ticket_was_dispatched_replied_and_closed(stack, sources):
    """Progress receipts (docs/intake.md): a pika client submits as a source and reads, on
    its own receipts queue, dispatched, replied and closed for its ticket, once each."""
    import requests

    source = sources("app")
    ticket = submission(source, title="松岭路小区停水一天了", district="崂山区", address="松岭路 66 号",
                        description="崂山区松岭路小区从昨天早上开始停水，物业说不清什么时候来水。",
                        caller_name="赵敏", caller_phone=f"1370532{uuid.uuid4().int % 10000:04d}")
    receipt = submit(source["amqp_uri"], ticket, source["name"], receipts_queue=source["receipts_queue"])
    assert receipt and receipt["accepted"], receipt
    number = receipt["number"]
    connection = pika.BlockingConnection(pika.URLParameters(source["amqp_uri"]))
    got = []

    def until(kind, timeout=60.0):
        # Generous: on a loaded two-core machine the services' steps can lag by seconds.
        deadline = time.monotonic() + timeout
        channel = connection.channel()
        while time.monotonic() < deadline:
            method, _, body = channel.basic_get(source["receipts_queue"], auto_ack=True)
            if method is None:
                connection.sleep(0.1)
                continue
            got.append(json.loads(body))
            if got[-1].get("kind") == kind:
                return got[-1]
        raise AssertionError(f"no {kind} receipt in {timeout:.0f} s; got {got}; the ticket: {stack.get(number)}; "
                             f"the services said:\n{stack.said_about(number)}")

    try:
        dispatched = until("dispatched")
        assert dispatched["number"] == number and dispatched["external_id"] == ticket["external_id"]
        department = dispatched["department"]["code"]
        assert dispatched["department"]["name"] and dispatched["deadline"]
        stack.wait_until(number, lambda v: v["case_opened"], timeout=30)
        token = stack.hotline("case", "token", "create", department)
        assert token.returncode == 0, token.stderr
        url = f"http://{stack.env['FOLLOWUP_HTTP']}/cases/{number}"
        auth = {"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"}
        reply = "经查，松岭路小区停水系加压泵故障，已于当天修复并恢复供水，已在小区张贴通知。"
        assert requests.post(f"{url}/sign-for", json={"actor": "张工"}, headers=auth, timeout=10).ok
        assert requests.post(f"{url}/reply", json={"text": reply}, headers=auth, timeout=10).ok
        approved = stack.hotline("case", "review", number, "--approve", "--by", "李审核")
        assert approved.returncode == 0, approved.stdout + approved.stderr
        replied = until("replied")
        assert replied["reply"] == reply
        closed = stack.hotline("case", "callback", number, "--reached", "--resolved",
                               "--satisfaction", "satisfied", "--by", "王回访")
        assert closed.returncode == 0, closed.stdout + closed.stderr
        done = until("closed")
        assert done["outcome"] == "resolved" and done["number"] == number
        time.sleep(1.0)  # anything sent twice would be here by now
        while (message := connection.channel().basic_get(source["receipts_queue"], auto_ack=True))[0]:
            got.append(json.loads(message[2]))
    finally:
        connection.close()
    assert [r.get("kind") for r in got if r.get("kind")] == ["dispatched", "replied", "closed"]
    said = json.dumps(got, ensure_ascii=False)
    assert ticket["caller_phone"] not in said and "赵敏" not in said


def test_a_pbx_reports_calls_on_its_own_door_in_any_order(stack, sources):
    """callcentre's AMQP door, as a PBX's plain pika client with its own broker user uses it:
    a call's events out of order and one twice make one record; a source that is no source
    of calls, and garbage, are dead-lettered with the reason."""
    pbx = sources(name=stack.env["CALLCENTRE_CALL_SOURCES"].split(",")[1])
    other = sources()
    call_id, refused_id = f"pbx-{uuid.uuid4().hex[:8]}", f"pbx-{uuid.uuid4().hex[:8]}"
    now = time.time()

    def at(seconds_ago):
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - seconds_ago))

    call = {"from": "13905327777", "to": "12345", "direction": "in", "callId": call_id}
    hangup = dict(call, event="hangup", cause="normalClearing", at=at(100))
    events = [hangup, dict(call, event="answer", answeringNumber="op-amqp", at=at(290)),
              dict(call, event="newCall", at=at(300), **{"user[]": "op-amqp"}), hangup]

    def publish(source, bodies):
        connection = pika.BlockingConnection(pika.URLParameters(source["amqp_uri"]))
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            for body in bodies:
                channel.basic_publish("hotline.inbound", "call.event",
                                      body if isinstance(body, bytes) else json.dumps(body).encode(),
                                      pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                           user_id=source_user(source["name"])))
        finally:
            connection.close()

    publish(pbx, events + [b"\xff not json"])
    publish(other, [dict(call, callId=refused_id, event="newCall", at=at(60))])
    deadline, record = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        record = stack.rpc("callcentre", "get_call", call_id)
        # the events may be handled in any order: the first hangup alone reads as abandoned, and
        # an answer and a hangup before the newCall as answered at once, with no wait; the
        # newCall is folded in once the users it rang for show
        if record and record["ended_at"] and record["outcome"] == "answered" and record["users"]:
            break
        time.sleep(0.3)
    assert record is not None and record["outcome"] == "answered" and record["agent"] == "op-amqp"
    assert (record["wait_seconds"], record["talk_seconds"]) == (10, 190)

    letters, deadline = [], time.monotonic() + 30
    with pika.BlockingConnection(pika.URLParameters(stack.env["AMQP_URI"].split(";")[0]
                                                    .replace("pyamqp://", "amqp://"))) as connection:
        channel = connection.channel()
        while len(letters) < 2 and time.monotonic() < deadline:
            method, _, body = channel.basic_get("hotline.dead_letters", auto_ack=True)
            if method is None:
                time.sleep(0.2)
                continue
            letter = json.loads(body)
            if letter.get("origin") == "inbound.call_event":
                letters.append(letter["reason"])
    assert sorted(reason.split(": ", 1)[1][:24] for reason in letters) == [
        "the body is not UTF-8 te", "the publisher is no sour"], letters
    assert "13905327777" not in json.dumps(letters)
    assert stack.rpc("callcentre", "get_call", refused_id) is None
