"""Notify's nameko dependency: the supervision rules.

``Rules`` reads configuration once in ``setup()`` and hands workers the
ladder, the recipients and templates, the delivery policy and the channels.
Department names and contacts, and the calendar's city files, come from the
directory mirror (``shared.platform.mirror``: what routing announced), never from the
seed file. The clock is ``shared.platform.clock.Clock`` (real time, or the demo clock).
"""
import uuid

from nameko.extensions import DependencyProvider

from services.notify.channels import channels_from_config
from services.notify.delivery import Policy
from services.notify.ladder import Ladder
from services.notify.notices import Notices
from services.notify.templates import outcome, render
from shared.platform.config import city_zone
from shared.platform.mirror import Mirror


class Supervision:
    """What a notify worker needs to supervise and deliver."""

    def __init__(self, config, directory):
        self.settings = config.get("NOTIFY") or {}
        self.zone = city_zone(config)
        self.calendar = directory.calendar
        self.ladder = Ladder.from_config(config, directory.calendar, self.zone)
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
        self.instance = uuid.uuid4().hex[:12]  # names this instance's claims
        per_phone = delivery.get("receipt_sms_per_phone_per_day")
        self.receipts_per_phone = None if per_phone in (None, "", "none") else int(per_phone)
        self.secret = config.get("SECRET_KEY") or ""


class Rules(DependencyProvider):
    def setup(self):
        mirror = next(d for d in self.container.dependencies if isinstance(d, Mirror))
        self.supervision = Supervision(self.container.config, mirror)

    def get_dependency(self, worker_ctx):
        return self.supervision
