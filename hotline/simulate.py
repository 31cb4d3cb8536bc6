"""A day of calls for the CTI door: ``hotline calls simulate``.

Arrivals are Poisson within each hour, the hour's mean from a day's shape (insight's
forecast for the day, or :data:`TYPICAL_DAY`, a 12345 line's day: quiet at night,
a morning peak from 9 to 11 and a smaller one after lunch) times the day's calls.
Each call waits in one first-come-first-served queue for the first operator free
(``operators`` per hour; an operator on a call when their hour ends finishes it),
is handled for an exponential time (mean ``aht``), and is abandoned when its wait
would be longer than its patience (exponential, mean ``patience``). Seeded: the
same arguments give the same day.

The events are Zammad's (``newCall``, ``answer``, ``hangup``) with this platform's
``at`` field, so a day is sent in seconds without waiting for the clock; ``speed``
sends them in time (``speed`` times faster than the clock). Pure: no service's code.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

# Share of a day's calls per hour (0..23): a city hotline's day, quiet at night,
# highest from 9 to 11 and again from 14 to 16.
TYPICAL_DAY = (0.4, 0.25, 0.2, 0.2, 0.2, 0.3, 0.8, 2.5, 6.0, 9.5, 9.5, 8.0,
               5.5, 5.5, 7.5, 7.5, 7.0, 6.0, 4.5, 3.5, 3.0, 2.5, 1.8, 1.0)


@dataclass(frozen=True)
class Call:
    call_id: str
    number: str
    arrived: dt.datetime
    patience: float
    handling: float
    agent: str | None = None
    answered: dt.datetime | None = None
    ended: dt.datetime | None = None


def shape_weights(shape):
    total = float(sum(shape))
    return [w / total for w in shape]


def parse_operators(text, default=2):
    """``"8-9:3,9-12:2,12-18:4"`` (hours ``from-to``, ``to`` excluded) -> operators for each of 24 hours."""
    hours = [default] * 24
    for part in filter(None, (p.strip() for p in str(text or "").split(","))):
        span, _, count = part.partition(":")
        first, _, last = span.partition("-")
        start = int(first)
        end = int(last) if last else start + 1
        if not (0 <= start < end <= 24) or not count.strip().isdigit():
            raise ValueError(f"not HOURS:OPERATORS (e.g. 9-12:2): {part!r}")
        for hour in range(start, end):
            hours[hour] = int(count)
    return hours


def poisson(rng, mean):
    """Knuth's method for small means, a normal approximation for large."""
    if mean <= 0:
        return 0
    if mean > 500:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def on_shift_from(moment, agent, operators, day_start):
    """The first moment from ``moment`` at which operator ``agent`` (0-based) is on the phones."""
    offset = (moment - day_start).total_seconds()
    hour = int(offset // 3600)
    while hour < 24:
        if agent < operators[hour]:
            return max(moment, day_start + dt.timedelta(hours=hour))
        hour += 1
    return None


def simulate(day, zone, calls, operators, aht=240.0, patience=60.0, seed=1, shape=TYPICAL_DAY, prefix="sim"):
    """The day's calls (``Call``), in order of arrival."""
    rng = random.Random(seed)
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    arrivals = []
    for hour, weight in enumerate(shape_weights(shape)):
        for _ in range(poisson(rng, calls * weight)):
            arrivals.append(day_start + dt.timedelta(hours=hour, seconds=rng.uniform(0, 3600)))
    arrivals.sort()
    free = [day_start] * max(operators or [0])
    done = []
    for n, arrived in enumerate(arrivals):
        arrived = arrived.replace(microsecond=0)
        number = f"170{rng.randrange(10 ** 8):08d}"
        wait_limit = rng.expovariate(1 / patience)
        handling = max(1.0, round(rng.expovariate(1 / aht)))
        starts = [(on_shift_from(max(arrived, free[k]), k, operators, day_start), k) for k in range(len(free))]
        starts = [(t, k) for t, k in starts if t is not None]
        call = Call(f"{prefix}-{day.isoformat()}-{n:05d}", number, arrived, wait_limit, handling)
        if starts:
            start, agent = min(starts)
            start = start.replace(microsecond=0) + dt.timedelta(seconds=math.ceil(start.microsecond / 1e6))
            if (start - arrived).total_seconds() <= wait_limit:
                ended = start + dt.timedelta(seconds=handling)
                free[agent] = ended
                done.append(Call(call.call_id, number, arrived, wait_limit, handling, f"{prefix}-op{agent + 1}",
                                 start, ended))
                continue
        gave_up = arrived + dt.timedelta(seconds=max(1, round(wait_limit)))
        done.append(Call(call.call_id, number, arrived, wait_limit, handling, None, None, gave_up))
    return done


def events(calls, to="12345", queue="12345"):
    """Zammad's CTI events of the calls, each with ``at``, in time order."""
    out = []
    for c in calls:
        base = {"from": c.number, "to": to, "direction": "in", "callId": c.call_id}
        out.append(dict(base, event="newCall", queue=queue, at=c.arrived.isoformat()))
        if c.answered is not None:
            out.append(dict(base, event="answer", answeringNumber=c.agent, user=[c.agent],
                            at=c.answered.isoformat()))
            out.append(dict(base, event="hangup", cause="normalClearing", answeringNumber=c.agent,
                            at=c.ended.isoformat()))
        else:
            out.append(dict(base, event="hangup", cause="cancel", at=c.ended.isoformat()))
    out.sort(key=lambda e: e["at"])
    return out


def summary(calls, zone, target_seconds=15.0):
    """Per local hour: offered, answered, answered within the target, abandoned."""
    rows = {}
    for c in calls:
        key = c.arrived.astimezone(zone).strftime("%H:00")
        row = rows.setdefault(key, {"offered": 0, "answered": 0, "in_target": 0, "abandoned": 0})
        row["offered"] += 1
        if c.answered is not None:
            row["answered"] += 1
            row["in_target"] += (c.answered - c.arrived).total_seconds() <= target_seconds
        else:
            row["abandoned"] += 1
    return dict(sorted(rows.items()))


def send(url, events_, session=None, speed=0.0, shuffle_seed=None):
    """POST each event to the CTI door at ``url`` (JSON); ``speed`` > 0 waits between them."""
    import time

    import requests

    session = session or requests.Session()
    order = list(events_)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    previous = None
    refused = 0
    for event in order:
        if speed > 0 and previous is not None:
            gap = (dt.datetime.fromisoformat(event["at"]) - previous).total_seconds() / speed
            if gap > 0:
                time.sleep(gap)
        previous = dt.datetime.fromisoformat(event["at"])
        answer = session.post(url, json=event, timeout=10)
        if answer.status_code != 200:
            refused += 1
            if answer.status_code == 404:
                raise RuntimeError("the CTI door refused the token: rotate it (hotline calls token rotate)")
    return refused
