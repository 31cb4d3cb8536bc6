"""`hotline dead-letters show` never prints a key, even of a letter the broker wrote."""
import contextlib

from click.testing import CliRunner

from operate import dead_letters

KEY = "hk_Zq3v9xY8wP2kL5mN7bR4tC1dF6gH0jA"
LETTER = {"id": "abc123", "kind": "broker", "consumer": "intake", "origin": "ticket.submit",
          "reason": "delivery_limit after 5 deliveries", "dead_lettered_at": None,
          "queue": "hotline.inbound.ticket_submit",
          "payload": {"text": '{"title": "停水", "api_key": "%s", ' % KEY},
          "message_headers": {"api_key": KEY}}


def test_show_redacts_the_payload_and_headers_of_a_broker_letter(monkeypatch):
    class Queue:
        def __init__(self, uri):
            pass

        def scan(self):
            yield None, dict(LETTER)

    monkeypatch.setattr(dead_letters, "DeadLetterQueue", lambda uri: contextlib.nullcontext(Queue(uri)))
    monkeypatch.setattr(dead_letters, "amqp_uri", lambda: "amqp://x")
    shown = CliRunner().invoke(dead_letters.dead_letters, ["show", "abc123"])
    assert shown.exit_code == 0, shown.output
    assert KEY[3:] not in shown.output and "停水" in shown.output
