"""Services are principals: every RPC and event a process sends is signed as itself.

Each principal (a service, the workbench, the servers' CLI) holds its own Ed25519
private key (``SERVICE_KEY``); every process knows every principal's public keys
(``SERVICE_PUBLIC_KEYS``). A call carries, in nameko's context headers, a token
``CALL_KEY`` that signs *who* sends it, *what* it is for (``intake.get_ticket``,
or ``followup.case_closed`` for an event), a digest of its body and an expiry.
The callee (``shared.platform.doors``) checks all four, so holding the broker's password
grants nothing: a message without a valid signature is refused, a signature lifted
from one message does not fit another, and one service's key cannot speak for
another.

Keys rotate without downtime: publish the new public key beside the old one in
``SERVICE_PUBLIC_KEYS`` everywhere, then give the service its new ``SERVICE_KEY``,
then drop the old public key (docs/security.md). ``hotline keys new NAME`` prints a
key pair.

Development (``HOTLINE_ENV`` not production) with no keys configured uses keys
derived from the principal's name: anyone can compute them, a loud warning says
so, and production refuses to start with them.
"""
import base64
import hashlib
import json
import logging
import os
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kombu.utils import json as kombu_json
from nameko.rpc import MethodProxy, ServiceProxy
from nameko.standalone.rpc import ClusterProxy
from nameko.standalone.rpc import ClusterRpcProxy as NamekoClusterRpcProxy
from nameko.standalone.rpc import ServiceRpcProxy as NamekoServiceRpcProxy

log = logging.getLogger(__name__)

CALL_KEY = "hotline_call"  # nameko context key (header ``nameko.hotline_call``)
PRINCIPALS = ("intake", "routing", "followup", "notify", "insight", "callcentre", "console", "cli")
RPC_TTL_SECONDS = 120        # an RPC is answered in seconds; this bounds a replay of the same call
EVENT_TTL_SECONDS = 7 * 86400  # an event may wait in its queue while a consumer is down
DEVELOPMENT_SEED = "development-only-service-key:"


class BadSignature(Exception):
    """A call's signature is missing, garbled, expired, or does not fit the call."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def production():
    return os.environ.get("HOTLINE_ENV", "development") == "production"


def development_private_key(name):
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256((DEVELOPMENT_SEED + name).encode()).digest())


def public_text(public_key):
    return _b64(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def key_id(public_key):
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:12]


def new_key_pair():
    """``(private, public)`` as the texts ``SERVICE_KEY`` and ``SERVICE_PUBLIC_KEYS`` take."""
    private = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return _b64(raw), public_text(private.public_key())


def parse_public_keys(text):
    """``"intake=KEY,KEY routing=KEY"`` (spaces, semicolons or new lines between) -> {name: [keys]}."""
    found = {}
    for item in str(text or "").replace(";", " ").split():
        name, _, keys = item.partition("=")
        for key in keys.split(","):
            if key.strip():
                found.setdefault(name.strip(), []).append(
                    Ed25519PublicKey.from_public_bytes(_unb64(key.strip())))
    return found


def digest(body):
    """SHA-256 of ``body`` as the broker carries it (kombu's JSON), in canonical form."""
    carried = json.loads(kombu_json.dumps(body))
    canonical = json.dumps(carried, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def rpc_digest(args, kwargs):
    return digest({"args": list(args), "kwargs": dict(kwargs)})


def received_digest(body):
    """``digest`` of a body as a consumer received it from the broker, in one encoding.

    ``digest`` encodes with kombu and decodes again, so that keys that are not text
    (``{1: ...}``) are sorted as the receiver will see them, as text. A received body
    was decoded from the broker's JSON already -- every key is text, kombu's dates and
    decimals are their types again -- so encoding it once, sorted, gives the same text:
    the door checks every event and call this way, at half the cost.
    """
    canonical = kombu_json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def received_rpc_digest(args, kwargs):
    return received_digest({"args": list(args), "kwargs": dict(kwargs)})


class Keyring:
    """This process's signing key (as ``principal``) and every principal's public keys."""

    def __init__(self, principal, private_key, public_keys, development=False):
        self.principal = principal
        self.private_key = private_key
        self.public_keys = {name: {key_id(k): k for k in keys} for name, keys in public_keys.items()}
        self.development = development
        self.kid = key_id(private_key.public_key()) if private_key is not None else None

    @classmethod
    def from_config(cls, principal, config=None, warn=True):
        config = config or {}
        own = f"{principal.upper()}_SERVICE_KEY"  # e.g. CLI_SERVICE_KEY beside a service's own
        private = str(config.get(own) or os.environ.get(own) or config.get("SERVICE_KEY")
                      or os.environ.get("SERVICE_KEY") or "").strip()
        public = str(config.get("SERVICE_PUBLIC_KEYS") or os.environ.get("SERVICE_PUBLIC_KEYS") or "").strip()
        if private or public:
            if not (private and public):
                raise RuntimeError("SERVICE_KEY and SERVICE_PUBLIC_KEYS go together: set both or neither")
            key = Ed25519PrivateKey.from_private_bytes(_unb64(private))
            keys = parse_public_keys(public)
            development = any(key_id(k) == key_id(development_private_key(n).public_key())
                              for n, ks in keys.items() for k in ks)
            development = development or key_id(key.public_key()) == key_id(
                development_private_key(principal).public_key())
            if production() and development:
                raise RuntimeError("HOTLINE_ENV=production refuses the development service keys")
            if key_id(key.public_key()) not in {key_id(k) for k in keys.get(principal, ())}:
                raise RuntimeError(f"SERVICE_KEY is not among {principal}'s keys in SERVICE_PUBLIC_KEYS")
            return cls(principal, key, keys, development)
        if production():
            raise RuntimeError("HOTLINE_ENV=production needs SERVICE_KEY and SERVICE_PUBLIC_KEYS "
                               "(hotline keys new NAME; docs/security.md)")
        if warn:
            log.warning("service keys are the development defaults: anyone can sign as any service")
        return cls(principal, development_private_key(principal),
                   {name: [development_private_key(name).public_key()] for name in PRINCIPALS}, True)

    def sign(self, target, body_digest, ttl, now=None):
        body = {"p": self.principal, "k": self.kid, "t": target, "d": body_digest,
                "e": int((now if now is not None else time.time()) + ttl)}
        payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self.private_key.sign(payload))}"

    def verify(self, token, target, body_digest, now=None):
        """The principal that signed this very call, or ``BadSignature``."""
        if not token:
            raise BadSignature("the call is not signed by any service")
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 2000:
            raise BadSignature("the call's signature is garbled")
        payload_text, signature_text = token.split(".")
        try:
            payload, signature = _unb64(payload_text), _unb64(signature_text)
            body = json.loads(payload)
            principal, kid = str(body["p"]), str(body["k"])
            expires = int(body["e"])
        except (ValueError, TypeError, KeyError):
            raise BadSignature("the call's signature is garbled") from None
        public_key = self.public_keys.get(principal, {}).get(kid)
        if public_key is None:
            raise BadSignature(f"no key {kid!r} of a principal {principal!r} is known")
        try:
            public_key.verify(signature, payload)
        except InvalidSignature:
            raise BadSignature("the call's signature does not match") from None
        if expires < (now if now is not None else time.time()):
            raise BadSignature("the call's signature has expired")
        if body.get("t") != target:
            raise BadSignature("the signature is for another call")
        if body.get("d") != body_digest:
            raise BadSignature("the signature is for another message")
        return principal


def keyring_of(container):
    """The keyring of a nameko container (a service's, or a standalone proxy's)."""
    keyring = getattr(container, "hotline_keyring", None)
    if keyring is None:
        config = container.config or {}
        principal = config.get("PRINCIPAL") or getattr(container, "service_name", None)
        if principal not in PRINCIPALS:
            principal = "cli"
        keyring = Keyring.from_config(principal, config, warn=False)
        container.hotline_keyring = keyring
    return keyring


def call_token(worker_ctx, service_name, method_name, args, kwargs):
    return keyring_of(worker_ctx.container).sign(
        f"{service_name}.{method_name}", rpc_digest(args, kwargs), RPC_TTL_SECONDS)


def event_token(keyring, source, event_type, payload):
    return keyring.sign(f"{source}.{event_type}", digest(payload), EVENT_TTL_SECONDS)


class SignedMethodProxy(MethodProxy):
    """nameko's method proxy; the call goes out signed by this process's key."""

    _signing: tuple[tuple[object, ...], dict[str, object]] = ((), {})

    def _call(self, *args, **kwargs):
        self._signing = (args, kwargs)  # read by get_message_headers before the publish yields
        return super()._call(*args, **kwargs)

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        args, kwargs = self._signing
        headers[self._get_header_name(CALL_KEY)] = call_token(
            worker_ctx, self.service_name, self.method_name, args, kwargs)
        return headers


class SignedServiceProxy(ServiceProxy):
    def __getattr__(self, name):
        return SignedMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)


class SignedClusterProxy(ClusterProxy):
    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = SignedServiceProxy(self._worker_ctx, name, self._reply_listener)
        return self._proxies[name]


def _as(config, principal):
    config = dict(config or {})
    if principal:
        config["PRINCIPAL"] = principal
    return config


class ClusterRpcProxy(NamekoClusterRpcProxy):
    """nameko's ``ClusterRpcProxy``, signing every call as ``principal`` (config's
    ``PRINCIPAL``, default ``cli``) with the keys of ``config`` or the environment."""

    def __init__(self, config, context_data=None, timeout=None, principal=None, **kwargs):
        super().__init__(_as(config, principal), context_data=context_data, timeout=timeout, **kwargs)
        self._proxy = SignedClusterProxy(self._worker_ctx, self._reply_listener)


class ServiceRpcProxy(NamekoServiceRpcProxy):
    """nameko's ``ServiceRpcProxy``, signing every call (see ``ClusterRpcProxy``)."""

    def __init__(self, service_name, config, context_data=None, timeout=None, principal=None, **kwargs):
        super().__init__(service_name, _as(config, principal), context_data=context_data, timeout=timeout,
                         **kwargs)
        self._proxy = SignedServiceProxy(self._worker_ctx, service_name, self._reply_listener)


def event_dispatcher(config, principal):
    """A standalone event dispatcher whose events are signed as ``principal``
    (nameko's ``standalone.events.event_dispatcher``, for tests and tools)."""
    from nameko.amqp.publish import Publisher
    from nameko.standalone.events import get_event_exchange

    keyring = Keyring.from_config(principal, config, warn=False)
    publisher = Publisher(config["AMQP_URI"], serializer=config.get("serializer", "json"))

    def dispatch(service_name, event_type, event_data):
        token = event_token(keyring, service_name, event_type, event_data)
        publisher.publish(event_data, exchange=get_event_exchange(service_name, config),
                          routing_key=event_type, extra_headers={f"nameko.{CALL_KEY}": token})

    return dispatch


def client_config(config, principal):
    """A standalone proxy's config, signing as ``principal`` with the keys of ``config``."""
    found = {"AMQP_URI": config["AMQP_URI"], "serializer": config.get("serializer", "json"),
             "PRINCIPAL": principal}
    for key in ("SERVICE_KEY", "SERVICE_PUBLIC_KEYS"):
        if config.get(key):
            found[key] = config[key]
    return found
