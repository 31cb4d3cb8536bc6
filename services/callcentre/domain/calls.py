"""A call's record, folded from its CTI events whatever their order or repetition.

A PBX reports each call as events (Zammad's generic CTI API): ``newCall`` when it
rings, ``answer`` when someone picks up, ``hangup`` when it ends. Over HTTP and
AMQP they can come twice, late, or in another order than they happened. Each event
is stored once, keyed by ``(callId, event, at)``; the call's record is then
:func:`fold` of all its stored events, which sorts them first -- by time, then by
the event's place in a call's life, then by their content -- so the same set of
events gives the same record, whatever order they arrived in.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

EventName = Literal["newCall", "answer", "hangup"]
EVENTS: tuple[EventName, ...] = ("newCall", "answer", "hangup")
# Zammad's hangup causes. A caller who gives up hangs up: ``cancel`` (or, from some
# PBXs, ``normalClearing`` on an unanswered call); the others say nobody answered.
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
# Unanswered calls that went elsewhere on purpose are not missed callers.
NOT_MISSED = ("forwarded",)


@dataclass(frozen=True)
class CallEvent:
    """One CTI event as the door accepted it (numbers as given: personal data)."""

    call_id: str
    event: EventName
    at: dt.datetime
    from_number: str = ""
    to_number: str = ""
    direction: Literal["in", "out"] = "in"
    users: tuple[str, ...] = ()
    queue: str = ""
    cause: str = ""
    answering_number: str = ""
    recording_url: str = ""
    seat: str = ""

    @property
    def key(self) -> str:
        """What makes two deliveries the same event."""
        return f"{self.call_id}|{self.event}|{self.at.astimezone(dt.UTC).isoformat()}"

    def sort_key(self) -> tuple[dt.datetime, int, str]:
        return (self.at, EVENTS.index(self.event), repr(self))


Outcome = Literal["ringing", "talking", "answered", "abandoned", "unanswered", "forwarded"]


@dataclass(frozen=True)
class CallRecord:
    """What the floor knows of one call."""

    call_id: str
    direction: Literal["in", "out"]
    from_number: str
    to_number: str
    queue: str
    users: tuple[str, ...]          # who it rang for
    agent: str                      # who answered ("" when nobody did)
    ringing_at: dt.datetime         # the first event's time when no newCall came
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    cause: str
    recording_url: str
    seat: str
    events: int                     # how many distinct events were folded

    @property
    def outcome(self) -> Outcome:
        if self.ended_at is None:
            return "ringing" if self.answered_at is None else "talking"
        if self.answered_at is not None:
            return "answered"
        if self.cause in NOT_MISSED:
            return "forwarded"
        return "abandoned" if self.cause in ("cancel", "normalClearing", "") else "unanswered"

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def missed(self) -> bool:
        """An inbound caller nobody answered: one to call back."""
        return self.direction == "in" and self.outcome in ("abandoned", "unanswered")

    @property
    def wait_seconds(self) -> float | None:
        """Ringing to answer, or to hanging up unanswered."""
        end = self.answered_at or self.ended_at
        return None if end is None else max(0.0, (end - self.ringing_at).total_seconds())

    @property
    def talk_seconds(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.answered_at).total_seconds())

    def answered_within(self, seconds: float) -> bool:
        wait = self.wait_seconds
        return self.answered_at is not None and wait is not None and wait <= seconds


def _first(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")


def fold(events: Iterable[CallEvent]) -> CallRecord:
    """The record of one call from its events (at least one), in any order, repeated or not."""
    unique = sorted({e.key: e for e in events}.values(), key=CallEvent.sort_key)
    if not unique:
        raise ValueError("a call needs at least one event")
    if len({e.call_id for e in unique}) != 1:
        raise ValueError("the events are of more than one call")
    new_calls = [e for e in unique if e.event == "newCall"]
    answers = [e for e in unique if e.event == "answer"]
    hangups = [e for e in unique if e.event == "hangup"]
    described = new_calls + answers + hangups  # the newCall says best who called whom
    answered_at = answers[0].at if answers else None
    ended_at = hangups[0].at if hangups else None
    if ended_at is not None and answered_at is not None and ended_at < answered_at:
        ended_at = max(h.at for h in hangups)
    agent = _first([e.answering_number for e in answers] + [u for e in answers for u in e.users]
                   + [e.answering_number for e in hangups if answers])
    users = tuple(dict.fromkeys(u for e in (new_calls or unique) for u in e.users))
    return CallRecord(
        call_id=unique[0].call_id,
        direction=described[0].direction,
        from_number=_first(e.from_number for e in described),
        to_number=_first(e.to_number for e in described),
        queue=_first(e.queue for e in described),
        users=users,
        agent=agent,
        ringing_at=(new_calls[0] if new_calls else unique[0]).at,
        answered_at=answered_at,
        ended_at=ended_at,
        cause=_first(e.cause for e in hangups),
        recording_url=_first(e.recording_url for e in reversed(unique)),
        seat=_first([e.seat for e in answers] + [e.seat for e in unique]),
        events=len(unique))


@dataclass(frozen=True)
class Group:
    """The floor's figures of a set of ended inbound calls."""

    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    abandon_waits: tuple[float, ...] = field(default_factory=tuple)
    talk_seconds: tuple[float, ...] = field(default_factory=tuple)
    agents: frozenset[str] = frozenset()

    def figures(self) -> dict[str, object]:
        def share(n: int) -> float | None:
            return round(n / self.offered, 4) if self.offered else None

        def mean(xs: Sequence[float]) -> float | None:
            return round(statistics.fmean(xs), 1) if xs else None

        return {"offered": self.offered, "answered": self.answered,
                "answered_in_target": self.answered_in_target, "abandoned": self.abandoned,
                "service_level": share(self.answered_in_target), "answer_rate": share(self.answered),
                "abandon_rate": share(self.abandoned),
                "abandon_wait_mean": mean(self.abandon_waits),
                "abandon_wait_median": round(statistics.median(self.abandon_waits), 1)
                if self.abandon_waits else None,
                "aht_seconds": mean(self.talk_seconds), "agents": len(self.agents)}


def tally(records: Iterable[CallRecord], target_seconds: float) -> Group:
    """Counts over ended inbound calls (forwarded ones are offered elsewhere, not here)."""
    offered = answered = in_target = abandoned = 0
    waits: list[float] = []
    talks: list[float] = []
    agents: set[str] = set()
    for r in records:
        if r.direction != "in" or not r.ended or r.outcome == "forwarded":
            continue
        offered += 1
        if r.answered_at is not None:
            answered += 1
            in_target += r.answered_within(target_seconds)
            if r.talk_seconds is not None:
                talks.append(r.talk_seconds)
            if r.agent:
                agents.add(r.agent)
        else:
            abandoned += 1
            waits.append(r.wait_seconds or 0.0)
    return Group(offered, answered, in_target, abandoned, tuple(waits), tuple(talks), frozenset(agents))
