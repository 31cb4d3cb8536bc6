"""Signed identities for tests that call the services as a person would.

The services refuse a person's action without a signed identity (see
``shared.platform.identity``); tests sign with the configured ``IDENTITY_SECRET``, as the
workbench and the CLI do.
"""
import contextlib

from shared.platform.config import load_config
from shared.platform.identity import STAFF_ROLES, Person, context_for, secret_from


def person(name="测试员", roles=STAFF_ROLES, department=None, user_id=None, via="cli"):
    return Person(user_id or f"test:{name}", name, tuple(roles), department, via)


def context(who=None, config=None):
    """nameko context data carrying ``who`` (a hotline staff member by default)."""
    return context_for(who or person(), secret_from(config or load_config()))


@contextlib.contextmanager
def signed_hook(container, method, who=None, principal="cli"):
    """nameko's ``entrypoint_hook`` for an entrypoint behind a door (``shared.platform.doors``):
    each call is signed as ``principal`` signs it and carries ``who``."""
    from nameko.testing.services import entrypoint_hook

    from shared.platform import principals

    keyring = principals.Keyring.from_config(principal, container.config, warn=False)

    def call(*args, **kwargs):
        token = keyring.sign(f"{container.service_name}.{method}", principals.rpc_digest(args, kwargs),
                             principals.RPC_TTL_SECONDS)
        data = dict(context(who, container.config), **{principals.CALL_KEY: token})
        with entrypoint_hook(container, method, context_data=data) as hook:
            return hook(*args, **kwargs)
    yield call
