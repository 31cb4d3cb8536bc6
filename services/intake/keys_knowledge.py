"""API keys and the knowledge base: intake's RPC verbs for operators' tools.

A mixin of ``IntakeService``; the ``hotline apikeys`` and ``hotline knowledge``
commands call these. Keys are kept as digests only (``apikeys``).
"""
import datetime as dt
import logging

from services.intake import apikeys, knowledge
from services.intake.responses import ValidationFailed
from shared.contract import events
from shared.platform.doors import People, door
from shared.platform.identity import STAFF_ROLES
from shared.platform.jsonable import jsonable
from shared.platform.messaging import rpc

log = logging.getLogger(__name__)


def checked(check, *args):
    try:
        return check(*args)
    except apikeys.BadKeyRequest as exc:
        raise ValidationFailed(exc.errors) from None


class KeysAndKnowledge:

    # -- API keys --------------------------------------------------------------

    def _new_key(self, name, expires_in_days):
        now = events.utcnow()
        key = apikeys.new_key()
        record = {"name": name, "digest": apikeys.digest(key), "created_at": now, "revoked_at": None,
                  "expires_at": apikeys.expiry(now, expires_in_days)}
        if not self.tickets.add_api_key(record):  # 256 random bits: never in practice
            raise ValidationFailed({"name": ["could not store a new key; try again"]})
        return key, record

    @door(People("admin"))
    @rpc(expected_exceptions=ValidationFailed)
    def create_api_key(self, name, expires_in_days=None):
        """A new key for client ``name`` (optionally expiring); the only time the key is shown.

        A name whose keys were revoked may be given keys again.
        """
        name, expires_in_days = checked(apikeys.check_request, name, expires_in_days)
        if not self.tickets.open_client(name, events.utcnow()):
            raise ValidationFailed({"name": [f"{name} has a key already: rotate it, or revoke it first"]})
        key, record = self._new_key(name, expires_in_days)
        log.info("API key created for %s", name)
        return jsonable({"name": name, "key": key, "expires_at": record["expires_at"]})

    @door(People("admin"))
    @rpc(expected_exceptions=ValidationFailed)
    def rotate_api_key(self, name, grace_seconds=0, expires_in_days=None):
        """A new key for ``name``; its other keys stop working after ``grace_seconds``."""
        name, expires_in_days = checked(apikeys.check_request, name, expires_in_days)
        grace = checked(apikeys.check_seconds, "grace_seconds", grace_seconds, apikeys.MAX_GRACE_SECONDS)
        if not self.tickets.client_active(name):
            raise ValidationFailed({"name": [f"{name} has no active key: create one"]})
        key, record = self._new_key(name, expires_in_days)
        until = events.utcnow() + dt.timedelta(seconds=grace)
        retired = self.tickets.retire_api_keys(name, until, record["digest"])
        log.info("API key of %s rotated; %d older key(s) stop at %s", name, retired, until.isoformat())
        return jsonable({"name": name, "key": key, "expires_at": record["expires_at"],
                         "previous_keys_stop_at": until})

    @door(People("admin"))
    @rpc
    def revoke_api_key(self, name):
        if not apikeys.valid_name(name):
            return False
        revoked = self.tickets.revoke_api_key(name, events.utcnow())
        if revoked:
            log.info("API keys of %s revoked", name)
        return revoked

    @door(People("admin"))
    @rpc
    def list_api_keys(self):
        return jsonable(self.tickets.list_api_keys())

    # -- the knowledge base ------------------------------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=ValidationFailed)
    def import_knowledge(self, entries):
        """Add or replace entries (rows read from YAML or CSV); returns how many."""
        if not isinstance(entries, list):
            raise ValidationFailed({"entries": ["a list of entries"]})
        try:
            clean = [knowledge.entry(row, position) for position, row in enumerate(entries, 1)]
        except knowledge.BadEntry as exc:
            raise ValidationFailed({"entries": [str(exc)]}) from None
        return self.tickets.put_knowledge(clean)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=ValidationFailed)
    def search_knowledge(self, query, limit=5):
        if not isinstance(query, str):
            raise ValidationFailed({"query": ["the caller's question, as text"]})
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise ValidationFailed({"limit": ["a whole number"]})
        candidates = self.tickets.knowledge_candidates(knowledge.query_terms(query))
        found = knowledge.rank(query, candidates, limit=max(1, min(int(limit), 50)))
        return [{k: v for k, v in item.items() if k != "terms"} for item in found]
