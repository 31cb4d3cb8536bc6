"""The configured timer: its interval from config, and a failed tick tried again sooner."""
import eventlet

from shared.platform.timer import ConfiguredTimer


class FakeContainer:
    """Just what a timer asks of its container: threads, workers and config."""

    def __init__(self, config, results):
        self.config = config
        self.results = list(results)
        self.ticks = 0

    def spawn_managed_thread(self, run):
        return eventlet.spawn(run)

    def spawn_worker(self, entrypoint, args, kwargs, handle_result):
        self.ticks += 1
        result = self.results.pop(0) if self.results else "done"
        eventlet.spawn(handle_result, None, result, None)


def run_timer(timer, config, results, seconds):
    container = FakeContainer(config, results)
    timer.container = container
    timer.setup()
    timer.start()
    eventlet.sleep(seconds)
    timer.stop()
    return container.ticks


def test_the_interval_comes_from_config():
    timer = ConfiguredTimer("SYNC_INTERVAL", default=60, eager=True)
    assert run_timer(timer, {"SYNC_INTERVAL": "0.05"}, [], 0.32) >= 3  # the default, 60 s, would give 1


def test_a_tick_that_could_not_do_its_work_is_tried_again_after_the_retry_pause():
    """Routing not up yet: two failed syncs, then one that works; the next is a whole interval later."""
    timer = ConfiguredTimer("SYNC_INTERVAL", default=60, eager=True, retry=0.05)
    assert run_timer(timer, {}, [None, None, 3], 0.5) == 3


def test_without_retry_a_failed_tick_waits_the_whole_interval():
    timer = ConfiguredTimer("SYNC_INTERVAL", default=60, eager=True)
    assert run_timer(timer, {}, [None, None, 3], 0.3) == 1
