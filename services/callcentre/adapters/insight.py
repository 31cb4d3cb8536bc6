"""insight, as callcentre asks it (as the person who asked callcentre): the staffing plan and
Erlang C for hours already seen, each bounded in time so that the figures never wait long."""
import eventlet


class InsightAway(Exception):
    """insight did not answer in time."""


class Insight:
    def __init__(self, proxy, timeout):
        self.proxy = proxy
        self.timeout = timeout

    def _ask(self, method, *args):
        try:
            with eventlet.Timeout(self.timeout):
                return getattr(self.proxy, method).call_async(*args).result()
        except eventlet.Timeout:
            raise InsightAway(f"insight did not answer {method} in {self.timeout:g} s") from None

    def agents_for(self, hours):
        return self._ask("agents_for", hours)

    def staffing(self, params):
        return self._ask("staffing", params)
