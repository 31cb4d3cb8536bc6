"""The CTI door's token: only its SHA-256 digest is stored; rotating replaces it."""
import hashlib
import hmac


def digest(token):
    return hashlib.sha256(str(token).encode("utf-8")).hexdigest()


class TokenRepository:
    def __init__(self, database):
        self.tokens = database["cti_tokens"]

    def ensure_indexes(self):
        pass

    def replace(self, token, by, at):
        self.tokens.replace_one({"_id": "cti"}, {"_id": "cti", "digest": digest(token), "by": by, "at": at},
                                upsert=True)

    def valid(self, token):
        doc = self.tokens.find_one({"_id": "cti"})
        return bool(doc and token and hmac.compare_digest(doc["digest"], digest(token)))
