"""The console's collections (database ``hotline_console``):

* ``users``: login, display name, roles, department, argon2 hash, failures, lock;
* ``sessions``: one per signed-in browser, keyed by the SHA-256 of its cookie
  (the cookie itself is never stored), with its CSRF token and timestamps;
* ``signins``: every sign-in, failure, lock and sign-out, with the address;
* ``audit``: what people saw or changed that must be answerable for later --
  every view of a citizen's full contact, every change to users, every
  slow-down of sign-ins and its end;
* ``signin_failures``: failed sign-ins per (login, client), for the slow-down
  (``shared.platform.slowdown``);
* ``pending_signins``: a password accepted, a second-factor code awaited
  (keyed by the SHA-256 of their cookie, five minutes).

Password hashing runs in a real thread (``tpool``): argon2 is made to be slow
and memory-hard, and would stall every other request of the process.
"""
import hashlib
import secrets

import eventlet.semaphore
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.console.domain.signin import Policy
from shared.platform.slowdown import FailureCounter

FAILED_OUTCOMES = ("wrong_password", "unknown_user", "wrong_code", "slowed", "throttled")
SECRET_FIELDS = {"password_hash": 0, "totp_secret": 0}  # never listed nor returned
# argon2id with the first of OWASP's configurations (Password Storage Cheat Sheet):
# 46 MiB, one pass, one lane. `python -m bench.argon2_params` on the 2-core development
# machine: ~40 ms alone and ~90-220 ms four at once, where argon2-cffi's default (64 MiB,
# three passes, four lanes, which two cores run two at a time) took ~130-230 ms alone and
# ~340-850 ms four at once (docs/console.md). A hash carries its parameters, so the older
# ones still verify. At most HASHING hashes run at once: each holds its memory for its
# time, and two cores gain nothing from more.
HASH_PARAMETERS: dict[str, int] = {"time_cost": 1, "memory_cost": 47104, "parallelism": 1}
HASHER = PasswordHasher(time_cost=HASH_PARAMETERS["time_cost"], memory_cost=HASH_PARAMETERS["memory_cost"],
                        parallelism=HASH_PARAMETERS["parallelism"], type=Type.ID)
HASHING = 4
_hashing = None
_DUMMY_HASH = None


def digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _off_the_hub(function, *args):
    """``function(*args)`` in a real thread (``tpool``), at most ``HASHING`` at a time."""
    global _hashing
    if _hashing is None:
        _hashing = eventlet.semaphore.Semaphore(HASHING)
    with _hashing:
        return tpool.execute(function, *args)


def hash_password(password):
    return _off_the_hub(HASHER.hash, password)


def password_matches(stored_hash, password):
    """True when ``password`` is the one hashed; a missing user costs the same time."""
    global _DUMMY_HASH
    if stored_hash is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _off_the_hub(HASHER.hash, secrets.token_hex(16))
        stored_hash = _DUMMY_HASH
        password = password + "\0"  # never matches
    try:
        return _off_the_hub(HASHER.verify, stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class PeopleRepository:
    def __init__(self, database, config):
        self.users = database["users"]
        self.sessions = database["sessions"]
        self.signins = database["signins"]
        self.audit = database["audit"]
        self.pending = database["pending_signins"]
        self.failures = FailureCounter(database["signin_failures"],
                                       Policy.from_config((config or {}).get("CONSOLE")).slowdown)

    def ensure_indexes(self):
        self.failures.ensure_indexes()
        self.failures.collection.create_index("login")
        self.pending.create_index("token_hash", unique=True)
        self.pending.create_index("expires_at", expireAfterSeconds=0)
        self.users.create_index("login", unique=True)
        self.users.create_index("department")
        self.sessions.create_index("token_hash", unique=True)
        self.sessions.create_index("login")
        # A real MongoDB removes sessions past their absolute end by itself.
        self.sessions.create_index("expires_at", expireAfterSeconds=0)
        self.signins.create_index([("at", DESCENDING)])
        self.signins.create_index([("address", 1), ("outcome", 1), ("at", DESCENDING)])
        self.signins.create_index([("login", 1), ("at", DESCENDING)])
        self.audit.create_index([("at", DESCENDING)])
        self.audit.create_index([("subject", 1), ("at", DESCENDING)])

    # -- users ------------------------------------------------------------------

    def add_user(self, user):
        try:
            self.users.insert_one(dict(user))
        except DuplicateKeyError:
            return False
        return True

    def user(self, login):
        return self.users.find_one({"login": login}, {"_id": 0})

    def list_users(self, offset=0, limit=50):
        fields = dict(SECRET_FIELDS, _id=0)
        total = self.users.count_documents({})
        items = list(self.users.find({}, fields).sort("login", 1).skip(offset).limit(limit))
        return items, total

    def update_user(self, login, changes):
        return self.users.find_one_and_update(
            {"login": login}, {"$set": changes}, dict(SECRET_FIELDS, _id=0),
            return_document=ReturnDocument.AFTER)

    def use_totp_step(self, login, step):
        """Accept time step ``step`` of ``login``'s codes once: False if it (or a later one) was used."""
        return self.users.update_one(
            {"login": login, "$or": [{"totp_last_step": None}, {"totp_last_step": {"$lt": step}}]},
            {"$set": {"totp_last_step": step}}).modified_count == 1

    def set_second_factor(self, login, secret, step, now):
        self.users.update_one({"login": login}, {"$set": {"totp_secret": secret, "totp_last_step": step,
                                                          "totp_enrolled_at": now}})

    def clear_second_factor(self, login):
        return self.users.update_one({"login": login, "totp_secret": {"$ne": None}},
                                     {"$unset": {"totp_secret": "", "totp_last_step": "",
                                                 "totp_enrolled_at": ""}}).modified_count == 1

    def count_users(self):
        return self.users.count_documents({})

    # -- sessions -----------------------------------------------------------------

    def open_session(self, login, now, expires_at, address, agent):
        """A new session; returns ``(cookie_token, csrf_token)``."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.sessions.insert_one({"token_hash": digest(token), "login": login, "csrf": csrf,
                                  "created_at": now, "last_seen": now, "expires_at": expires_at,
                                  "address": address, "agent": (agent or "")[:200]})
        return token, csrf

    def session(self, token):
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        return self.sessions.find_one({"token_hash": digest(token)}, {"_id": 0})

    def touch_session(self, token, now):
        self.sessions.update_one({"token_hash": digest(token)}, {"$set": {"last_seen": now}})

    def set_search(self, token, criteria):
        self.sessions.update_one({"token_hash": digest(token)}, {"$set": {"search": criteria}})

    def set_flash(self, token, message):
        self.sessions.update_one({"token_hash": digest(token)}, {"$set": {"flash": message}})

    def take_flash(self, token):
        """The message left for the next page, once."""
        doc = self.sessions.find_one_and_update(
            {"token_hash": digest(token)}, {"$unset": {"flash": ""}}, {"flash": 1},
            return_document=ReturnDocument.BEFORE)
        return (doc or {}).get("flash")

    def end_session(self, token):
        return self.sessions.delete_one({"token_hash": digest(token)}).deleted_count == 1

    def end_sessions_of(self, login):
        return self.sessions.delete_many({"login": login}).deleted_count

    def set_candidate_secret(self, token, secret):
        self.sessions.update_one({"token_hash": digest(token)}, {"$set": {"totp_candidate": secret}})

    # -- a password accepted, a code awaited ---------------------------------------------

    def open_pending(self, login, now, expires_at, client, target):
        token = secrets.token_urlsafe(32)
        self.pending.insert_one({"token_hash": digest(token), "login": login, "client": client,
                                 "target": target, "tries": 0, "created_at": now, "expires_at": expires_at})
        return token

    def pending_signin(self, token, now):
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        found = self.pending.find_one({"token_hash": digest(token)}, {"_id": 0})
        return found if found and found["expires_at"].replace(tzinfo=now.tzinfo) > now else None

    def pending_failed(self, token):
        found = self.pending.find_one_and_update({"token_hash": digest(token)}, {"$inc": {"tries": 1}},
                                                 return_document=ReturnDocument.AFTER)
        return int((found or {}).get("tries") or 0)

    def end_pending(self, token):
        self.pending.delete_one({"token_hash": digest(token)})

    # -- the record ---------------------------------------------------------------

    def record_signin(self, entry):
        self.signins.insert_one(dict(entry))

    def failures_from(self, address, since):
        return self.signins.count_documents(
            {"address": address, "known_client": {"$ne": True}, "at": {"$gte": since},
             "outcome": {"$in": list(FAILED_OUTCOMES)}})

    def signin_history(self, login=None, offset=0, limit=50):
        query = {"login": login} if login else {}
        total = self.signins.count_documents(query)
        return list(self.signins.find(query, {"_id": 0}).sort("at", DESCENDING)
                    .skip(offset).limit(limit)), total

    def record_audit(self, entry):
        self.audit.insert_one(dict(entry))

    def audit_log(self, subject=None, offset=0, limit=50):
        query = {"subject": subject} if subject else {}
        total = self.audit.count_documents(query)
        return list(self.audit.find(query, {"_id": 0}).sort("at", DESCENDING)
                    .skip(offset).limit(limit)), total
