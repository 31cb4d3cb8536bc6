"""Wires notify: configuration into rules, the worker's dependencies into ``Deps``.

``Rules`` (a nameko dependency) reads configuration once in ``setup()`` and
hands workers the ``Supervision``: the ladder, the recipients and templates,
the delivery policy and the channels. Department names and contacts, and the
calendar's city files, come from the directory mirror
(``shared.platform.mirror``: what routing announced), never from the seed file.

``deps(service)`` bundles what the handlers use -- the repository, the rules,
the clock (real time, or the demo clock; ``shared.platform.clock``), the
dispatcher, routing's directory and intake's contacts -- so that no handler
sees the service instance.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

from services.notify.adapters.channels import channels_from_config
from services.notify.adapters.intake import assessment_files, citizen_contact, rating_links
from services.notify.adapters.repository import NotifyRepository
from services.notify.domain.delivery import Policy
from services.notify.domain.ladder import DEFAULT_LEVELS, Ladder
from services.notify.domain.notices import Notices
from services.notify.domain.templates import outcome, render
from shared.platform.config import city_zone
from shared.platform.mirror import Mirror
from shared.platform.unit_of_work import UnitOfWork
from shared.timelimits.deadlines import DeadlinePolicy

OPTIMISTIC_RETRIES = 10  # events of one case arrive together: a watch may be busy for a while


def ladder_from_config(config, calendar, zone):
    """The ladder ``NOTIFY.ladder`` describes; limits in hours run on the clock."""
    ladder = (config.get("NOTIFY") or {}).get("ladder") or {}
    policy = DeadlinePolicy.from_config(config, calendar)
    return Ladder(calendar, zone,
                  ladder.get("yellow_card_working_days", 1),
                  ladder.get("supervision_every_working_days", 2),
                  ladder.get("levels") or DEFAULT_LEVELS,
                  ladder.get("rejection_limit", 3),
                  ladder.get("rejection_level", 2),
                  ladder.get("yellow_card_short_limit_working_days", 2),
                  ladder.get("yellow_card_share", 0.75),
                  {name for name in policy.time_limits if policy.runs_on_the_clock(name)})


class Supervision:
    """What a notify worker needs to supervise and deliver."""

    def __init__(self, config, directory):
        self.settings = config.get("NOTIFY") or {}
        self.zone = city_zone(config)
        self.calendar = directory.calendar
        self.ladder = ladder_from_config(config, directory.calendar, self.zone)
        self.notices = Notices(self.settings, directory, self.zone, render, outcome)
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
        # the monthly report's files, rendered by insight (a city's PDF takes seconds)
        self.files_timeout = float((self.settings.get("assessment") or {}).get("files_timeout_seconds", 60))
        self.instance = uuid.uuid4().hex[:12]  # names this instance's claims
        per_phone = delivery.get("receipt_sms_per_phone_per_day")
        self.receipts_per_phone = None if per_phone in (None, "", "none") else int(per_phone)
        self.secret = config.get("SECRET_KEY") or ""
        # the workbench's address, for the links mailed (the monthly assessment)
        self.console_url = (config.get("CONSOLE") or {}).get("public_url") or \
            "http://" + str(config.get("CONSOLE_HTTP") or "127.0.0.1:8080").replace("0.0.0.0", "127.0.0.1")


class Rules(DependencyProvider):
    def setup(self):
        mirror = next(d for d in self.container.dependencies if isinstance(d, Mirror))
        self.supervision = Supervision(self.container.config, mirror)

    def get_dependency(self, worker_ctx):
        return self.supervision


@dataclass(frozen=True)
class Deps:
    """What notify's handlers work with (one worker's)."""

    watches: NotifyRepository
    rules: Supervision
    clock: Any          # .now(); the demo clock also .offset, .version, .demo, .accept()
    dispatch: Any       # (event_type, payload) -> None: publishes an event
    directory: Any      # routing's directory as notify knows it (shared.platform.mirror)
    routing: Any        # RPC proxy: the directory, when notify does not know a department
    citizen_contact: Any  # number -> the citizen's contact, asked of intake (adapters.intake)
    metrics: Any        # shared.platform.ops metrics: escalations, notification attempts
    register_rating_link: Any = None  # (number, digest, approved_at) -> kept or None (adapters.intake)
    assessment_files: Any = None  # month -> insight's report files or None (adapters.intake)

    def uow(self, retries: int = OPTIMISTIC_RETRIES) -> UnitOfWork:
        """A unit of work that publishes through this worker's dispatcher."""
        return UnitOfWork(self.dispatch, retries=retries)


def deps(service) -> Deps:
    """The handlers' dependencies, from the worker's injected attributes."""
    return Deps(watches=service.watches, rules=service.rules, clock=service.clock,
                dispatch=service.dispatch, directory=service.directory, routing=service.routing,
                citizen_contact=citizen_contact(service.intake, service.rules.contact_timeout),
                metrics=service.operations.metrics,
                register_rating_link=rating_links(service.followup, service.rules.contact_timeout),
                assessment_files=assessment_files(service.insight, service.rules.files_timeout))
