"""Failures counted per pair slow the pair that fails, doubling each time, capped."""
import datetime as dt

import mongomock

from shared.platform.slowdown import FailureCounter, Slowdown

NOW = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)


def test_the_wait_doubles_after_the_free_failures_and_stops_at_the_cap():
    policy = Slowdown(free=3, base=1.0, cap=60.0)
    assert [policy.wait_after(n) for n in range(1, 11)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert policy.wait_after(10_000) == 60


def test_a_pair_waits_after_its_own_failures_and_others_do_not():
    counter = FailureCounter(mongomock.MongoClient().db.failures, Slowdown(free=2, base=10, cap=100))
    assert counter.fail("login|stranger", NOW) == (1, 0)
    assert counter.fail("login|stranger", NOW) == (2, 0)
    assert counter.fail("login|stranger", NOW) == (3, 10)
    assert counter.wait("login|stranger", NOW + dt.timedelta(seconds=4)) == 6
    assert counter.wait("login|owner", NOW) == 0
    assert counter.fail("login|stranger", NOW) == (4, 20)
    assert counter.wait("login|stranger", NOW + dt.timedelta(seconds=21)) == 0


def test_a_success_forgets_and_so_does_time():
    counter = FailureCounter(mongomock.MongoClient().db.failures,
                             Slowdown(free=1, base=5, cap=5, forget=dt.timedelta(hours=1)))
    counter.fail("k", NOW)
    assert counter.succeed("k")["count"] == 1 and counter.failures("k", NOW) == 0
    counter.fail("k", NOW)
    counter.fail("k", NOW)
    later = NOW + dt.timedelta(hours=2)
    assert counter.failures("k", later) == 0 and counter.wait("k", later) == 0
    assert counter.fail("k", later) == (1, 0)  # a fresh count, not the old one plus one


def test_settings_come_from_config_with_defaults():
    policy = Slowdown.from_config({"free": "4", "base_seconds": "2", "cap_seconds": None})
    assert (policy.free, policy.base, policy.cap) == (4, 2.0, Slowdown().cap)
