"""Signed identities for tests that call the services as a person would.

The services refuse a person's action without a signed identity (see
``shared.identity``); tests sign with the configured ``IDENTITY_SECRET``, as the
workbench and the CLI do.
"""
from shared.config import load_config
from shared.identity import STAFF_ROLES, Person, context_for, secret_from


def person(name="测试员", roles=STAFF_ROLES, department=None, user_id=None, via="cli"):
    return Person(user_id or f"test:{name}", name, tuple(roles), department, via)


def context(who=None, config=None):
    """nameko context data carrying ``who`` (a hotline staff member by default)."""
    return context_for(who or person(), secret_from(config or load_config()))
