"""A service that is away, or a broker out of reach, is one line and exit 3, not a traceback."""
import click
from click.testing import CliRunner
from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService

from hotline.client import Commands


def run_raising(exc):
    @click.group(cls=Commands)
    def group():
        pass

    @group.command()
    def act():
        raise exc

    return CliRunner().invoke(group, ["act"], env={"AMQP_URI": "amqp://guest:secret@broker.example:5672/city"})


def test_a_service_nobody_runs_is_named():
    result = run_raising(UnknownService("routing"))
    assert result.exit_code == 3
    assert "routing is not running" in result.output and "broker.example:5672/city" in result.output
    assert "Traceback" not in result.output and "secret" not in result.output


def test_a_silent_service_and_an_unreachable_broker_are_said_plainly():
    timed_out = run_raising(RpcTimeout(10))
    assert timed_out.exit_code == 3 and "no answer within 10 s" in timed_out.output
    unreachable = run_raising(OperationalError("[Errno 111] Connection refused"))
    assert unreachable.exit_code == 3 and "cannot reach the broker at broker.example:5672/city" in unreachable.output
    assert "secret" not in unreachable.output


def test_other_errors_are_not_swallowed():
    result = run_raising(ValueError("a bug"))
    assert result.exit_code == 1 and isinstance(result.exception, ValueError)
