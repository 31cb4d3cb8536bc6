"""API keys for Open311 clients and other government systems.

Pure Python. A key is shown once, when it is made; intake keeps only its
SHA-256 digest. Keys are 256 random bits, so a fast digest is enough: there
is nothing to guess by brute force, unlike a password.
"""
import hashlib
import re
import secrets

KEY_PREFIX = "hk_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def new_key():
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def valid_name(name):
    """Names are also AMQP routing-key parts (``ticket.receipt.<name>``)."""
    return isinstance(name, str) and bool(NAME.match(name))
