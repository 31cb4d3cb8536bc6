"""What operations move between queues is taken from its queue only once the broker has it.

A replayed dead letter, and a message moved by a queue migration, go to a queue that
refuses them (full, ``reject-publish``): the broker nacks, and the message must still be
where it was. Without publisher confirms the refusal passes unseen and the message is lost.
"""
import json

import pytest
from amqp.exceptions import MessageNacked
from click.testing import CliRunner
from kombu import Connection

from operate import dead_letters as dead_letter_cli
from operate.dead_letters import DeadLetterQueue
from operate.topology import _move
from shared.contract.topology import DEAD_LETTER_NAME, DEAD_LETTER_QUEUE

pytestmark = pytest.mark.fresh_vhost  # nothing declared before the test (tests/vhosts.py)

REFUSING = {"x-max-length": 0, "x-overflow": "reject-publish"}


def depth(connection, queue, expected=None, timeout=10.0):
    """Messages ready in ``queue``; with ``expected``, waits up to ``timeout`` for that count
    (a closed channel's unacknowledged messages go back to a quorum queue a moment later)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        count = connection.channel().queue_declare(queue, passive=True).message_count
        if expected is None or count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def put(connection, queue, body):
    with Connection(connection.as_uri(include_password=True),
                    transport_options={"confirm_publish": True}) as confirmed:
        confirmed.Producer().publish(body, exchange="", routing_key=queue, content_type="application/json",
                                     content_encoding="utf-8", delivery_mode=2)


@pytest.fixture
def broker(rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        DEAD_LETTER_QUEUE(channel).declare()
        channel.queue_declare("refusing", durable=True, auto_delete=False, arguments=REFUSING)
        channel.queue_declare("taking", durable=True, auto_delete=False)
        yield connection


def letter_for(queue):
    return json.dumps({"payload": {"number": "QD-20261205-00001"}, "reason": "handler failed",
                       "origin": "routing.ticket_assigned", "consumer": "followup", "queue": queue})


def test_a_replay_the_queue_refuses_keeps_the_letter(broker, rabbit_config, monkeypatch):
    put(broker, DEAD_LETTER_NAME, letter_for("refusing"))
    monkeypatch.setattr(dead_letter_cli, "amqp_uri", lambda: rabbit_config["AMQP_URI"])
    answer = CliRunner().invoke(dead_letter_cli.dead_letters, ["replay", "--all"])
    assert answer.exit_code == 1, answer.output
    assert "NOT replayed" in answer.output and "1 kept" in answer.output
    assert depth(broker, DEAD_LETTER_NAME, expected=1) == 1  # still there for a person
    assert depth(broker, "refusing") == 0


def test_a_replay_the_queue_takes_leaves_the_dead_letters(broker, rabbit_config):
    put(broker, DEAD_LETTER_NAME, letter_for("taking"))
    with DeadLetterQueue(rabbit_config["AMQP_URI"]) as dlq:
        for message, letter in list(dlq.scan()):
            dlq.replay(message, letter)
    assert depth(broker, "taking", expected=1) == 1
    assert depth(broker, DEAD_LETTER_NAME) == 0


def test_a_move_the_target_refuses_leaves_the_message_in_its_queue(broker, rabbit_config):
    put(broker, "taking", '{"number": "QD-20261205-00002"}')
    with Connection(rabbit_config["AMQP_URI"], transport_options={"confirm_publish": True}) as moving:
        with pytest.raises(MessageNacked):
            _move(moving, "taking", "refusing")
    assert depth(broker, "taking", expected=1) == 1


def test_a_move_refuses_a_connection_without_confirms(broker, rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as unconfirmed:
        with pytest.raises(ValueError, match="confirm_publish"):
            _move(unconfirmed, "taking", "refusing")
