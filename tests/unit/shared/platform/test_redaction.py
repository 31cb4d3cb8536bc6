"""No API key, token or password reaches a dead letter or a log line."""
import pytest

from shared.platform import logs
from shared.platform.redaction import redact, redact_text

KEY = "hk_Zq3v9xY8wP2kL5mN7bR4tC1dF6gH0jA"


@pytest.mark.parametrize("raw", [
    '{"title": "停水", "api_key": "%s", "source_system": "app"' % KEY,      # JSON cut short
    '{"title": "停水", "api_key": "%s"}' % KEY, "{'api_key': '%s'}" % KEY,
    "api_key=%s&service_code=heating" % KEY, "X-Api-Key: %s" % KEY, "the key %s was used" % KEY,
    "Authorization: Bearer %s" % KEY[3:], '{"password": "%s"}' % KEY[3:], "token=%s" % KEY[3:],
    "amqp://hotline-source-app:%s@broker:5672/" % KEY[3:],
])
def test_a_secret_in_raw_text_is_redacted_by_pattern(raw):
    redacted = redact_text(raw)
    assert KEY[3:] not in redacted and "***" in redacted


def test_a_secret_in_a_payload_is_redacted_by_name_and_the_rest_stays():
    payload = {"title": "停水 2000元", "api_key": KEY, "headers": {"Authorization": "Bearer abc"},
               "nested": [{"password": "p"}], "external_id": "APP-1", "source_system": "app"}
    assert redact(payload) == {"title": "停水 2000元", "api_key": "***", "headers": {"Authorization": "***"},
                               "nested": [{"password": "***"}], "external_id": "APP-1", "source_system": "app"}


def test_ordinary_words_stay():
    for text in ("ticket_count: 3", "tokens were spent", "QD-20261127-00001", "the key is under the mat"):
        assert redact_text(text) == text


def test_a_log_line_never_holds_a_key():
    assert KEY[3:] not in logs.scrub('refused {"api_key": "%s"' % KEY)
    assert KEY[3:] not in logs.scrub("key %s expired" % KEY)
