"""Arbitrary JSON at every door of intake: a ticket or a clear error, never a crash or a 5xx."""
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kombu import Connection, Exchange, Producer, Queue
from nameko.exceptions import RemoteError

from services.intake.entrypoints.inbound import INBOUND_EXCHANGE
from services.intake.service import IntakeService
from shared.platform.messaging import DEAD_LETTER_QUEUE
from shared.platform.principals import ServiceRpcProxy
from tests.people import context

FIELDS = ["title", "description", "caller_name", "caller_phone", "category", "district", "street",
          "address", "lat", "lng", "urgency", "channel", "caller_email", "media_url", "source_system",
          "external_id", "service_code", "long", "address_string", "phone", "email", "api_key"]
GOOD_VALUES = {"title": "小区停水", "district": "崂山区", "urgency": "urgent", "caller_phone": "13853212345",
               "category": "heating", "service_code": "heating", "lat": 36.1, "lng": 120.4, "long": 120.4,
               "channel": "web", "source_system": "city-app"}

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
# Mostly objects with the fields intake reads, some plausible values, some garbage.
field_values = st.one_of(json_values, st.sampled_from(list(GOOD_VALUES.values())), st.text(min_size=2, max_size=10))
requests = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=8),
    st.builds(lambda extra: {**GOOD_VALUES, **extra}, st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=3)),
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


class Intake:
    """The RPC proxy, safe for hypothesis to print (it looks up ``_repr_pretty_``)."""

    def __init__(self, proxy):
        self._proxy = proxy

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._proxy, name)

    def __repr__(self):
        return "<intake RPC>"


@pytest.fixture
def intake(start_service, service_config):
    start_service(IntakeService)
    # an operator signed in (tests/people.py), through a service that may ask for contacts,
    # so the fuzzed arguments are what is refused
    with ServiceRpcProxy("intake", service_config, context_data=context(config=service_config),
                         principal="followup") as proxy:  # followup may read a contact
        yield Intake(proxy)


@FUZZ
@given(body=requests)
def test_post_tickets_answers_a_ticket_or_field_errors(intake, web_session, body):
    response = web_session.post("/tickets", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 201, 400, 403), response.text
    answer = response.json()
    assert ("number" in answer) if response.status_code < 400 else isinstance(answer["errors"], dict)


@pytest.fixture
def api_key(intake):
    return intake.create_api_key("fuzz")["key"]


@FUZZ
@given(body=requests, as_form=st.booleans())
def test_open311_post_answers_a_request_or_spec_errors(intake, api_key, web_session, body, as_form):
    if isinstance(body, dict) and "api_key" not in body:
        body = dict(body, api_key=api_key)
    if as_form and isinstance(body, dict):
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items() if isinstance(k, str)}
        response = web_session.post("/open311/v2/requests.json", data=form)
    else:
        response = web_session.post("/open311/v2/requests.json", data=json.dumps(body),
                                    headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 201, 400, 403, 404), response.text
    answer = response.json()
    assert isinstance(answer, list) and answer
    if response.status_code < 400:
        assert answer[0]["service_request_id"].startswith("QD-")
    else:
        assert all(set(e) == {"code", "description"} and e["description"] for e in answer)


@FUZZ
@given(body=requests)
def test_rpc_submit_returns_a_ticket_or_validation_failed(intake, body):
    try:
        ticket = intake.submit_ticket(body)
    except RemoteError as exc:
        assert exc.exc_type == "ValidationFailed", exc
        assert isinstance(json.loads(exc.value), dict)
    else:
        assert ticket["number"].startswith("QD-")


def test_every_inbound_message_ends_in_a_receipt_or_the_dead_letters(intake, rabbit_config):
    """Arbitrary bodies (JSON and not) published with kombu: none lost, the consumer keeps going."""
    key = intake.create_api_key("city-app")["key"]  # GOOD_VALUES' source_system
    accepted, letters = [], []
    with Connection(rabbit_config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        receipts = Queue("fuzz.receipts", exchange=INBOUND_EXCHANGE, routing_key="ticket.receipt.#",
                         exclusive=True)(connection.default_channel)
        receipts.declare()
        DEAD_LETTER_QUEUE(connection.default_channel).declare()
        producer = Producer(connection.default_channel, exchange=Exchange("hotline.inbound", type="topic", durable=True))

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body=requests, raw=st.binary(max_size=40), use_raw=st.booleans(), with_key=st.booleans())
        def publish(body, raw, use_raw, with_key):
            if isinstance(body, dict) and with_key:
                body = dict(body, api_key=key, external_id=str(len(sent)))
            data = raw if use_raw else json.dumps(body).encode()
            producer.publish(data, routing_key="ticket.submit", content_type="application/json",
                             content_encoding="binary", user_id=connection.userid)
            sent.append(data)

        sent = []
        publish()
        deadline = time.monotonic() + 30
        while len(accepted) + len(letters) < len(sent) and time.monotonic() < deadline:
            message = receipts.get(no_ack=True)
            if message is not None:
                receipt = json.loads(message.body)
                if receipt["accepted"]:
                    accepted.append(receipt)
                continue
            letter = connection.default_channel.basic_get(DEAD_LETTER_QUEUE.name, no_ack=True)
            if letter is not None:
                letters.append(json.loads(letter.body))
                continue
            time.sleep(0.05)
    assert len(accepted) + len(letters) == len(sent)
    assert all(letter["origin"] == "inbound.ticket_submit" and letter["reason"] for letter in letters)
    assert intake.ping() == "intake"


ARITY = {"answer_ticket": 2, "unlink_ticket": 1, "get_ticket": 1, "get_citizen_contact": 1,
         "create_api_key": 1, "revoke_api_key": 1, "import_knowledge": 1, "search_knowledge": 2,
         "knowledge_feedback": 3, "knowledge_entries": 3, "knowledge_entry": 1, "save_knowledge_draft": 2,
         "submit_knowledge_entry": 1, "decide_knowledge_entry": 3}
calls = st.sampled_from(sorted(ARITY)).flatmap(
    lambda method: st.tuples(st.just(method), st.lists(json_values, min_size=ARITY[method], max_size=ARITY[method])))


@FUZZ
@given(call=calls)
def test_every_rpc_answers_or_refuses_by_field(intake, call):
    method, args = call
    try:
        getattr(intake, method)(*args)
    except RemoteError as exc:
        assert exc.exc_type == "ValidationFailed", exc
        assert isinstance(json.loads(exc.value), dict)
