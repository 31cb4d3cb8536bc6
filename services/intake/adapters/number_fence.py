"""A ticket number is issued once: intake's counters, fenced by what others hold.

intake numbers each day's tickets from a counter (``QD-20261127`` -> 1, 2,
3 ...). The counter alone is not enough: the in-memory store forgets it when
intake restarts, and a MongoDB restored from a backup brings back an older
one -- while routing and followup still hold the numbers issued since, and
would take a new ticket under an old number for the old one. So before
intake issues the first number of a day in a process, and every
``INTAKE.number_fence_interval`` seconds after, it *fences* the counter:
raises it (``$max``) to at least the highest number of that day that

* intake's own tickets hold,
* routing has heard of (every ticket intake announces, repeats and answered
  requests included: ``highest_sequence``),
* followup holds a case for,

so the next number is above every number any of them knows. A service that
does not answer within ``number_fence_timeout`` is asked again on the next
round; the first ticket of the day waits for that one attempt only.

What no service can know -- a number issued just before a crash whose event
never left intake, or every store restored from the same old backup -- an
operator fences by hand: ``hotline numbers fence --at-least N`` (the highest
number in intake's log or the citizens' receipts). routing and followup also
refuse a ticket under a number they hold for another one (its ``received_at``
differs), so a number issued twice is never mixed up with the first ticket:
it is dead-lettered and the reconciler raises it to supervisors.

``NumberFence`` is the dependency provider that remembers what was fenced
and asks the others; ``handlers/numbering.py`` has the timer and the RPCs.
"""
import logging

import eventlet
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from shared.contract import events
from shared.contract.numbering import series_of
from shared.platform import principals
from shared.platform.config import city_zone

log = logging.getLogger(__name__)

SOURCES = ("routing", "followup")
MAX_SEQUENCE = 10 ** 9


class NumberFence(DependencyProvider):
    """Which series this process has fenced, and asking the others for their highest."""

    def setup(self):
        config = self.container.config
        section = config.get("INTAKE") or {}
        self.timeout = float(section.get("number_fence_timeout", 2))
        self.rpc_config = principals.client_config(config, "intake")
        self.prefix = (config.get("CITY") or {}).get("ticket_prefix", "QD")
        self.zone = city_zone(config)
        self.fenced = set()   # every source answered since this process started
        self.tried = set()    # asked once already: later tickets do not wait
        self.last = {}        # series -> what each source said, and when
        self.lock = Semaphore()

    def get_dependency(self, worker_ctx):
        return self

    def series_on(self, moment):
        return series_of(self.prefix, moment.astimezone(self.zone).date())

    def ask(self, service, series):
        """``service``'s highest sequence of ``series``, or None if it does not answer."""
        from shared.platform.principals import ServiceRpcProxy

        try:
            with eventlet.Timeout(self.timeout + 1):
                with ServiceRpcProxy(service, self.rpc_config, timeout=self.timeout) as proxy:
                    value = proxy.highest_sequence(series)
            return int(value) if isinstance(value, int) and 0 <= value < MAX_SEQUENCE else None
        except (Exception, eventlet.Timeout) as exc:
            log.info("%s did not say its highest number of %s (%s)", service, series, type(exc).__name__)
            return None

    def fence(self, repository, series):
        """Raise the counter of ``series`` above every number known; what was learnt."""
        answers = dict(zip(SOURCES, [t.wait() for t in [
            eventlet.spawn(self.ask, service, series) for service in SOURCES]]))
        answers["intake"] = repository.highest_issued(series)
        floor = max(value for value in answers.values() if value is not None)
        before = repository.current_sequence(series)
        if floor > before:
            log.warning("numbers of %s were behind (next would have been %d); raised above %d, "
                        "the highest known: %s", series, before + 1, floor, answers)
            repository.raise_sequence(series, floor)
        if all(answers[service] is not None for service in SOURCES):
            self.fenced.add(series)
        self.tried.add(series)
        self.last[series] = {"answers": answers, "at": events.utcnow(), "fenced": series in self.fenced}
        return answers

    def before_issuing(self, repository, series):
        """Fence ``series`` once per process before its first number (one attempt)."""
        if series in self.tried:
            return
        with self.lock:
            if series not in self.tried:
                self.fence(repository, series)
