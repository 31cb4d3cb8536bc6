"""Local mode: the four services as separate ``nameko run`` processes.

For machines without Docker. Each service gets its own process, as in
production; Ctrl-C (or any service exiting) stops them all.
"""
import os
import signal
import subprocess
import sys
import time

from shared.config import config_path, load_config
from shared.mongo import describe


def service_command(service):
    return [sys.executable, "-m", "hotline.serve", f"services.{service}.service"]


def start_services(services, env=None, **popen_kwargs):
    """Start each service in its own process; returns ``{name: Popen}``.

    The config file is ``$HOTLINE_CONFIG`` (see ``shared.config``) from ``env``.
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


def run_stack(services):
    config = load_config()
    print(f"hotline: starting {', '.join(services)} with config {config_path()}")
    print(f"hotline: broker {config['AMQP_URI'].split('@')[-1]}; store: {describe(config['MONGO_URI'])}")
    print(f"hotline: intake HTTP on {config.get('INTAKE_HTTP')} - Ctrl-C stops everything")
    processes = start_services(services, env=dict(os.environ))
    exit_code = 0
    try:
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
        stop_services(processes)
    return exit_code
