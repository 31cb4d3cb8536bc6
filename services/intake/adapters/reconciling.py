"""How the reconciler reaches the other services: its settings, and one round's RPC calls.

``Reconciling`` (a dependency provider) reads the rules and the RPC settings
in ``setup()``; ``Asks`` makes one round's calls, and asks a service that did
not answer no more that round. The round itself is ``handlers/reconcile.py``.
"""
import logging
import uuid

from nameko.extensions import DependencyProvider

from services.intake.domain.reconcile import ReconcileRules
from shared.platform import principals

log = logging.getLogger(__name__)

NO_ANSWER = object()


class Reconciling(DependencyProvider):
    """The reconciler's rules and how to reach the other services, read in ``setup()``."""

    def setup(self):
        config = self.container.config
        self.rules = ReconcileRules.from_config(config)
        self.rpc_config = principals.client_config(config, "intake")
        self.owner = uuid.uuid4().hex[:12]

    def get_dependency(self, worker_ctx):
        return self

    def cluster(self):
        """The RPC proxies of one round (a context manager)."""
        from shared.platform.principals import ClusterRpcProxy

        return ClusterRpcProxy(self.rpc_config, timeout=self.rules.rpc_timeout)


class Asks:
    """RPC calls of one round; a service that does not answer is asked no more this round."""

    def __init__(self, cluster, silent):
        self.cluster = cluster
        self.silent = silent

    def call(self, service, method, *args):
        if service in self.silent:
            return NO_ANSWER
        try:
            return getattr(getattr(self.cluster, service), method)(*args)
        except Exception as exc:
            log.warning("reconciler: %s.%s did not answer (%s)", service, method, type(exc).__name__)
            self.silent.add(service)
            return NO_ANSWER

    def silent_names(self):
        return ", ".join(f"{name} did not answer" for name in sorted(self.silent))
