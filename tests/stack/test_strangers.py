"""Every door of every running service, knocked on as a stranger would.

The stranger holds the broker's password and nothing else (plain nameko and
pika clients, as any AMQP client), or a garbled, expired or lifted signature,
a person without the role, or another service's key. Only the doors declared
public answer; every other RPC is refused with ``NotAllowed``, every forged
event is dead-lettered with the reason, every HTTP route behind a token answers
401; and nothing changed (read back as an administrator). The declarations are
compared with the table in docs/doors.md, so a door loosened in the code and
not in the documented table fails here too.
"""
import inspect
import json
import re
import time
from pathlib import Path

import pika
import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy as UnsignedClusterRpcProxy

from operate.local import SERVICES
from shared.contract.topology import DEAD_LETTER_QUEUE
from shared.platform import doors, identity, principals
from tests.people import context, person

CLASSES = {
    "intake": "services.intake.service:IntakeService",
    "routing": "services.routing.service:RoutingService",
    "followup": "services.followup.service:FollowupService",
    "notify": "services.notify.service:NotifyService",
    "insight": "services.insight.service:InsightService",
    "callcentre": "services.callcentre.service:CallcentreService",
    "console": "services.console.service:ConsoleService",
}
TABLE = Path(__file__).resolve().parents[2] / "docs" / "doors.md"


def service_class(name):
    module, _, cls = CLASSES[name].partition(":")
    return getattr(__import__(module, fromlist=[cls]), cls)


def every_door():
    """``[(service, kind, name, method, allowed)]`` for every entrypoint of every service."""
    return [(service, *door) for service in SERVICES for door in doors.doors_of(service_class(service))]


def described(allowed):
    return "; ".join(a if isinstance(a, str) else a.describe() for a in allowed or ())


def test_the_table_of_doors_in_the_docs_is_the_code_s():
    documented = set()
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in SERVICES:
            documented.add(tuple(cells))
    actual = {(service, kind, name, described(allowed)) for service, kind, name, _, allowed in every_door()}
    assert actual - documented == set(), "declared in the code, not (so) in docs/doors.md (make schemas)"
    assert documented - actual == set(), "in docs/doors.md, not (so) in the code"


def required_args(service, method):
    signature = inspect.signature(getattr(service_class(service), method))
    params = [p for p in list(signature.parameters.values())[1:]
              if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    return ["x"] * len(params)


def rpc_doors():
    return [(service, method, allowed) for service, kind, _, method, allowed in every_door() if kind == "rpc"]


class Stranger:
    """A plain nameko client (no key of the platform's); ``data`` are its context headers."""

    def __init__(self, config):
        self.proxy = UnsignedClusterRpcProxy(config, timeout=15)
        self.cluster = self.proxy.start()

    def knock(self, service, method, args, data):
        self.proxy._worker_ctx.data = dict(data)
        try:
            getattr(getattr(self.cluster, service), method)(*args)
        except RemoteError as exc:
            return exc.exc_type, exc.value
        return "answered", ""


def forged(principal, target, args, *, now=None, config=None):
    keyring = principals.Keyring.from_config(principal, config or {}, warn=False)
    return keyring.sign(target, principals.rpc_digest(args, {}), principals.RPC_TTL_SECONDS, now=now)


def strangers(service, method, allowed, args):
    """``{who: context data}``: every way a stranger might try this RPC."""
    target = f"{service}.{method}"
    staff = context()[identity.CONTEXT_KEY]
    everyone = context(person("全能", identity.ROLES))[identity.CONTEXT_KEY]
    tried = {
        "the broker password alone": {},
        "a staff identity, no service signature": {identity.CONTEXT_KEY: staff},
        "a garbled signature": {principals.CALL_KEY: "garbled.garbled", identity.CONTEXT_KEY: everyone},
        "an expired signature": {principals.CALL_KEY: forged("cli", target, args, now=time.time() - 3600),
                                 identity.CONTEXT_KEY: everyone},
        "a signature lifted from another call": {principals.CALL_KEY: forged("cli", f"{service}.ping", []),
                                                 identity.CONTEXT_KEY: everyone},
        "a signature for other arguments": {principals.CALL_KEY: forged("cli", target, [*args, "y"]),
                                            identity.CONTEXT_KEY: everyone},
    }
    allowed_services = {n for a in allowed if isinstance(a, doors.Services) for n in a.names}
    allowed_roles = {r for a in allowed if isinstance(a, doors.People) for r in a.roles}
    others = [p for p in principals.PRINCIPALS if p not in allowed_services]
    if others:
        tried[f"{others[0]}'s key, no person"] = {principals.CALL_KEY: forged(others[0], target, args)}
        wrong = [r for r in identity.ROLES if r not in allowed_roles]
        if wrong:
            tried[f"a {wrong[0]} through {others[0]}"] = {
                principals.CALL_KEY: forged(others[0], target, args),
                identity.CONTEXT_KEY: context(person("无权者", (wrong[0],), department="HOUSING"))[
                    identity.CONTEXT_KEY]}
    return tried


def test_every_rpc_refuses_strangers_and_only_public_ones_answer(stack):
    stranger = Stranger({"AMQP_URI": stack.env["AMQP_URI"]})
    knock = stranger.knock
    before = state(stack)
    knocked = refused = 0
    public = []
    for service, method, allowed in rpc_doors():
        args = required_args(service, method)
        if any(isinstance(a, doors.Public) for a in allowed):
            assert knock(service, method, args, {})[0] == "answered", f"{service}.{method}"
            public.append(f"{service}.{method}")
            continue
        for who, data in strangers(service, method, allowed, args).items():
            outcome, detail = knock(service, method, args, data)
            knocked += 1
            assert outcome == "NotAllowed", f"{service}.{method} let in {who}: {outcome} {detail}"
            refused += 1
    assert sorted(public) == sorted(f"{s}.ping" for s in SERVICES)
    stranger.proxy.stop()
    assert state(stack) == before, "a stranger changed something"
    print(f"\n{knocked} knocks on {len(rpc_doors())} RPCs: {refused} refused; public: {', '.join(public)}")


def state(stack):
    """What a stranger would most like to change, read as an administrator."""
    return {"keys": stack.rpc("intake", "list_api_keys"),
            "departments": stack.rpc("routing", "list_departments"),
            "tokens": stack.rpc("followup", "list_department_tokens"),
            "clock": stack.rpc("notify", "get_clock")["offset_seconds"],
            "knowledge": stack.rpc("intake", "search_knowledge", "公积金")}


def pika_parameters(amqp_uri):
    return pika.URLParameters(re.sub(r"^pyamqp://", "amqp://", amqp_uri.split(";")[0]))


def dead_letters(amqp_uri):
    letters = []
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        while True:
            method, _, body = channel.basic_get(DEAD_LETTER_QUEUE.name, auto_ack=True)
            if method is None:
                return letters
            letters.append(json.loads(body))


def test_a_forged_event_is_dead_lettered_with_its_reason(stack):
    """A followup event published by a stranger (pika), and one signed with intake's key."""
    uri = stack.env["AMQP_URI"]
    consumers = sorted(s for s, kind, name, _, _ in every_door()
                       if kind == "event" and name == "followup.case_closed")
    payload = {"event_id": "forged-1", "number": "QD-20261205-99999", "department_code": "WATER",
               "closed_at": "2026-12-05T01:00:00+00:00", "occurred_at": "2026-12-05T01:00:00+00:00",
               "schema_version": 1}
    other = dict(payload, event_id="forged-2")
    intake_key = principals.Keyring.from_config("intake", {}, warn=False)
    with pika.BlockingConnection(pika_parameters(uri)) as connection:
        channel = connection.channel()
        # Confirmed, as a publisher that cares must: unconfirmed, a message still pending in
        # the channel's quorum-queue client when the connection closes at once is lost.
        channel.confirm_delivery()
        for body, headers in ((payload, {}), (other, {"nameko.hotline_call": intake_key.sign(
                "followup.case_closed", principals.digest(other), 60)})):
            channel.basic_publish("followup.events", "case_closed", json.dumps(body),
                                  pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                       headers=headers))
    found = {}
    deadline = time.time() + 90  # a loaded machine; it stops as soon as every letter is in
    while time.time() < deadline and len(found) < 2 * len(consumers):
        for letter in dead_letters(uri):
            event_id = (letter.get("payload") or {}).get("event_id")
            if event_id in ("forged-1", "forged-2"):
                found[(letter["consumer"], event_id)] = letter["reason"]
        time.sleep(0.5)
    expected = {}
    for consumer in consumers:
        expected[(consumer, "forged-1")] = "refused at the door: the call is not signed by any service"
        expected[(consumer, "forged-2")] = "refused at the door: intake is not followup"
    assert found == expected
    for _consumer in consumers:  # nothing was applied: intake never heard of the number
        assert stack.rpc("intake", "get_ticket", "QD-20261205-99999") is None


def test_http_routes_behind_a_token_answer_strangers_401(stack):
    base = {"followup": f"http://{stack.env['FOLLOWUP_HTTP']}"}
    routes = [(service, name) for service, kind, name, _, allowed in every_door()
              if kind == "http" and any(isinstance(a, doors.Bearer) for a in allowed)]
    assert routes, "no route behind a token?"
    for service, name in routes:
        method, url = name.split(" ", 1)
        path = re.sub(r"<[^>]+>", "QD-20261205-00001", url)
        for headers in ({}, {"Authorization": ""}, {"Authorization": "Bearer"},
                        {"Authorization": "Bearer " + "x" * 40}, {"Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},
                        {"X-Department-Token": "x" * 40}):
            response = requests.request(method, base[service] + path, headers=headers, timeout=10)
            assert response.status_code == 401, (name, headers, response.status_code, response.text)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_without_the_gate_or_a_declaration_does_not_start(service):
    """The gate's own check, on the real classes: remove one declaration and setup refuses."""
    cls = service_class(service)
    rpc = [method for kind, _, method, _ in doors.doors_of(cls) if kind == "rpc"]
    stripped = type(cls.__name__, (cls,), {})
    original = getattr(cls, rpc[0])
    bare = lambda self, *a, **k: original(self, *a, **k)  # noqa: E731
    bare.nameko_entrypoints = original.nameko_entrypoints
    setattr(stripped, rpc[0], bare)
    assert doors.declared(stripped, rpc[0]) is None
    from nameko.containers import ServiceContainer

    container = ServiceContainer(stripped, {"AMQP_URI": "memory://"})
    gate = next(d for d in container.dependencies if isinstance(d, doors.Doors))
    with pytest.raises(doors.DoorUndeclared, match=rpc[0]):
        gate.setup()
    real = ServiceContainer(cls, {"AMQP_URI": "memory://"})  # the gate starts the real class
    next(d for d in real.dependencies if isinstance(d, doors.Doors)).setup()


def table():
    """docs/doors.md: ``python -m tests.stack.test_strangers > docs/doors.md`` (``make schemas``)."""
    lines = ["# Every door, and who may pass it", "",
             "Generated from the code's declarations (`make schemas`); `tests/stack/test_strangers.py`",
             "fails when the code and this table differ, and knocks on every door as a stranger.",
             "How the doors are checked: [security.md](security.md#deny-by-default).", "",
             "| service | kind | entrypoint | who may pass |", "| --- | --- | --- | --- |"]
    for service, kind, name, _, allowed in every_door():
        lines.append(f"| {service} | {kind} | `{name}` | {described(allowed)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
