"""Who is acting: the signed-in person, carried with every RPC.

A person is ``user_id``, ``name``, ``roles`` and (for department staff) the
``department`` code. The caller puts a *signed* identity in nameko's context
data (``CONTEXT_KEY``); nameko carries it with every RPC and event made in
that worker, so a service called by a service called by the workbench still
knows who asked. The signature is an HMAC-SHA256 over the identity and an
expiry with ``IDENTITY_SECRET``: holding the broker's password is not enough
to act as a person, one needs the secret too (the workbench and the ``hotline``
CLI on the servers hold it; departments' systems never do, they use tokens).

Services declare ``caller = Identity()`` and ask ``self.caller.require(ROLE)``
before a person's action; the name they record is the one signed, never an
argument. An identity that is present but forged, expired or garbled is
refused like a missing one.

    token = sign(Person("u1", "王芳", ("operator",)), secret)
    person = verify(token, secret)          # or raises NotAllowed
"""
import base64
import hashlib
import hmac
import json
import logging
import os
import time
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)

CONTEXT_KEY = "hotline_identity"
ROLES = ("operator", "dispatcher", "reviewer", "callback", "supervisor", "department", "admin", "quality")
STAFF_ROLES = tuple(r for r in ROLES if r != "department")
DEVELOPMENT_SECRET = "development-only-identity-secret"
TTL_SECONDS = 300  # an identity is signed per request; this bounds a replay


class NotAllowed(Exception):
    """No valid identity, or the person's roles or department do not allow this."""


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    roles: tuple[str, ...] = field(default_factory=tuple)
    department: str | None = None
    via: str = "console"  # console (the workbench) or cli (the hotline command)

    def has(self, *roles):
        return any(role in self.roles for role in roles)

    @property
    def is_department_only(self):
        """Department staff with no hotline role: sees only its own department's cases."""
        return "department" in self.roles and not self.has(*STAFF_ROLES)

    def to_dict(self):
        return {"user_id": self.user_id, "name": self.name, "roles": list(self.roles),
                "department": self.department, "via": self.via}

    @classmethod
    def from_dict(cls, data):
        roles = tuple(r for r in data.get("roles") or () if r in ROLES)
        return cls(str(data["user_id"]), str(data.get("name") or data["user_id"]), roles,
                   data.get("department") or None, str(data.get("via") or "console"))


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret, payload):
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()


def sign(person, secret, now=None, ttl=TTL_SECONDS):
    """A token for ``person``, valid for ``ttl`` seconds."""
    body = dict(person.to_dict(), exp=int((now if now is not None else time.time()) + ttl))
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(token, secret, now=None):
    """The person a token names, or ``NotAllowed`` (forged, expired, garbled)."""
    if not isinstance(token, str) or token.count(".") != 1:
        raise NotAllowed("the identity is not a signed token")
    payload_text, mac_text = token.split(".")
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (ValueError, TypeError):
        raise NotAllowed("the identity is garbled") from None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise NotAllowed("the identity's signature does not match")
    try:
        body = json.loads(payload)
        expires = int(body["exp"])
        person = Person.from_dict(body)
    except (ValueError, KeyError, TypeError):
        raise NotAllowed("the identity is garbled") from None
    if expires < (now if now is not None else time.time()):
        raise NotAllowed("the identity has expired")
    return person


def production():
    return os.environ.get("HOTLINE_ENV", "development") == "production"


def secret_from(config, warn=True):
    """``IDENTITY_SECRET``; production refuses to start with none or the development one."""
    secret = str(config.get("IDENTITY_SECRET") or os.environ.get("IDENTITY_SECRET") or "")
    if production() and (not secret or secret == DEVELOPMENT_SECRET or len(secret) < 16):
        raise RuntimeError("HOTLINE_ENV=production needs IDENTITY_SECRET: at least 16 characters, "
                           "not the development default")
    if not secret:
        secret = DEVELOPMENT_SECRET
    if secret == DEVELOPMENT_SECRET and warn:
        log.warning("IDENTITY_SECRET is the development default: anyone can sign identities")
    return secret


def context_for(person, secret):
    """Context data carrying ``person`` (for a standalone ``ClusterRpcProxy``)."""
    return {CONTEXT_KEY: sign(person, secret)}


class Caller:
    """The person behind the current worker's call, as the service sees it."""

    def __init__(self, worker_ctx, secret):
        self.worker_ctx = worker_ctx
        self.secret = secret
        self._checked = False
        self._person = None
        self._problem = None

    def _check(self):
        if not self._checked:
            self._checked = True
            token = self.worker_ctx.data.get(CONTEXT_KEY)
            if token:
                try:
                    self._person = verify(token, self.secret)
                except NotAllowed as exc:
                    self._problem = str(exc)
                    log.warning("refused an identity: %s", exc)

    @property
    def presented(self):
        """Whether the call carried an identity at all (valid or not)."""
        return bool(self.worker_ctx.data.get(CONTEXT_KEY))

    @property
    def person(self):
        """The verified person, or ``None`` (no identity, or one that failed)."""
        self._check()
        return self._person

    def require(self, *roles):
        """The person, if they hold one of ``roles`` (any role when none given)."""
        self._check()
        if self._person is None:
            raise NotAllowed(self._problem or "sign in first: this needs a person's identity")
        if roles and not self._person.has(*roles):
            raise NotAllowed(f"{self._person.name} is not {' or '.join(roles)}")
        return self._person

    def act_as(self, person):
        """Carry ``person`` with every RPC this worker makes from now on."""
        self.worker_ctx.data[CONTEXT_KEY] = sign(person, self.secret)
        self._person, self._problem, self._checked = person, None, True


class Identity(DependencyProvider):
    """``caller = Identity()``: the secret is read in ``setup()``."""

    def setup(self):
        self.secret = secret_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return Caller(worker_ctx, self.secret)
