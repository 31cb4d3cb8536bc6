"""API keys: the collections ``api_keys`` with ``api_clients`` (who may hold keys; one
client -- an Open311 app, another system -- has keys). The knowledge base is
``adapters/knowledge.py``."""
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError


class KeyRepository:
    def __init__(self, database, config):
        self.api_keys = database["api_keys"]
        self.clients = database["api_clients"]

    def ensure_indexes(self):
        self.ensure_key_indexes()

    # -- API keys -------------------------------------------------------------

    def ensure_key_indexes(self):
        """A client's name is unique; its keys are many (rotation), each digest unique."""
        for name, info in self.api_keys.index_information().items():
            if info.get("key") == [("name", 1)] and info.get("unique"):
                self.api_keys.drop_index(name)  # one key per name, before keys could rotate
        self.api_keys.create_index("name")
        self.api_keys.create_index("digest", unique=True)
        self.clients.create_index("name", unique=True)
        for name in self.api_keys.distinct("name", {"revoked_at": None}):
            self.clients.update_one({"name": name}, {"$setOnInsert": {"state": "active"}}, upsert=True)

    def open_client(self, name, at):
        """Mark ``name`` active; False if it is active already (a revoked name may come back)."""
        try:
            self.clients.find_one_and_update(
                {"name": name, "state": {"$ne": "active"}},
                {"$set": {"state": "active", "opened_at": at}, "$unset": {"revoked_at": ""}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    def client_active(self, name):
        return self.clients.find_one({"name": name, "state": "active"}) is not None

    def add_api_key(self, record):
        try:
            self.api_keys.insert_one(dict(record))
        except DuplicateKeyError:
            return False
        return True

    def retire_api_keys(self, name, until, keep_digest):
        """Every other live key of ``name`` stops working at ``until`` (a rotation's grace)."""
        result = self.api_keys.update_many(
            {"name": name, "revoked_at": None, "digest": {"$ne": keep_digest},
             "$or": [{"expires_at": None}, {"expires_at": {"$gt": until}}]},
            {"$set": {"expires_at": until}})
        return result.modified_count

    def revoke_api_key(self, name, at):
        """Revoke the client and every key it has; False if it was not active."""
        result = self.clients.update_one({"name": name, "state": "active"},
                                         {"$set": {"state": "revoked", "revoked_at": at}})
        self.api_keys.update_many({"name": name, "revoked_at": None}, {"$set": {"revoked_at": at}})
        return result.modified_count == 1

    def api_key_by_digest(self, digest, now):
        return self.api_keys.find_one(
            {"digest": digest, "revoked_at": None, "$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}]},
            {"_id": 0, "digest": 0})

    def list_api_keys(self):
        """Each client with its keys (never their digests), by name."""
        keys = {}
        for key in self.api_keys.find({}, {"_id": 0, "digest": 0}).sort("created_at", ASCENDING):
            keys.setdefault(key["name"], []).append(key)
        clients = {c["name"]: c for c in self.clients.find({}, {"_id": 0})}
        return [dict(clients.get(name, {"name": name, "state": "active"}), keys=keys.get(name, []))
                for name in sorted(set(keys) | set(clients))]
