"""The monthly report's timer: the first working day of a month on the city's calendar,
once per month whatever the instances (the store's key), announced once."""
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from services.insight.adapters.repository import InsightRepository
from services.insight.domain.assessment import AssessmentSettings
from services.insight.domain.settings import InsightSettings
from services.insight.handlers.assessment import first_working_day, monthly_tick
from shared.contract.rebounds import ReboundTerms
from shared.platform import memory_store
from shared.platform.config import load_config
from shared.timelimits.calendar import calendar_from_config

ZONE = ZoneInfo("Asia/Shanghai")
CALENDAR = calendar_from_config(load_config())


class Clock:
    def __init__(self, local):
        self.at = local

    def now(self):
        return self.at.astimezone(dt.UTC)


@dataclass
class Deps:
    requests: Any
    clock: Clock
    settings: InsightSettings = field(default_factory=InsightSettings)
    assessment: AssessmentSettings = field(default_factory=AssessmentSettings)
    calendar: Any = CALENDAR
    rebounds: ReboundTerms = field(default_factory=ReboundTerms)

    @property
    def assessments(self):
        return self.requests.assessments

    def now(self):
        return self.clock.now()

    def unit_name(self, code):
        return code


def deps_at(local, database=None):
    repo = InsightRepository(database if database is not None else
                             memory_store.client()[f"monthly_{id(object())}"], {})
    repo.ensure_indexes()
    return Deps(repo, Clock(local))


def test_the_first_working_day_comes_after_the_holiday():
    assert first_working_day(CALENDAR, dt.date(2026, 10, 20)) == dt.date(2026, 10, 8)   # 国庆
    assert first_working_day(CALENDAR, dt.date(2026, 1, 20)) == dt.date(2026, 1, 4)    # a Sunday worked (调休)


def test_nothing_before_the_first_working_day_then_the_month_before_once():
    published = []
    deps = deps_at(dt.datetime(2026, 10, 7, 10, tzinfo=ZONE))
    assert monthly_tick(deps, published.append) == {"due": False}
    deps.clock.at = dt.datetime(2026, 10, 8, 0, 5, tzinfo=ZONE)
    assert monthly_tick(deps, published.append)["generated"] is True
    assert monthly_tick(deps, published.append)["generated"] is False
    assert [p["month"] for p in published] == ["2026-09"]
    assert deps.assessments.get("2026-09")["state"] == "published"


def test_two_instances_on_one_store_make_the_report_once():
    """Guard: ``AssessmentRepository.claim`` inserts the month as ``_id`` (an upsert, or no
    claim, makes both instances generate and announce it)."""
    database = memory_store.client()[f"monthly_{id(object())}"]
    at = dt.datetime(2026, 10, 9, 9, tzinfo=ZONE)
    one, two = deps_at(at, database), deps_at(at, database)
    published = []
    results = [monthly_tick(one, published.append), monthly_tick(two, published.append)]
    assert sorted(r["generated"] for r in results) == [False, True]
    assert len(published) == 1


def test_a_report_made_but_not_announced_is_announced_on_the_next_tick():
    deps = deps_at(dt.datetime(2026, 10, 8, 9, tzinfo=ZONE))

    def fails(_):
        raise ConnectionError("broker away")
    try:
        monthly_tick(deps, fails)
    except ConnectionError:
        pass
    assert deps.assessments.get("2026-09")["state"] == "generated"
    published = []
    monthly_tick(deps, published.append)
    assert [p["month"] for p in published] == ["2026-09"]
    assert deps.assessments.get("2026-09")["state"] == "published"
