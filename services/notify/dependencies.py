"""Notify's nameko dependencies: the supervision rules, and an injectable clock.

``Rules`` reads configuration and the city's directory once in ``setup()``
and hands workers the ladder, the recipients and templates, the delivery
policy and the channels. ``Clock`` hands each worker ``now()``: the real
time plus an offset kept in notify's ``settings`` collection, so every notify
instance agrees on it and a demo or a test can move time forward (RPC
``advance_clock`` / ``set_clock_offset``; ``NOTIFY_CLOCK_OFFSET`` seconds at start).
"""
import datetime as dt
import logging
import uuid

from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from services.notify.channels import channels_from_config
from services.notify.delivery import Policy
from services.notify.ladder import Ladder
from services.notify.notices import Notices
from services.notify.store import NotifyRepository
from services.notify.templates import outcome, render
from shared.calendar import calendar_from_config
from shared.city import load_city
from shared.config import city_zone
from shared.events import utcnow
from shared.mongo import database_for

log = logging.getLogger(__name__)


def department_names(city):
    names = {}
    for department in city.get("departments", []):
        names[department["code"]] = {"name": department.get("name"),
                                     "name_en": department.get("name_en")}
    return names


class Supervision:
    """What a notify worker needs to supervise and deliver."""

    def __init__(self, config, city):
        self.settings = config.get("NOTIFY") or {}
        self.zone = city_zone(config)
        self.ladder = Ladder.from_config(config, calendar_from_config(config), self.zone)
        self.notices = Notices(self.settings, department_names(city), self.zone, render, outcome)
        delivery = self.settings.get("delivery") or {}
        self.policy = Policy.from_config(delivery)
        self.channels = channels_from_config(self.settings)
        self.lease_seconds = float(delivery.get("lease_seconds", 60))
        self.batch = int(delivery.get("batch", 200))
        self.tick_batch = int((self.settings.get("ladder") or {}).get("batch", 1000))
        # the level told when intake's reconciler cannot get a ticket moving
        self.stalled_level = min(max(int((self.settings.get("ladder") or {}).get("stalled_level", 2)), 1),
                                 len(self.ladder.levels))
        self.contact_timeout = float(delivery.get("contact_timeout_seconds", 5))
        self.instance = uuid.uuid4().hex[:12]  # names this instance's claims


class Rules(DependencyProvider):
    def setup(self):
        self.supervision = Supervision(self.container.config, load_city(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.supervision


class WorkerClock:
    def __init__(self, offset_seconds):
        self.offset = dt.timedelta(seconds=offset_seconds)

    def now(self):
        return utcnow() + self.offset


class Clock(DependencyProvider):
    """``now()`` = real UTC time + the shared offset."""

    def setup(self):
        config = self.container.config
        # notify's own repository, over the same database as the service's Store
        self.repository = NotifyRepository(database_for(config, self.container.service_name), config)
        self.initial = float(config.get("NOTIFY_CLOCK_OFFSET") or 0)
        self.offset = self.initial

    def start(self):
        if self.initial:
            self.repository.initial_clock_offset(self.initial)

    def get_dependency(self, worker_ctx):
        # A failure here would kill the whole container, not just the worker:
        # with the store unreachable, keep the last offset read.
        try:
            self.offset = self.repository.clock_offset()
        except PyMongoError:
            log.warning("clock offset unreadable (store unreachable); using the last known one")
        return WorkerClock(self.offset)
