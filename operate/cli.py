"""``hotline-ops``: the commands an operations team runs, listed in one place.

    hotline-ops run [--only SERVICE]    every service as a local process (``make run``)
    hotline-ops topology [--check]      declare the broker's queues before traffic
    hotline-ops cluster start|stop|...  the local three-node RabbitMQ cluster
    hotline-ops dead-letters list|...   the messages nothing could handle (broker admin rights)
    hotline-ops backup | restore        each service's database, out and back

``COMMANDS`` is the list; the ``hotline`` CLI adds the same commands to its own
(``hotline run`` is ``hotline-ops run``). The container's entrypoints are modules:
``python -m operate.serve`` (one service), ``python -m operate.probe`` (health)
and ``python -m operate.broker_user`` (the services' broker user).
"""
import sys

import click

from operate.backup_cli import backup_command, restore_command
from operate.cluster import cluster
from operate.dead_letters import dead_letters
from operate.stack import SERVICES
from operate.topology import topology_command


@click.command()
@click.option("--only", multiple=True, type=click.Choice(SERVICES),
              help="Start only these services (default: every one).")
def run(only):
    """Run the services as local processes, in the foreground (Ctrl-C or SIGTERM stops them)."""
    from operate.local import run_stack

    sys.exit(run_stack(only or SERVICES))


COMMANDS = (run, topology_command, cluster, dead_letters, backup_command, restore_command)


@click.group()
def main():
    """Operate the city service hotline: run, provision, back up."""


for command in COMMANDS:
    main.add_command(command)
