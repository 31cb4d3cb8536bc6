"""Deny by default: every entrypoint declares who may pass, and one gate enforces it.

An RPC method, an HTTP route and an inbound queue consumer declare their door::

    @door(Services("followup", "notify"), People(*STAFF_ROLES))
    @rpc
    def get_ticket(self, number): ...

    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>")
    def http_department_case(self, request, number): ...

Who may pass:

* ``Public()`` -- anyone (a public route still has its own proof, limits and body caps);
* ``Services(names)`` -- a call signed by one of these principals (``shared.platform.principals``);
* ``People(roles)`` -- a call signed by any principal *and* carrying a signed person
  (``shared.platform.identity``) who holds one of ``roles``;
* ``Bearer(check)`` -- HTTP only: ``Authorization: Bearer TOKEN`` that the service's
  ``check`` (a dotted path from the service instance) turns into a unit;
* ``Session(roles)`` -- the workbench's pages: a signed-in session with one of
  ``roles``, enforced by ``services.console.web.page`` (which declares it);
* ``Source()`` -- an inbound queue that registered source systems publish to: the
  broker user that published (validated by RabbitMQ) must be a registered source,
  checked by the consumer before it reads the body.

An event handler needs no declaration: ``@event_handler("intake", "ticket_created")``
already says who may send it, and the gate checks that intake signed that very event.
Timers are internal.

``doors = Doors()`` on a service class is the gate. In ``setup()`` it refuses to start
a service with an entrypoint that declares nothing; in ``worker_setup()``, before the
handler runs, a caller who may not pass gets a refusal in place of the handler: an
RPC raises ``NotAllowed``, an HTTP route answers 401, a forged event is dead-lettered
with the reason. The entrypoints themselves (``shared.platform.messaging``, ``shared.platform.web``)
refuse to start in a service without the gate.
"""
import logging
import re
from dataclasses import dataclass

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer
from nameko.rpc import Rpc as NamekoRpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler

from shared.platform import identity, principals
from shared.platform.identity import NotAllowed

log = logging.getLogger(__name__)

ATTRIBUTE = "__door__"
BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/=-]{8,200})")


@dataclass(frozen=True)
class Public:
    """Anyone."""

    def describe(self):
        return "public"


@dataclass(frozen=True)
class Services:
    """Calls signed by one of these principals."""

    names: tuple

    def __init__(self, *names):
        unknown = set(names) - set(principals.PRINCIPALS)
        if unknown or not names:
            raise ValueError(f"unknown principals {sorted(unknown)}; known: {principals.PRINCIPALS}")
        object.__setattr__(self, "names", tuple(names))

    def describe(self):
        return "service: " + ", ".join(self.names)


@dataclass(frozen=True)
class People:
    """A signed call carrying a signed person who holds one of ``roles``."""

    roles: tuple

    def __init__(self, *roles):
        unknown = set(roles) - set(identity.ROLES)
        if unknown or not roles:
            raise ValueError(f"unknown roles {sorted(unknown)}; known: {identity.ROLES}")
        object.__setattr__(self, "roles", tuple(roles))

    def describe(self):
        return "person: " + ", ".join(self.roles)


@dataclass(frozen=True)
class Bearer:
    """HTTP: ``Authorization: Bearer TOKEN`` accepted by the service's ``check``."""

    check: str

    def describe(self):
        return "department token"


@dataclass(frozen=True)
class Session:
    """A workbench page: a signed-in person with one of ``roles`` (any when empty)."""

    roles: tuple = ()

    def describe(self):
        return "signed-in: " + (", ".join(self.roles) if self.roles else "any staff")


@dataclass(frozen=True)
class Source:
    """An inbound queue: the publishing broker user must be a registered source."""

    def describe(self):
        return "source system (its broker user)"


def door(*allowed):
    """Declare who may pass this entrypoint (at least one kind)."""
    if not allowed:
        raise ValueError("a door lets someone through: declare at least one kind")

    def decorate(fn):
        setattr(fn, ATTRIBUTE, tuple(allowed))
        return fn

    return decorate


def declared(service_cls, method_name):
    return getattr(getattr(service_cls, method_name, None), ATTRIBUTE, None)


def kind_of(entrypoint):
    """``rpc``, ``http``, ``event``, ``queue`` or ``timer``."""
    if isinstance(entrypoint, NamekoRpc):
        return "rpc"
    if isinstance(entrypoint, HttpRequestHandler):
        return "http"
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Consumer):
        return "queue"
    if isinstance(entrypoint, Timer):
        return "timer"
    return "other"


def doors_of(service_cls):
    """Every entrypoint of ``service_cls``: ``[(kind, name, method_name, allowed)]`` (for
    the door table and the stranger's test); ``allowed`` is what the gate enforces."""
    found = []
    for attr in dir(service_cls):
        method = getattr(service_cls, attr, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()) or ():
            kind = kind_of(entrypoint)
            if kind == "rpc":
                name = attr
            elif kind == "http":
                name = f"{entrypoint.method} {entrypoint.url}"
            elif kind == "event":
                name = f"{entrypoint.source_service}.{entrypoint.event_type}"
            elif kind == "queue":
                name = entrypoint.queue.name if entrypoint.queue is not None else attr
            else:
                name = attr
            found.append((kind, name, attr, allowed_for(kind, entrypoint, declared(service_cls, attr))))
    return sorted(found)


def allowed_for(kind, entrypoint, declaration):
    if kind == "event":
        return (Services(entrypoint.source_service),) if entrypoint.source_service in principals.PRINCIPALS \
            else ()
    if kind == "timer":
        return ("internal",)
    return declaration


class DoorUndeclared(RuntimeError):
    """A service has an entrypoint that does not say who may pass it."""


def require_gate(entrypoint):
    """Called by the platform's entrypoints in ``setup()``: no gate, no start."""
    if not any(isinstance(dep, Doors) for dep in entrypoint.container.dependencies):
        raise DoorUndeclared(f"{entrypoint.container.service_name} has entrypoints but no gate: "
                             "add `doors = Doors()` to the service class")


def _resolve(service, path):
    value = service
    for part in path.split("."):
        value = getattr(value, part)
    return value


class Doors(DependencyProvider):
    """The gate (see the module docstring)."""

    def setup(self):
        config = self.container.config
        self.keyring = principals.Keyring.from_config(self.container.service_name, config)
        self.container.hotline_keyring = self.keyring
        self.secret = identity.secret_from(config, warn=False)
        missing = []
        for entrypoint in self.container.entrypoints:
            kind = kind_of(entrypoint)
            if kind in ("rpc", "http", "queue", "other") and not declared(
                    self.container.service_cls, entrypoint.method_name):
                missing.append(f"{kind} {entrypoint.method_name}")
            if kind == "event" and entrypoint.source_service not in principals.PRINCIPALS:
                missing.append(f"event from unknown principal {entrypoint.source_service}")
        if missing:
            raise DoorUndeclared(f"{self.container.service_name}: entrypoints without a door: "
                                 + ", ".join(sorted(missing)))

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        kind = kind_of(entrypoint)
        if kind == "timer":
            return
        allowed = allowed_for(kind, entrypoint, declared(self.container.service_cls, entrypoint.method_name))
        problem = self.problem(kind, worker_ctx, allowed or ())
        if problem is not None:
            log.warning("refused at the door of %s.%s: %s", self.container.service_name,
                        entrypoint.method_name, problem)
            setattr(worker_ctx.service, entrypoint.method_name, self.refusal(kind, worker_ctx, problem))

    # -- checks -----------------------------------------------------------------

    def problem(self, kind, worker_ctx, allowed):
        """Why the caller may not pass, or ``None``."""
        if any(isinstance(a, (Public, Session, Source)) for a in allowed):
            return None
        if kind == "http":
            return self.http_problem(worker_ctx, allowed)
        if kind == "event":
            target = f"{worker_ctx.entrypoint.source_service}.{worker_ctx.entrypoint.event_type}"
            body = worker_ctx.args[0] if worker_ctx.args else None
            body_digest = principals.received_digest(body)  # as the broker delivered it
        else:
            target = f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}"
            body_digest = principals.received_rpc_digest(worker_ctx.args, worker_ctx.kwargs)
        try:
            principal = self.keyring.verify(worker_ctx.data.get(principals.CALL_KEY), target, body_digest)
        except (principals.BadSignature, ValueError, TypeError) as exc:
            return str(exc)
        reasons = []
        for kind_allowed in allowed:
            if isinstance(kind_allowed, Services):
                if principal in kind_allowed.names:
                    return None
                reasons.append(f"{principal} is not {' or '.join(kind_allowed.names)}")
            elif isinstance(kind_allowed, People):
                person, why = self.person(worker_ctx)
                if person is not None and person.has(*kind_allowed.roles):
                    return None
                reasons.append(why or f"{person.name} is not {' or '.join(kind_allowed.roles)}")
        return "; ".join(reasons) or "nobody may pass this door"

    def person(self, worker_ctx):
        token = worker_ctx.data.get(identity.CONTEXT_KEY)
        if not token:
            return None, "this needs a signed-in person"
        try:
            return identity.verify(token, self.secret), None
        except NotAllowed as exc:
            return None, str(exc)

    def http_problem(self, worker_ctx, allowed):
        request = worker_ctx.args[0]
        header = request.headers.get("Authorization")
        for kind_allowed in allowed:
            if isinstance(kind_allowed, Bearer):
                if header is None:
                    return "a token is required: Authorization: Bearer TOKEN"
                match = BEARER.fullmatch(header.strip())
                if match is None:
                    return "the Authorization header is not 'Bearer TOKEN'"
                if _resolve(worker_ctx.service, kind_allowed.check)(match.group(1)):
                    return None
                return "the token is not valid"
        return "nobody may pass this door"

    # -- refusals ---------------------------------------------------------------

    def refusal(self, kind, worker_ctx, problem):
        if kind == "http":
            from shared.platform.answers import error_body

            def refuse_http(*args, **kwargs):
                return error_body(401, "token", problem, {"WWW-Authenticate": 'Bearer realm="hotline"'})
            return refuse_http
        if kind == "event":
            container, entrypoint = self.container, worker_ctx.entrypoint

            def refuse_event(payload, *args, **kwargs):
                dead_letter(container, entrypoint, payload, f"refused at the door: {problem}")
            return refuse_event

        def refuse_call(*args, **kwargs):
            raise NotAllowed(problem)
        return refuse_call


def dead_letter(container, entrypoint, payload, reason):
    """Keep a refused event for a person (the dead-letter queue), with the reason."""
    from nameko.amqp.publish import Publisher

    from shared.contract.events import utcnow
    from shared.contract.topology import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE
    from shared.platform.letters import serializable_letter

    origin = f"{entrypoint.source_service}.{entrypoint.event_type}"
    letter = serializable_letter({"payload": payload, "reason": reason, "origin": origin,
                                  "consumer": container.service_name, "queue": entrypoint.queue.name,
                                  "dead_lettered_at": utcnow().isoformat()})
    Publisher(container.config["AMQP_URI"], serializer="json").publish(
        letter, exchange=DEAD_LETTER_EXCHANGE, routing_key=f"{container.service_name}.{origin}",
        declare=[DEAD_LETTER_QUEUE])
