"""Production mode refuses what is fine only on a laptop."""
import subprocess
import sys

import pytest

from shared.platform.config import load_config
from shared.platform.production import RefusedToStart, check, problems

FIT = {"HOTLINE_ENV": "production", "AMQP_URI": "amqp://hotline:s3cret@rabbit:5672/",
       "MONGO_URI": "mongodb://mongo:27017/", "SECRET_KEY": "k-9f8e7d6c",
       "NOTIFY": {"webhook": {"secret": "w-1a2b"}, "sms": {"gateway_url": "https://sms.example/send",
                                                            "secret": "s-3c4d"},
                  "contacts": {"default": {"webhook": "https://dept.example/hook"}}}}


def test_a_fit_configuration_starts():
    assert problems(FIT) == []
    check(FIT)


@pytest.mark.parametrize("change,expected", [
    ({"SECRET_KEY": "change-me"}, "SECRET_KEY is the default secret"),
    ({"NOTIFY": dict(FIT["NOTIFY"], sms={"gateway_url": "https://sms.example", "secret": "change-me"})},
     "NOTIFY.sms.secret is the default secret"),
    ({"AMQP_URI": "amqp://guest:guest@rabbit:5672/"}, "guest user"),
    ({"MONGO_URI": "memory://"}, "in-memory store"),
    ({"NOTIFY": dict(FIT["NOTIFY"], webhook={"secret": ""})}, "WEBHOOK_SECRET is empty"),
    ({"NOTIFY": dict(FIT["NOTIFY"], sms={"gateway_url": "https://sms.example", "secret": ""})},
     "SMS_GATEWAY_SECRET is empty"),
])
def test_each_unfit_setting_is_named(change, expected):
    with pytest.raises(RefusedToStart, match=expected):
        check(dict(FIT, **change))
    check(dict(FIT, HOTLINE_ENV="development", **change))  # development starts anyway


def test_the_shipped_defaults_are_refused_in_production():
    found = problems(dict(load_config(), HOTLINE_ENV="production"))
    assert any("SECRET_KEY" in p for p in found) and any("in-memory" in p for p in found)
    assert any("WEBHOOK_SECRET" in p or "webhook.secret" in p for p in found)


def test_a_service_refuses_to_start_with_a_clear_message():
    run = subprocess.run([sys.executable, "-m", "operate.serve", "services.intake.service"],
                         capture_output=True, text=True, timeout=60,
                         env={"HOTLINE_ENV": "production", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2
    assert "refusing to start" in run.stderr and "change-me" in run.stderr and "in-memory" in run.stderr
