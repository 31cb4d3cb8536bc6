"""RabbitMQ 3.10 can stop its dead-letter supervisor for good (rabbitmq-server#16652);
``operate.cluster.heal_dead_letter_supervisor`` starts it again, and then quorum
queues with at-least-once dead-lettering can be declared again."""
import shutil
import subprocess
import uuid
from urllib.parse import urlparse

import pytest
from kombu import Connection

from operate import cluster
from shared.contract import topology
from shared.platform.config import load_config
from tests.conftest import _backends

pytestmark = pytest.mark.fresh_vhost  # nothing declared before the test (tests/vhosts.py)


def local_broker():
    amqp = urlparse(_backends["amqp"])
    return shutil.which("rabbitmqctl") and amqp.hostname in ("127.0.0.1", "localhost") and (amqp.port or 5672) == 5672


def ctl(*args):
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60)


def declares_a_quorum_queue(vhost):
    amqp = urlparse(_backends["amqp"])
    queues = [entity for entity in topology.entities(load_config(), None)
              if (getattr(entity, "queue_arguments", None) or {}).get("x-dead-letter-strategy") == "at-least-once"]
    with Connection(f"{amqp.scheme}://{amqp.netloc}/{vhost}", connect_timeout=10) as connection:
        try:
            queues[0].bind(connection.channel()).declare()
        except Exception as exc:  # the broker's INTERNAL_ERROR
            return f"{type(exc).__name__}: {exc}"
    return True


@pytest.mark.skipif(not local_broker(), reason="needs the machine's own RabbitMQ node and rabbitmqctl")
def test_a_stopped_dead_letter_supervisor_is_started_again():
    vhost = f"heal_{uuid.uuid4().hex[:8]}"
    assert ctl("add_vhost", vhost).returncode == 0
    ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        assert cluster.heal_dead_letter_supervisor() is False  # running: nothing to do
        stopped = ctl("eval", "supervisor:terminate_child(rabbit_sup, rabbit_fifo_dlx_sup).")
        assert stopped.stdout.strip() == "ok", stopped.stdout + stopped.stderr
        assert declares_a_quorum_queue(vhost) is not True  # the bug's state: refused by the broker
        assert cluster.heal_dead_letter_supervisor() is True
        assert declares_a_quorum_queue(vhost) is True
    finally:
        cluster.heal_dead_letter_supervisor()
        ctl("delete_vhost", vhost)
