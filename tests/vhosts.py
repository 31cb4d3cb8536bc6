"""Vhosts the service tests reuse instead of making one each (the default;
``HOTLINE_TEST_FRESH_VHOSTS=1`` gives every test nameko's fresh vhost instead).

A fresh vhost costs the broker the platform's whole topology (96 quorum queues, each
a Raft group) when the test's first service starts, and as much again when it is
deleted: about 1.1 s of the broker's CPU and 2 s of the test's time, for each of some
two hundred service tests. A vhost a test is done with is instead put back as a
freshly declared one looks, and reused only if it then *is* what a fresh declaration
gives; otherwise it is deleted as before:

- it rests ``SETTLE`` seconds first: the broker's management API lists a connection
  only once its first statistics are out (up to 5 s), and a connection still open then
  (a test's leak) means the vhost is not reused: closing it here could hand its
  unacknowledged messages back to the next test, and closing it by name could close
  another test's connection that got the same address;
- every queue and exchange that is not the platform's is deleted, the platform's
  topology redeclared and its queues purged; then, on the same channel, every
  platform queue must answer a passive declare with no message and no consumer;
- the same queues with the same arguments, exchanges, bindings; no policy, no other
  user's permission.

What a reused vhost cannot give a test is a broker on which nothing was ever
declared. Tests about that (the topology's own, the broker's users) take
``@pytest.mark.fresh_vhost`` and get nameko's fresh vhost.
"""
from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlparse

from kombu import Connection
from kombu.pools import connections as kombu_connections
from kombu.pools import producers as kombu_producers

from shared.contract import topology

log = logging.getLogger(__name__)

SETTLE = 6.0  # seconds a vhost rests before it is checked and put back (see above)

DEFAULT_EXCHANGES = {"", "amq.direct", "amq.fanout", "amq.headers", "amq.match", "amq.rabbitmq.trace",
                     "amq.topic"}


def amqp_uri(base: str, vhost: str) -> str:
    parts = urlparse(base)
    return f"{parts.scheme}://{parts.netloc}/{vhost}"


class Deletions:
    """The vhosts and queues the run's processes have deleted, per broker, counted in
    files in the run's temporary folder (one byte each).

    RabbitMQ 3.10 can stop a node's dead-letter supervisor for good when quorum queues
    are deleted (``operate.cluster.HEAL_DEAD_LETTER_SUPERVISOR``); asking the node
    whether it did starts an Erlang VM (1-2 s). Before each module, a test process asks
    only if some process of the run has deleted something on that broker since it last
    asked (tests/conftest.py). A deletion is noted once it is done, so one that a check
    overtakes is seen by the next check."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.asked: dict[object, int] = {}  # node: the deletions counted when this process last asked

    def note(self, broker: str, count: int = 1) -> None:
        with open(self.folder / f"deleted-on-{broker}", "ab") as ledger:
            ledger.write(b"." * count)

    def count(self, broker: str) -> int:
        try:
            return (self.folder / f"deleted-on-{broker}").stat().st_size
        except FileNotFoundError:
            return 0

    def since_last_asked(self, broker: str, node: object) -> bool:
        """Whether the run has deleted anything on ``broker`` since this process last
        asked about ``node`` (always, the first time); the answer counts as asking."""
        deleted = self.count(broker)
        if self.asked.get(node) == deleted:
            return False
        self.asked[node] = deleted
        return True


class VhostPool:
    """Clean vhosts for one test process; a new one when none is free."""

    def __init__(self, manager, base_uri: str, username: str, config, deletions: Deletions) -> None:
        self.manager, self.base_uri, self.username = manager, base_uri, username
        self.deletions = deletions
        self.config = config
        self.names = self._platform_names()
        self.free: list[str] = []
        self.dirty: list[tuple[float, str]] = []  # (released at, vhost), oldest first
        self.users: dict[str, str] = {}  # vhost: the test that used it last
        self.reference: tuple | None = None
        self.counts = {"made": 0, "reused": 0, "discarded": 0}

    def _platform_names(self) -> tuple[set[str], set[str]]:
        queues, exchanges = set(), set(DEFAULT_EXCHANGES)
        for entity in topology.entities(self.config):
            if hasattr(entity, "queue_arguments"):
                queues.add(entity.name)
                if entity.exchange is not None:
                    exchanges.add(entity.exchange.name)
            else:
                exchanges.add(entity.name)
        return queues, exchanges

    @contextlib.contextmanager
    def get(self, user: str = "") -> Iterator[str]:
        """A clean vhost for ``user`` (a test's id, named if its vhost is not reused)."""
        self._tidy()
        if self.free:
            vhost = self.free.pop()
            self.counts["reused"] += 1
        else:
            vhost = self._make()
        try:
            yield vhost
        finally:
            # Put back at a later test's start: this fixture ends before the test's
            # containers stop (they were set up first), so they may still be using it.
            self.users[vhost] = user
            self.dirty.append((time.monotonic(), vhost))

    def _tidy(self) -> None:
        settled = time.monotonic() - SETTLE
        while self.dirty and self.dirty[0][0] <= settled:
            _, vhost = self.dirty.pop(0)
            why = self._put_back(vhost)
            if why is None:
                self.free.append(vhost)
            else:
                log.warning("vhost %s (last used by %s) not reused: %s", vhost, self.users.get(vhost), why)
                self.counts["discarded"] += 1
                self._delete(vhost)

    def _delete(self, vhost: str) -> None:
        try:
            with contextlib.suppress(Exception):
                self.manager.delete_vhost(vhost)
        finally:
            self.deletions.note("local")
        self._close_pools(vhost)

    def _make(self) -> str:
        vhost = f"hotline_test_{uuid.uuid4().hex[:10]}"
        self.manager.create_vhost(vhost)
        self.manager.set_vhost_permissions(vhost, self.username, ".*", ".*", ".*")
        self.counts["made"] += 1
        return vhost

    def close(self) -> None:
        for vhost in self.free + [name for _, name in self.dirty]:
            self._delete(vhost)
        self.free.clear()
        self.dirty.clear()
        log.info("service tests' vhosts: %(made)d made, %(reused)d reused, %(discarded)d discarded", self.counts)

    # -- putting a vhost back ------------------------------------------------------
    def _put_back(self, vhost: str) -> str | None:
        """Put ``vhost`` back as a fresh declaration leaves it; why it cannot be reused, or None."""
        try:
            self._close_pools(vhost)
            still = self._connections(vhost)
            if still:
                return f"a connection to it is still open (from port {', '.join(str(c.get('peer_port')) for c in still)})"
            queues, exchanges = self.names
            for queue in self.manager.get_queues(vhost):
                if queue["name"] not in queues:
                    try:
                        self.manager._delete("queues", vhost, queue["name"])
                    finally:
                        self.deletions.note("local")
            for exchange in self.manager.get_exchanges(vhost):
                if exchange["name"] not in exchanges:
                    self.manager._delete("exchanges", vhost, exchange["name"])
            uri = amqp_uri(self.base_uri, vhost)
            topology.declare_with_uri(uri, self.config)
            with Connection(uri) as connection:
                channel = connection.channel()
                for name in sorted(queues):
                    channel.queue_purge(name)
                for name in sorted(queues):
                    _, messages, consumers = channel.queue_declare(name, passive=True)
                    if messages or consumers:
                        return f"{name} kept {messages} message(s), {consumers} consumer(s)"
            shape = self._shape(vhost)
        except Exception as exc:  # anything odd: the vhost goes, as it always did
            log.exception("vhost %s: putting it back failed", vhost)
            return f"putting it back failed ({type(exc).__name__})"
        if self.reference is None:
            self.reference = shape
        if shape != self.reference:
            return "its queues, exchanges, bindings, policies or permissions differ"
        return None

    def _connections(self, vhost: str) -> list[dict]:
        """The connections to ``vhost`` the broker still lists, given a second to see
        the ones ``_close_pools`` just closed go."""
        deadline = time.monotonic() + 1.0
        while True:
            still = self.manager._get("vhosts", vhost, "connections") or []
            if not still or time.monotonic() > deadline:
                return still
            time.sleep(0.1)

    def _shape(self, vhost: str) -> tuple:
        def facts(rows: Iterable[dict], *keys: str) -> frozenset:
            return frozenset(tuple(repr(row.get(key)) for key in keys) for row in rows)

        permissions = self.manager._get("vhosts", vhost, "permissions") or []
        return (
            facts(self.manager.get_queues(vhost), "name", "durable", "auto_delete", "exclusive", "arguments"),
            facts(self.manager.get_exchanges(vhost), "name", "type", "durable", "auto_delete", "internal",
                  "arguments"),
            facts(self.manager._get("bindings", vhost) or [], "source", "destination", "destination_type",
                  "routing_key", "arguments"),
            facts(self.manager._get("policies", vhost) or [], "name"),
            facts(self.manager._get("operator-policies", vhost) or [], "name"),
            frozenset(p["user"] for p in permissions),
        )

    @staticmethod
    def _close_pools(vhost: str) -> None:
        """kombu's pooled connections to ``vhost``, closed and forgotten: the next test's
        publishers would otherwise be handed connections the broker no longer knows."""
        for group in (kombu_producers, kombu_connections):
            for key, pool in list(group.items()):
                if isinstance(key, Sequence) and not isinstance(key, str) and len(key) > 4 and key[4] == vhost:
                    pool.force_close_all()
                    group.pop(key, None)
