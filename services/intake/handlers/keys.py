"""API keys: what administrators' tools ask of intake.

The ``hotline apikeys`` command calls these over RPC (the knowledge base is
``handlers/knowledge.py``). Keys are kept as digests only (``domain/apikeys.py``); an API key
names the client it belongs to (``api_client``), and a system's ids are its
own (``source_refusal``).
"""
import datetime as dt
import logging

from services.intake.bootstrap import Deps
from services.intake.domain import apikeys
from services.intake.handlers.errors import ValidationFailed
from shared.contract import events
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)


def checked(check, *args):
    try:
        return check(*args)
    except apikeys.BadKeyRequest as exc:
        raise ValidationFailed(exc.errors) from None


# -- API keys --------------------------------------------------------------


def _new_key(deps: Deps, name, expires_in_days):
    now = events.utcnow()
    key = apikeys.new_key()
    record = {"name": name, "digest": apikeys.digest(key), "created_at": now, "revoked_at": None,
              "expires_at": apikeys.expiry(now, expires_in_days)}
    if not deps.keys.add_api_key(record):  # 256 random bits: never in practice
        raise ValidationFailed({"name": ["could not store a new key; try again"]})
    return key, record


def create_api_key(deps: Deps, name, expires_in_days=None):
    """A new key for client ``name`` (optionally expiring); the only time the key is shown.

    A name whose keys were revoked may be given keys again.
    """
    name, expires_in_days = checked(apikeys.check_request, name, expires_in_days)
    if not deps.keys.open_client(name, events.utcnow()):
        raise ValidationFailed({"name": [f"{name} has a key already: rotate it, or revoke it first"]})
    key, record = _new_key(deps, name, expires_in_days)
    log.info("API key created for %s", name)
    return jsonable({"name": name, "key": key, "expires_at": record["expires_at"]})


def rotate_api_key(deps: Deps, name, grace_seconds=0, expires_in_days=None):
    """A new key for ``name``; its other keys stop working after ``grace_seconds``."""
    name, expires_in_days = checked(apikeys.check_request, name, expires_in_days)
    grace = checked(apikeys.check_seconds, "grace_seconds", grace_seconds, apikeys.MAX_GRACE_SECONDS)
    if not deps.keys.client_active(name):
        raise ValidationFailed({"name": [f"{name} has no active key: create one"]})
    key, record = _new_key(deps, name, expires_in_days)
    until = events.utcnow() + dt.timedelta(seconds=grace)
    retired = deps.keys.retire_api_keys(name, until, record["digest"])
    log.info("API key of %s rotated; %d older key(s) stop at %s", name, retired, until.isoformat())
    return jsonable({"name": name, "key": key, "expires_at": record["expires_at"],
                     "previous_keys_stop_at": until})


def revoke_api_key(deps: Deps, name):
    if not apikeys.valid_name(name):
        return False
    revoked = deps.keys.revoke_api_key(name, events.utcnow())
    if revoked:
        log.info("API keys of %s revoked", name)
    return revoked


def list_api_keys(deps: Deps):
    return jsonable(deps.keys.list_api_keys())

def api_client(deps: Deps, key):
    """The name of the client an API key belongs to, or None."""
    if not isinstance(key, str) or not key:
        return None
    record = deps.keys.api_key_by_digest(apikeys.digest(key), events.utcnow())
    return record["name"] if record else None


def source_refusal(deps: Deps, source_system, key):
    """Errors unless ``key`` is the API key of ``source_system``, else None.

    A system's ids are its own: nobody else may submit under its name (and
    so learn its tickets by guessing its ids).
    """
    client = api_client(deps, key)
    if client is None:
        return {"api_key": ["missing, unknown, expired or revoked: ask the hotline for a key"]}
    if client != source_system:
        return {"source_system": [f"the API key given is {client}'s, not {source_system}'s"]}
    return None
