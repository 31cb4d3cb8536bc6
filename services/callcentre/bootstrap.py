"""Wires callcentre: configuration into settings, the worker's dependencies into ``Deps``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.callcentre.adapters.calls import CallRepository
from services.callcentre.adapters.insight import Insight
from shared.contract.events import utcnow
from shared.platform.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Settings:
    zone: Any
    target_seconds: float = 15.0        # answered within (GB/T 33358: 80% within 15 s)
    callback_within_minutes: int = 120  # a missed caller is called back within
    after_call_seconds: int = 30        # after-call work before an agent is ready again
    ringing_minutes: int = 10           # a call ringing longer, with no hangup, is not shown ringing
    retention_days: int = 180           # numbers of ended calls kept (PERSONAL_DATA_RETENTION_DAYS)
    call_sources: tuple[str, ...] = ("pbx",)  # source systems that may report calls over AMQP
    insight_timeout: float = 3.0        # seconds insight has to give its plan


def settings(config) -> Settings:
    section = config.get("CALLCENTRE") or {}
    sources = section.get("call_sources") or "pbx"
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",") if s.strip()]
    return Settings(
        zone=ZoneInfo((config.get("CITY") or {}).get("timezone", "Asia/Shanghai")),
        target_seconds=float(section.get("target_seconds", 15)),
        callback_within_minutes=int(section.get("callback_within_minutes", 120)),
        after_call_seconds=int(section.get("after_call_seconds", 30)),
        ringing_minutes=int(section.get("ringing_minutes", 10)),
        retention_days=int(config.get("PERSONAL_DATA_RETENTION_DAYS", 180)),
        call_sources=tuple(sources),
        insight_timeout=float(section.get("insight_timeout", 3)))


@dataclass(frozen=True)
class Deps:
    """What callcentre's handlers work with (one worker's)."""

    calls: CallRepository
    settings: Settings
    config: Any
    caller: Any         # the signed-in person (shared.platform.identity.Caller)
    dispatch: Any       # (event_type, payload) -> None
    dead_letters: Any   # (payload, reason, origin) -> None
    insight: Any        # RPC proxy: the staffing plan and Erlang C for the actual figures
    now: Any = utcnow

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.dispatch, retries=5)


def deps(service) -> Deps:
    configured = settings(service.config)
    return Deps(calls=service.calls, settings=configured, config=service.config,
                caller=service.caller, dispatch=service.dispatch, dead_letters=service.dead_letters,
                insight=Insight(service.insight, configured.insight_timeout))
