"""Broker users through RabbitMQ's management API: each system through its own door.

Another government system gets a user of its own whose permissions let it
do two things and nothing else:

* publish to the exchange ``hotline.inbound`` with routing key
  ``ticket.submit`` or ``call.event`` (write permission on that exchange, and a
  topic permission on it for those keys only; callcentre takes call events only
  from the sources it is told to, ``CALLCENTRE.call_sources``);
* read its own receipts from the queue ``hotline.receipts.<name>``, which
  the administrator declares for it, bound to ``ticket.receipt.<name>``
  (read permission on that queue only).

It can configure nothing (no queue or exchange of its own, no bindings), so
it cannot publish to nameko's RPC or event exchanges, read another system's
receipts or the dead letters, or forge receipts.

``service_permissions()`` is the set for the services' own user once the
dead-letter queue is declared by the topology step: everything except reading
that queue, which only administrators may read. (RabbitMQ's patterns match
exchanges and queues by name alike, and binding a queue needs read on its
exchange: the queue must be named apart from its exchange, or bound by an
administrator, for the services to publish dead letters without reading them.)

Pure ``requests`` over the management API (``BROKER_MANAGEMENT_URI``); used by
the ``hotline sources`` and ``hotline broker`` commands, never by a service.
"""
import re
import secrets
import time
from urllib.parse import quote, urlparse, urlunparse

import requests

INBOUND_EXCHANGE = "hotline.inbound"
SUBMIT_KEY = "ticket.submit"
CALL_EVENT_KEY = "call.event"  # a PBX or call platform reporting calls (callcentre)
DEAD_LETTER_QUEUE = "hotline.dead_letters"
USER_PREFIX = "hotline-source-"
# Receipts not collected within a week, or beyond 100,000, are dropped (oldest first).
RECEIPT_QUEUE_ARGUMENTS = {"x-queue-type": "quorum", "x-message-ttl": 7 * 86400 * 1000,
                           "x-max-length": 100000}


class BrokerAdminError(RuntimeError):
    """The management API refused or did not answer."""


def receipts_queue(name):
    return f"hotline.receipts.{name}"


def source_user(name):
    return f"{USER_PREFIX}{name}"


def source_permissions(name):
    """``(permissions, topic_permissions)`` for system ``name`` (see the module docstring)."""
    return ({"configure": "^$", "write": f"^{re.escape(INBOUND_EXCHANGE)}$",
             "read": f"^{re.escape(receipts_queue(name))}$"},
            {"exchange": INBOUND_EXCHANGE, "write": f"^({re.escape(SUBMIT_KEY)}|{re.escape(CALL_EVENT_KEY)})$",
             "read": f"^{re.escape('ticket.receipt.' + name)}$"})


def service_permissions(dead_letter_queue=DEAD_LETTER_QUEUE):
    """The services' own user: configure and write anything, read anything but the dead letters."""
    return {"configure": ".*", "write": ".*", "read": f"^(?!{re.escape(dead_letter_queue)}$).*"}


def vhost_of(amqp_uri):
    path = urlparse(amqp_uri).path
    return "/" if path in ("", "/") else path[1:]


def amqp_uri_for(amqp_uri, user, password, public=None):
    """``amqp://user:password@host:port/vhost`` on the broker of ``amqp_uri`` (or ``public``)."""
    parts = urlparse(public or amqp_uri)
    host = parts.hostname or "127.0.0.1"
    port = f":{parts.port}" if parts.port else ""
    vhost = quote(vhost_of(amqp_uri), safe="")
    scheme = {"pyamqp": "amqp", "": "amqp"}.get(parts.scheme, parts.scheme)  # kombu's name for amqp
    return urlunparse((scheme, f"{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}",
                       f"/{vhost}", "", "", ""))


class BrokerAdmin:
    def __init__(self, api_uri, vhost, timeout=10):
        parts = urlparse(api_uri)
        self.base = urlunparse((parts.scheme, f"{parts.hostname}:{parts.port or 15672}",
                                parts.path.rstrip("/") + "/api", "", "", ""))
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.vhost = vhost
        self.timeout = timeout

    def _call(self, method, path, body=None, ok=(200, 201, 204)):
        """The JSON answer (None for none, or for a 404 that ``ok`` allows)."""
        try:
            answer = requests.request(method, f"{self.base}{path}", json=body, auth=self.auth,
                                      timeout=self.timeout)
        except requests.RequestException as exc:
            raise BrokerAdminError(f"the broker's management API did not answer: {exc}") from None
        if answer.status_code not in ok:
            raise BrokerAdminError(f"{method} {path}: HTTP {answer.status_code} {answer.text[:200]}")
        if answer.status_code == 404 or not answer.content:
            return None
        return answer.json() if answer.headers.get("content-type", "").startswith("application/json") else None

    def _v(self):
        return quote(self.vhost, safe="")

    # -- users -------------------------------------------------------------------------

    def put_user(self, user, password, tags=""):
        self._call("PUT", f"/users/{quote(user, safe='')}", {"password": password, "tags": tags})

    def user_exists(self, user):
        return self._call("GET", f"/users/{quote(user, safe='')}", ok=(200, 404)) is not None

    def delete_user(self, user):
        self._call("DELETE", f"/users/{quote(user, safe='')}", ok=(204, 404))

    def set_permissions(self, user, permissions):
        self._call("PUT", f"/permissions/{self._v()}/{quote(user, safe='')}", permissions)

    def set_topic_permissions(self, user, topic):
        self._call("PUT", f"/topic-permissions/{self._v()}/{quote(user, safe='')}", topic)

    def permissions(self, user):
        return self._call("GET", f"/permissions/{self._v()}/{quote(user, safe='')}", ok=(200, 404))

    def close_connections(self, user, linger=0.0):
        """Close every connection ``user`` has open (a new password or a revoked user).

        The management API lists a new connection only with its next statistics
        (every 5 s by default): ``linger`` seconds later it looks once more.
        """
        closed = self._close_listed(user)
        if linger:
            time.sleep(linger)
            closed += self._close_listed(user)
        return closed

    def _close_listed(self, user):
        closed = 0
        for connection in self._call("GET", "/connections") or []:
            if connection.get("user") == user:
                self._call("DELETE", f"/connections/{quote(connection['name'], safe='')}", ok=(204, 404))
                closed += 1
        return closed

    # -- topology for a source ---------------------------------------------------------------

    def declare_inbound(self):
        self._call("PUT", f"/exchanges/{self._v()}/{quote(INBOUND_EXCHANGE, safe='')}",
                   {"type": "topic", "durable": True, "auto_delete": False, "internal": False, "arguments": {}})

    def declare_receipts(self, name):
        queue = receipts_queue(name)
        self._call("PUT", f"/queues/{self._v()}/{quote(queue, safe='')}",
                   {"durable": True, "auto_delete": False, "arguments": RECEIPT_QUEUE_ARGUMENTS})
        self._call("POST", f"/bindings/{self._v()}/e/{quote(INBOUND_EXCHANGE, safe='')}/q/{quote(queue, safe='')}",
                   {"routing_key": f"ticket.receipt.{name}", "arguments": {}})
        return queue

    def delete_queue(self, queue):
        self._call("DELETE", f"/queues/{self._v()}/{quote(queue, safe='')}", ok=(204, 404))

    # -- what the commands do -----------------------------------------------------------------

    def open_source(self, name):
        """The system's user (a new password), permissions and receipts queue: ``(user, password)``."""
        user, password = source_user(name), secrets.token_urlsafe(24)
        self.declare_inbound()
        self.declare_receipts(name)
        self.put_user(user, password)
        permissions, topic = source_permissions(name)
        self.set_permissions(user, permissions)
        self.set_topic_permissions(user, topic)
        return user, password

    def new_password(self, name, linger=0.0):
        """A new password for the system's user; its open connections are closed."""
        user, password = source_user(name), secrets.token_urlsafe(24)
        if not self.user_exists(user):
            raise BrokerAdminError(f"the broker has no user {user}: create the source first")
        self.put_user(user, password)
        self.close_connections(user, linger)
        return user, password

    def close_source(self, name, keep_queue=False, linger=0.0):
        """Delete the system's user, close its connections, and (unless kept) its receipts queue."""
        user = source_user(name)
        self.delete_user(user)
        self.close_connections(user, linger)
        if not keep_queue:
            self.delete_queue(receipts_queue(name))
