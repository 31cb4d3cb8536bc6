"""``hotline``: submit tickets, look them up, and run the services' desks.

The one place the commands are registered: each ``*_cli`` module defines its
commands and imports nothing of this one. The client talks to the services over
RPC (RabbitMQ at ``AMQP_URI``) and HTTP (``HOTLINE_URL``, insight's charts) only;
it imports no service's code (tests/unit/test_architecture.py). The operations
commands -- ``run``, ``topology``, ``cluster``, ``dead-letters``, ``backup``,
``restore`` -- come from ``operate`` (also ``hotline-ops``), which opens the
broker and the databases.
Offline tools that need a service's code are the service package's own
commands: ``python -m services.routing evaluate ...``,
``python -m services.followup quality-report ...``.
"""
import click

from hotline import (
    calendar_cli,
    calls_cli,
    followup_cli,
    insight_cli,
    insight_demo,
    intake_cli,
    keys_cli,
    notify_cli,
    parts_cli,
    reliability_cli,
    routing_cli,
    sources_cli,
    tickets_cli,
    users_cli,
)
from hotline.client import Commands
from operate import cli as operate_cli

COMMANDS = (
    *tickets_cli.COMMANDS,                            # submit, status, ping, demo
    followup_cli.case, followup_cli.scorecard,
    *intake_cli.COMMANDS,                             # apikeys, knowledge, answer, unlink, services
    routing_cli.routing,
    notify_cli.notifications, notify_cli.clock,
    insight_cli.insight,
    calls_cli.calls,
    reliability_cli.reconciler, reliability_cli.numbers,
    sources_cli.sources,
    calendar_cli.calendar,
    users_cli.users,
    keys_cli.keys,
    *operate_cli.COMMANDS,                            # run, topology, cluster, dead-letters, backup, restore
)
SUBCOMMANDS = (
    (insight_cli.insight, (insight_demo.demo,)),        # insight demo (it starts insight if need be)
    (followup_cli.case, parts_cli.COMMANDS),            # refusals, refusal, extensions, add-co-handlers
)


@click.group(cls=Commands)
def main():
    """The city service hotline (12345 / 311)."""


for command in COMMANDS:
    main.add_command(command)
for group, commands in SUBCOMMANDS:
    for command in commands:
        group.add_command(command)


if __name__ == "__main__":
    main()
