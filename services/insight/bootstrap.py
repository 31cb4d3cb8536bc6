"""Wires insight: configuration into settings, the worker's dependencies into ``Deps``.

``deps(service)`` bundles what the handlers use -- the repository, the
report settings, the districts' codes (for the charts) and followup's
scorecards -- so that no handler sees the service instance.
"""
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.insight.adapters import followup
from services.insight.adapters.assessments import AssessmentRepository
from services.insight.adapters.repository import InsightRepository
from services.insight.domain.assessment import AssessmentSettings, check_weights
from services.insight.domain.settings import InsightSettings
from services.insight.domain.spikes import SpikeSettings
from services.insight.domain.staffing import StaffingSettings
from shared.contract.rebounds import ReboundTerms


def settings(config):
    """``InsightSettings`` from ``INSIGHT`` (and the city's zone)."""
    section = config.get("INSIGHT") or {}
    zone = ZoneInfo((config.get("CITY") or {}).get("timezone", "Asia/Shanghai"))
    channels = section.get("staffed_channels") or ["phone"]
    if isinstance(channels, str):
        channels = [c.strip() for c in channels.split(",") if c.strip()]
    return InsightSettings(
        zone=zone, window_days=int(section.get("window_days", 14)),
        recent_days=int(section.get("recent_days", 7)),
        spikes=SpikeSettings(baseline_days=int(section.get("baseline_days", 28)),
                             fdr=float(section.get("spike_fdr", 0.01))),
        staffing=StaffingSettings(
            aht_seconds=float(section.get("aht_seconds", 240)),
            target_share=float(section.get("target_share", 0.8)),
            target_seconds=float(section.get("target_seconds", 15)),
            shrinkage=float(section.get("shrinkage", 0.3)),
            min_agents=int(section.get("min_agents", 1)),
            channels=tuple(channels)))


def assessment_settings(config):
    """``AssessmentSettings`` from ``INSIGHT.assessment``: groups, weights, the floor for a rank.

    ``ValueError`` for a weight that is not a rate or not a number of 0 or more."""
    section = (config.get("INSIGHT") or {}).get("assessment") or {}
    groups = {str(name): tuple(str(code) for code in (codes or ()))
              for name, codes in (section.get("groups") or {}).items()}
    weights = section.get("weights")
    return AssessmentSettings(
        groups=groups, default_group=str(section.get("default_group") or "other"),
        weights=check_weights(weights) if weights else AssessmentSettings().weights,
        min_cases=int(section.get("min_cases", 20)),
        confidence=float(section.get("confidence", 0.95)))


@dataclass(frozen=True)
class Deps:
    """What insight's handlers work with (one worker's)."""

    requests: InsightRepository
    settings: InsightSettings
    city: Any                  # the city: its districts, for the charts' codes
    followup_scorecards: Any   # (first_day, last_day) -> followup's scorecard reply
    assessment: AssessmentSettings | None = None
    assessments: AssessmentRepository | None = None  # the monthly reports generated
    directory: Any = None      # routing's directory and the city's calendar (shared.platform.mirror)
    clock: Any = None          # the platform's clock (the demo clock too)
    rebounds: ReboundTerms = ReboundTerms()  # the window of closures that held (REBOUNDS, 防反弹)

    def now(self):
        return self.clock.now()

    @property
    def calendar(self):
        return self.directory.calendar

    def unit_name(self, code):
        return self.directory.name(code) if self.directory is not None else code

    def district_codes(self):
        return {d["name"]: d.get("code", d["name"]) for d in self.city.get("districts", [])}


def deps(service) -> Deps:
    """The handlers' dependencies, from the worker's injected attributes."""
    return Deps(requests=service.requests, settings=settings(service.config), city=service.city,
                followup_scorecards=followup.scorecards(service.config),
                assessment=assessment_settings(service.config), assessments=service.requests.assessments,
                directory=service.directory, clock=service.clock,
                rebounds=ReboundTerms.from_config(service.config))
