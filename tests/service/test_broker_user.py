"""The services' own broker user (python -m operate.broker_user), on the real broker."""
import subprocess
import sys
import uuid
from urllib.parse import urlparse

import pytest
import requests
from kombu import Connection

from operate.broker_user import api_base, ensure_user

pytestmark = pytest.mark.fresh_vhost  # nothing declared before the test (tests/vhosts.py)


@pytest.fixture
def api(request):
    return request.config.getoption("RABBIT_API_URI")


@pytest.fixture
def user(api):
    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    yield name
    base, auth = api_base(api)
    requests.delete(f"{base}/api/users/{name}", auth=auth, timeout=10)


def vhost_of(rabbit_config):
    return urlparse(rabbit_config["AMQP_URI"]).path.lstrip("/")


def amqp_as(rabbit_config, user, password):
    parts = urlparse(rabbit_config["AMQP_URI"])
    return f"amqp://{user}:{password}@{parts.hostname}:{parts.port or 5672}/{vhost_of(rabbit_config)}"


def test_the_services_user_can_use_its_vhost_and_a_second_run_rotates_its_password(api, user, rabbit_config):
    vhost = vhost_of(rabbit_config)
    ensure_user(api, user, "first-password-1", vhost)
    with Connection(amqp_as(rabbit_config, user, "first-password-1")) as connection:
        connection.channel().queue_declare("broker-user-test", auto_delete=True)
    ensure_user(api, user, "second-password-2", vhost)  # idempotent: rotates the password
    with pytest.raises(Exception):  # noqa: B017 - refused at login, whichever way the client says it
        with Connection(amqp_as(rabbit_config, user, "first-password-1"), connect_timeout=3) as connection:
            connection.connect()
    with Connection(amqp_as(rabbit_config, user, "second-password-2")) as connection:
        connection.connect()
    base, auth = api_base(api)
    tags = requests.get(f"{base}/api/users/{user}", auth=auth, timeout=10).json()["tags"]
    assert tags in ([], "")  # no administrator or management rights


def test_the_command_refuses_guest_and_missing_settings(api):
    env = {"RABBIT_API_URI": api, "HOTLINE_AMQP_USER": "guest", "HOTLINE_AMQP_PASSWORD": "x", "PATH": ""}
    answer = subprocess.run([sys.executable, "-m", "operate.broker_user"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert answer.returncode == 2 and "guest" in answer.stderr
    answer = subprocess.run([sys.executable, "-m", "operate.broker_user"], env={"PATH": ""},
                            capture_output=True, text=True, timeout=60)
    assert answer.returncode == 2 and "HOTLINE_AMQP_PASSWORD" in answer.stderr
