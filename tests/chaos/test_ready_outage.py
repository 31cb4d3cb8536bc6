"""Every service's /ready during the chaos harness's store outage, and after.

The store fails every call for a while (``bench.chaos.StoreOutage``, as an
unreachable MongoDB would); each service must say it is not ready, naming
the store, and be ready again once the store is back -- without a restart.
"""
from urllib.parse import urlparse

import pytest
import requests

from bench.chaos import InProcessStack, StoreOutage
from tests.conftest import _backends

SERVICES = ("intake", "routing", "followup", "notify", "insight")


@pytest.fixture
def stack(vhost_pipeline):
    amqp = urlparse(_backends["amqp"])
    with vhost_pipeline.get() as vhost:
        stack = InProcessStack(f"{amqp.scheme}://{amqp.netloc}/{vhost}")
        stack.config["READY_CALENDAR_DAYS"] = 0  # only the store is at stake here, whatever today's date
        stack.start_all()
        yield stack
        stack.stop_all()


def ready(stack, name):
    answer = requests.get(f"http://{stack.config[f'{name.upper()}_HTTP']}/ready", timeout=10)
    return answer.status_code, answer.json()


def test_every_service_is_not_ready_while_the_store_is_down_and_ready_after(stack):
    assert {name: ready(stack, name)[0] for name in SERVICES} == dict.fromkeys(SERVICES, 200)
    outage = StoreOutage()
    outage.begin()
    try:
        during = {name: ready(stack, name) for name in SERVICES}
    finally:
        outage.end()
    after = {name: ready(stack, name) for name in SERVICES}
    for name in SERVICES:
        status, body = during[name]
        print(f"during the outage {name}: {status} store={body['checks']['store']}")
        assert status == 503 and body["checks"]["store"]["error"] == "AutoReconnect"
        assert body["checks"]["broker"]["ok"], "the broker is fine: only the store is named"
        print(f"after the outage  {name}: {after[name][0]}")
        assert after[name][0] == 200
