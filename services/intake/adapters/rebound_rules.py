"""The rebound rules (防反弹), read from ``REBOUNDS`` in ``setup()``: a wrong outcome or
window stops the service at start instead of failing every request."""
from nameko.extensions import DependencyProvider

from services.intake.domain.rebounds import ReboundRules


class Rebounds(DependencyProvider):
    def setup(self):
        self.rules = ReboundRules.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.rules
