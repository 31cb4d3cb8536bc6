"""A local RabbitMQ cluster for tests and ``make chaos``: ``hotline cluster start``.

Three nodes of Debian's rabbitmq-server beside the machine's own node (which
is left alone: other work needs it as it is), each with its own name, ports
and data directory, joined into one cluster::

    node            AMQP   management   distribution
    hotline1@localhost  5701   15701        25701
    hotline2@localhost  5702   15702        25702
    hotline3@localhost  5703   15703        25703

The services reach it through a list of broker addresses, which kombu tries
in turn (``amqp://guest:guest@127.0.0.1:5701/;amqp://...:5702/;...``): see
:func:`amqp_uri`. Starting is idempotent (a running node is kept); ``stop``
stops the nodes and keeps their data, ``stop --wipe`` removes it too.
"""
import os
import shutil
import subprocess
import time
from pathlib import Path

import click

BASE = Path(os.environ.get("HOTLINE_CLUSTER_DIR", "/var/lib/rabbitmq/hotline-cluster"))
AMQP_BASE_PORT = int(os.environ.get("HOTLINE_CLUSTER_PORT", "5701"))
SIZE = 3
# Three nodes share the machine's cores with the services: an Erlang scheduler
# that spins while it waits for work takes CPU the others need, so they sleep.
SCHEDULER_FLAGS = "+sbwt none +sbwtdcpu none +sbwtdio none"


def node_name(index):
    return f"hotline{index}@localhost"


def ports(index):
    amqp = AMQP_BASE_PORT + index - 1
    return {"amqp": amqp, "management": amqp + 10000, "dist": amqp + 20000}


def amqp_uri(vhost="", user="guest", password="guest", size=SIZE):
    """The cluster as a kombu failover URI: every node, in order."""
    return ";".join(f"amqp://{user}:{password}@127.0.0.1:{ports(i)['amqp']}/{vhost}"
                    for i in range(1, size + 1))


def management_uri(index=1, user="guest", password="guest"):
    return f"http://{user}:{password}@127.0.0.1:{ports(index)['management']}"


def _node_env(index):
    folder = BASE / f"node{index}"
    p = ports(index)
    return dict(
        os.environ,
        RABBITMQ_NODENAME=node_name(index),
        RABBITMQ_NODE_PORT=str(p["amqp"]),
        RABBITMQ_DIST_PORT=str(p["dist"]),
        RABBITMQ_CONFIG_FILE=str(folder / "rabbitmq"),
        RABBITMQ_MNESIA_BASE=str(folder / "mnesia"),
        RABBITMQ_LOG_BASE=str(folder / "log"),
        RABBITMQ_PID_FILE=str(folder / "rabbitmq.pid"),
        RABBITMQ_ENABLED_PLUGINS_FILE=str(folder / "enabled_plugins"),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=os.environ.get(
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", SCHEDULER_FLAGS),
    )


def _prepare(index):
    folder = BASE / f"node{index}"
    (folder / "mnesia").mkdir(parents=True, exist_ok=True)
    (folder / "log").mkdir(parents=True, exist_ok=True)
    p = ports(index)
    (folder / "rabbitmq.conf").write_text(
        f"listeners.tcp.local = 127.0.0.1:{p['amqp']}\n"
        f"management.tcp.port = {p['management']}\n"
        f"management.tcp.ip = 127.0.0.1\n"
        "loopback_users.guest = true\n"
        # a new quorum queue's leader goes to the node with the fewest, not to the node
        # the declaring client is on (all of them, when every service lists node 1 first)
        "queue_leader_locator = balanced\n")
    (folder / "enabled_plugins").write_text("[rabbitmq_management].\n")
    shutil.chown(BASE, "rabbitmq", "rabbitmq")
    for path in [folder, *folder.rglob("*")]:
        shutil.chown(path, "rabbitmq", "rabbitmq")


def ctl(index, *args, check=True, timeout=120):
    return subprocess.run(["rabbitmqctl", "-n", node_name(index), *args], env=_node_env(index),
                          capture_output=True, text=True, check=check, timeout=timeout)


def running(index):
    try:
        return ctl(index, "status", check=False, timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def app_running(index):
    try:
        out = ctl(index, "eval", "rabbit:is_running().", check=False, timeout=30)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0 and out.stdout.strip() == "true"


def _server_command():
    """``rabbitmq-server -detached``, allowed as many open files as the machine allows:
    each quorum queue keeps some open, and the usual soft limit (1,024) runs out with a
    few vhosts' worth. Debian's wrapper starts the node through ``su``, which resets
    the limit, so as root the node's own script is started under ``su`` with it raised."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    script = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    if os.geteuid() == 0 and os.path.exists(script) and shutil.which("su"):
        limit = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        return ["su", "rabbitmq", "-s", "/bin/sh", "-c", f"ulimit -n {limit}; exec {script} -detached"]
    return ["rabbitmq-server", "-detached"]


def launch_node(index):
    """Launch node ``index`` in the background unless it is running already."""
    if not running(index):
        _prepare(index)
        if (BASE / f"node{index}" / "mnesia" / node_name(index)).exists():
            # Killed rather than stopped, a node waits at boot for the peers it
            # remembers; the data is test data, so it boots without them.
            ctl(index, "force_boot", check=False, timeout=60)
        subprocess.run(_server_command(), env=_node_env(index), check=True,
                       capture_output=True, cwd="/var/lib/rabbitmq")


def wait_node(index, timeout=90):
    """Wait until node ``index`` answers with its application running."""
    ctl(index, "wait", "--timeout", str(timeout), str(BASE / f"node{index}" / "rabbitmq.pid"),
        timeout=timeout + 30)
    if not app_running(index):
        ctl(index, "start_app")


def start_node(index):
    """Start node ``index`` (if it is not running) and wait until it answers."""
    launch_node(index)
    wait_node(index)


# RabbitMQ 3.10's supervisor of the at-least-once dead-letter workers is one flat
# supervisor for every quorum queue of the node: deleting such queues (a vhost
# deleted, as the tests do hundreds of times) can crash-loop their workers past its
# restart intensity, and it is never started again -- from then on no quorum queue
# with at-least-once dead-lettering can be declared (INTERNAL_ERROR, ``noproc`` on
# ``rabbit_fifo_dlx_sup`` in the node's log). rabbitmq/rabbitmq-server#16652.
HEAL_DEAD_LETTER_SUPERVISOR = (
    "case whereis(rabbit_fifo_dlx_sup) of "
    "undefined -> {restarted, supervisor:restart_child(rabbit_sup, rabbit_fifo_dlx_sup)}; "
    "_ -> running end.")


def heal_dead_letter_supervisor(index=None):
    """Restart the node's dead-letter supervisor if RabbitMQ's bug has stopped it.

    ``index``: a cluster node; None: the machine's own node. Returns True if it
    had to be restarted, False if it was running, None if the node cannot be asked.
    """
    command = ["rabbitmqctl", "eval", HEAL_DEAD_LETTER_SUPERVISOR]
    env = None
    if index is not None:
        command[1:1] = ["-n", node_name(index)]
        env = _node_env(index)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip().startswith("{restarted")


def members(index=1):
    out = ctl(index, "eval", "rabbit_nodes:all().", check=False)
    return out.stdout if out.returncode == 0 else ""


def join(index, first=1):
    if node_name(index) in members(first):
        return
    ctl(index, "stop_app")
    ctl(index, "reset")
    ctl(index, "join_cluster", node_name(first))
    ctl(index, "start_app")


def wait_management(index, timeout=60):
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{ports(index)['management']}/api/overview",
                            auth=("guest", "guest"), timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def _boot(size):
    # Every node is launched before any is waited for: a node that was killed
    # (a machine restart) rather than stopped waits at boot for the peers it
    # remembers, so starting them one after the other would hang on the first.
    for index in range(1, size + 1):
        launch_node(index)
    for index in range(1, size + 1):
        wait_node(index)


def start(size=SIZE):
    """Every node running and joined; returns the failover URI of the default vhost.

    The cluster holds test data only: if the nodes cannot come back from what
    they kept (killed mid-write, a half-joined cluster), they are wiped and
    started afresh rather than left hanging.
    """
    try:
        _boot(size)
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
        click.echo(f"cluster did not come back from its data ({exc}); wiping it and starting afresh",
                   err=True)
        _kill(size)
        shutil.rmtree(BASE, ignore_errors=True)
        _boot(size)
    for index in range(2, size + 1):
        join(index)
    for index in range(1, size + 1):
        if not wait_management(index):
            raise RuntimeError(f"{node_name(index)}: management API did not answer")
        heal_dead_letter_supervisor(index)
    return amqp_uri()


def _kill(size):
    """Stop the nodes however they are (a node stuck in boot ignores ``stop``)."""
    for index in range(1, size + 1):
        try:
            ctl(index, "stop", check=False, timeout=30)
        except subprocess.TimeoutExpired:
            pass
    names = {node_name(i) for i in range(1, size + 1)}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for item in environ:
            if item.startswith(b"RABBITMQ_NODENAME=") and item[18:].decode() in names:
                os.kill(int(pid), 9)
    time.sleep(1)


def stop_node(index):
    if running(index):
        ctl(index, "stop", check=False)


def stop(size=SIZE, wipe=False):
    for index in range(size, 0, -1):
        stop_node(index)
    if wipe and BASE.exists():
        shutil.rmtree(BASE)


def status(size=SIZE):
    return {node_name(i): {"running": running(i), "app": app_running(i), **ports(i)}
            for i in range(1, size + 1)}


@click.group("cluster")
def cluster():
    """A local three-node RabbitMQ cluster (tests, make chaos); the machine's own node is not touched."""


@cluster.command("start")
def start_command():
    """Start the nodes (idempotent) and print the failover AMQP URI."""
    click.echo(start())


@cluster.command("stop")
@click.option("--wipe", is_flag=True, help="Remove the nodes' data too.")
def stop_command(wipe):
    stop(wipe=wipe)


@cluster.command("status")
def status_command():
    for name, facts in status().items():
        click.echo(f"{name:<22} running={facts['running']} app={facts['app']} "
                   f"amqp={facts['amqp']} management={facts['management']}")


@cluster.command("uri")
@click.option("--vhost", default="")
def uri_command(vhost):
    click.echo(amqp_uri(vhost))
