"""API keys and the knowledge base: intake's RPC verbs for operators' tools.

A mixin of ``IntakeService``; the ``hotline apikeys`` and ``hotline knowledge``
commands call these. Keys are kept as digests only (``apikeys``).
"""
import logging

from shared.messaging import rpc

from services.intake import apikeys, knowledge
from services.intake.responses import ValidationFailed
from shared import events
from shared.jsonable import jsonable

log = logging.getLogger(__name__)


class KeysAndKnowledge:

    # -- API keys --------------------------------------------------------------

    @rpc(expected_exceptions=ValidationFailed)
    def create_api_key(self, name):
        """A new key for client ``name``; the only time the key is shown."""
        if not apikeys.valid_name(name):
            raise ValidationFailed({"name": ["letters, digits, - and _ only, at most 64"]})
        key = apikeys.new_key()
        if not self.tickets.add_api_key({"name": name, "digest": apikeys.digest(key),
                                         "created_at": events.utcnow(), "revoked_at": None}):
            raise ValidationFailed({"name": [f"a key named {name} exists; revoke it or pick another name"]})
        log.info("API key created for %s", name)
        return {"name": name, "key": key}

    @rpc
    def revoke_api_key(self, name):
        if not apikeys.valid_name(name):
            return False
        revoked = self.tickets.revoke_api_key(name, events.utcnow())
        if revoked:
            log.info("API key of %s revoked", name)
        return revoked

    @rpc
    def list_api_keys(self):
        return jsonable(self.tickets.list_api_keys())

    # -- the knowledge base ------------------------------------------------------

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

    @rpc(expected_exceptions=ValidationFailed)
    def search_knowledge(self, query, limit=5):
        if not isinstance(query, str):
            raise ValidationFailed({"query": ["the caller's question, as text"]})
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise ValidationFailed({"limit": ["a whole number"]})
        candidates = self.tickets.knowledge_candidates(knowledge.query_terms(query))
        found = knowledge.rank(query, candidates, limit=max(1, min(int(limit), 50)))
        return [{k: v for k, v in item.items() if k != "terms"} for item in found]
