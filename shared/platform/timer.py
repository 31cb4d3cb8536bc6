"""A nameko timer whose interval comes from config, read in ``setup()``.

nameko's own ``@timer(interval=5)`` fixes the interval when the module is
imported; operators need to set it per deployment::

    @every("OUTBOX_INTERVAL", default=5)
    def republish(self): ...

With ``retry``, a tick that could not do its work (it returned ``None`` or
raised) is tried again after ``retry`` seconds rather than a whole interval:
a service that started before the one it asks is not left waiting a minute::

    @every("DIRECTORY_SYNC_INTERVAL", default=60, eager=True, retry=2)
    def sync_directory(self): ...
"""
import time

from eventlet import Timeout
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, config_key, default, retry=None, **kwargs):
        self.config_key = config_key
        self.default = default
        self.retry = retry
        self.tick_failed = False
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key, self.default))
        super().setup()

    def handle_result(self, worker_ctx, result, exc_info):
        self.tick_failed = exc_info is not None or result is None
        return super().handle_result(worker_ctx, result, exc_info)

    def _pause_after_tick(self):
        if self.retry is not None and self.tick_failed:
            return min(self.retry, self.interval)
        return self.interval

    def _run(self):
        """nameko's loop (sleep, tick, wait for the worker), the pause chosen after each tick."""
        sleep_time = 0 if self.eager else self.interval
        while True:
            with Timeout(sleep_time, exception=False):
                self.should_stop.wait()
                break
            started = time.monotonic()
            self.handle_timer_tick()
            self.worker_complete.wait()
            self.worker_complete.reset()
            sleep_time = max(started + self._pause_after_tick() - time.monotonic(), 0)


every = ConfiguredTimer.decorator
