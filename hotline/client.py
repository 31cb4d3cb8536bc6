"""How the ``hotline`` commands reach the services: RPC over the broker, signed.

Every sub-CLI calls :func:`rpc_call`; :class:`Commands` (the CLI's group) turns a
service that is away, or a broker that cannot be reached, into one line (exit 3)
instead of a traceback; :func:`refused` prints a service's refusal (exit 2).
"""
import json
import logging
import socket
import sys

import click

from shared.platform.config import load_config


def rpc_config():
    config = load_config()
    return {"AMQP_URI": config["AMQP_URI"], "serializer": "json"}


def rpc_call(service, method, *args, timeout=10, by=None, **kwargs):
    """An RPC as the CLI's signed identity (see ``hotline.people``), named ``by``; ``kwargs``
    are the method's own keyword arguments."""
    from hotline.people import cli_context
    from shared.platform.principals import ClusterRpcProxy

    with ClusterRpcProxy(rpc_config(), timeout=timeout, context_data=cli_context(by)) as cluster:
        return getattr(getattr(cluster, service), method)(*args, **kwargs)


class ServiceAway(click.ClickException):
    """A service (or the broker) the command needs is not there: one line, exit 3."""

    exit_code = 3


def broker_address():
    """The broker the CLI uses, without its password."""
    from urllib.parse import urlparse

    first = urlparse(rpc_config()["AMQP_URI"].split(";")[0])
    return f"{first.hostname}:{first.port or 5672}/{first.path.lstrip('/')}"


class Commands(click.Group):
    """The CLI's group: a service that is away or a broker that cannot be reached is
    said in one line (exit 3), not a traceback."""

    def invoke(self, ctx):
        from kombu.exceptions import OperationalError
        from nameko.exceptions import RpcTimeout, UnknownService

        logging.getLogger("amqp").setLevel(logging.ERROR)  # its chatter as a proxy closes
        try:
            return super().invoke(ctx)
        except UnknownService as exc:  # nobody takes the service's calls (nameko: mandatory publish)
            raise ServiceAway(f"{exc.args[0]} is not running: no instance takes its calls on the broker "
                              f"({broker_address()}). Start the services: `make run` or `make up`.") from None
        except RpcTimeout as exc:
            raise ServiceAway(f"no answer within {exc} s: the service is busy or stopped "
                              "(`hotline ping SERVICE`).") from None
        except (OperationalError, ConnectionError, TimeoutError, socket.gaierror) as exc:
            raise ServiceAway(f"cannot reach the broker at {broker_address()} ({exc}): is RabbitMQ "
                              "running, and AMQP_URI right?") from None


def refused(exc, prefix=""):
    """Print a service's refusal (by field when it has fields) and exit 2."""
    try:
        errors = json.loads(exc.value)
    except ValueError:
        errors = None
    if isinstance(errors, dict):
        for field, messages in errors.items():
            click.echo(f"  {field}: {'; '.join(map(str, messages))}", err=True)
    else:
        click.echo(f"{prefix}{exc.value}", err=True)
    sys.exit(2)
