"""A nameko timer whose interval comes from config, read in ``setup()``.

nameko's own ``@timer(interval=5)`` fixes the interval when the module is
imported; operators need to set it per deployment::

    @every("OUTBOX_INTERVAL", default=5)
    def republish(self): ...
"""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, config_key, default, **kwargs):
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key, self.default))
        super().setup()


every = ConfiguredTimer.decorator
