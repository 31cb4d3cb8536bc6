"""Local mode: every service as a separate ``nameko run`` process.

For machines without Docker. Each service gets its own process, as in
production; Ctrl-C, SIGTERM or SIGHUP (what a terminal or a process supervisor
sends), or any service exiting, stops them all, and on Linux a child also
stops when ``hotline run`` is killed outright.
"""
import os
import signal
import subprocess
import sys
import time

from operate.stack import SERVICES
from operate.topology import prepare
from shared.contract.topology import TopologyMismatch
from shared.platform.config import config_path, load_config
from shared.platform.mongo import describe

__all__ = ["SERVICES", "http_addresses", "run_stack", "start_services", "stop_services", "wait_ready"]


def http_addresses(services, free_port, host="127.0.0.1"):
    """``{"<SERVICE>_HTTP": "host:port"}`` for each service, ports from ``free_port()``.

    Every service serves HTTP (at least /health, /ready and /metrics), so
    stacks started side by side on one machine each need ports of their own.
    """
    return {f"{name.upper()}_HTTP": f"{host}:{free_port()}" for name in services}


def service_command(service):
    return [sys.executable, "-m", "operate.serve", f"services.{service}.service"]


def start_services(services, env=None, **popen_kwargs):
    """Start each service in its own process; returns ``{name: Popen}``.

    The config file is ``$HOTLINE_CONFIG`` (see ``shared.platform.config``) from ``env``.
    """
    return {name: subprocess.Popen(service_command(name), env=env, **popen_kwargs)
            for name in services}


def stop_services(processes, timeout=10):
    for proc in processes.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in processes.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def die_with_parent():
    """In a child, before it runs: on Linux, SIGTERM it when ``hotline run`` dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: SIGTERM and Ctrl-C still stop every child


def ping(amqp_uri, service, timeout=5):
    from shared.platform.principals import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as cluster:
        return getattr(cluster, service).ping()


def wait_ready(processes, amqp_uri, timeout=60.0, log_file=None):
    """Wait until every started service answers ``ping`` over RPC.

    Raises ``RuntimeError`` (with the log's tail, if given) when a process
    exits or a service stays silent.
    """
    deadline = time.monotonic() + timeout
    pending = list(processes)
    while pending and time.monotonic() < deadline:
        for name, proc in processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}){_tail(log_file)}")
        try:
            if ping(amqp_uri, pending[0], timeout=2) == pending[0]:
                pending.pop(0)
        except Exception:
            time.sleep(0.3)
    if pending:
        raise RuntimeError(f"{pending} did not answer in {timeout:.0f}s{_tail(log_file)}")


def _tail(log_file):
    if not log_file:
        return ""
    with open(log_file, encoding="utf-8", errors="replace") as handle:
        return ":\n" + handle.read()[-3000:]


def run_stack(services):
    config = load_config()
    print(f"hotline: starting {', '.join(services)} with config {config_path()}")
    print(f"hotline: broker {config['AMQP_URI'].split('@')[-1]}; store: {describe(config['MONGO_URI'])}")
    print(f"hotline: intake HTTP on {config.get('INTAKE_HTTP')}, the workbench on "
          f"http://{str(config.get('CONSOLE_HTTP')).replace('0.0.0.0', '127.0.0.1')} - Ctrl-C stops everything")
    if "console" in services:
        print("hotline: first time? `hotline users create admin --role admin` prints a password")
    try:
        for line in prepare(config):  # every queue before any traffic
            print(f"hotline: {line}")
    except TopologyMismatch as exc:
        print(f"hotline: {exc}")
        return 1
    ports = ", ".join(f"{name} {config.get(f'{name.upper()}_HTTP')}" for name in services
                      if config.get(f"{name.upper()}_HTTP"))
    print(f"hotline: /health, /ready and /metrics on {ports}")
    env = dict(os.environ)
    # The workbench is opened as plain http://127.0.0.1 here: its cookies cannot be Secure.
    env.setdefault("CONSOLE_PUBLIC_URL", "http://" + str(config.get("CONSOLE_HTTP")).replace("0.0.0.0", "127.0.0.1"))
    stopping = []

    def stop(signum, _frame):  # a supervisor's SIGTERM as Ctrl-C: the children stop too
        if not stopping:
            stopping.append(signum)
            raise KeyboardInterrupt
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    processes, exit_code = {}, 0
    try:
        processes.update(start_services(services, env=env, preexec_fn=die_with_parent))
        while True:
            for name, proc in processes.items():
                if proc.poll() is not None:
                    print(f"hotline: {name} exited with {proc.returncode}; stopping the rest")
                    exit_code = proc.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # stopping is not interrupted
            signal.signal(signum, signal.SIG_IGN)
        stop_services(processes)
    print(f"hotline: stopped {', '.join(processes)}")
    return exit_code
