"""Delivering one notification: retries with backoff, and no SMS to citizens at night.

Plain Python over the channels it is handed. ``attempt()`` tries a
notification once and returns what the queue should record:

* ``("sent", None, None)``;
* ``("retrying", next_attempt_at, error)`` -- exponential backoff,
  ``backoff_seconds * 2**(attempts-1)`` capped at ``backoff_max_seconds``;
* ``("failed", None, error)`` after ``max_attempts`` tries;
* ``("waiting", morning, reason)`` -- an SMS to a citizen during the quiet
  hours (22:00-08:00 city time by default) waits until they end, without
  counting as an attempt;
* ``("failed", None, reason)`` at once for a receipt SMS to a phone that has
  had its day's receipts already (``receipt_allowed``): whoever types a phone
  number into a form cannot turn the hotline into an SMS cannon.

A citizen's receipt carries the lookup code intake gives with the contact
(``LOOKUP_MARK`` in the stored text), so the code is never stored here.

The retry schedule lives in the stored queue (``next_attempt_at``) rather
than in an in-process retry loop, so a retry survives a restart and a slow
receiver never holds up the rest.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Notification = dict[str, Any]
Channel = Callable[[Notification], None]       # sends, or raises ``DeliveryFailed``
CitizenContact = Callable[[str], Mapping[str, Any] | None]
ReceiptAllowed = Callable[[str, Notification], bool]
Outcome = tuple[str, dt.datetime | None, str | None]  # (status, when, note)

LOOKUP_MARK = "\u2063lookup\u2063"  # stands in the stored receipt for the lookup code


class DeliveryFailed(Exception):
    """The channel did not take the notification; it may work later."""


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    quiet_start: dt.time = dt.time(22, 0)
    quiet_end: dt.time = dt.time(8, 0)

    @classmethod
    def from_config(cls, delivery: Mapping[str, Any] | None) -> Policy:
        delivery = delivery or {}
        start, end = (delivery.get("quiet_hours") or "22:00-08:00").split("-")
        return cls(int(delivery.get("max_attempts", 5)),
                   float(delivery.get("backoff_seconds", 30)),
                   float(delivery.get("backoff_max_seconds", 3600)),
                   dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip()))

    def backoff(self, attempts: int) -> float:
        return float(min(self.backoff_seconds * 2 ** max(attempts - 1, 0), self.backoff_max_seconds))


def quiet_until(policy: Policy, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime | None:
    """The end of the quiet hours if ``now`` falls in them, else ``None``."""
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return None
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC)


def choose_citizen_channel(contact: Mapping[str, Any]) -> tuple[str, str] | tuple[None, None]:
    """SMS when the citizen left a phone number, else email."""
    if contact.get("phone"):
        return "sms", contact["phone"]
    if contact.get("email"):
        return "email", contact["email"]
    return None, None


class ContactUnavailable(Exception):
    """intake did not answer with the citizen's contact (down, or too slow)."""


class Undeliverable(Exception):
    """Nothing to deliver to: retrying will not help."""


def attempt(queued: Mapping[str, Any], channels: Mapping[str, Channel], policy: Policy,
            now: dt.datetime, zone: dt.tzinfo, citizen_contact: CitizenContact,
            receipt_allowed: ReceiptAllowed | None = None) -> tuple[Outcome, Notification]:
    """Try ``notification`` once; returns ``(status, when, note)`` and the notification sent.

    ``receipt_allowed(phone, notification)`` says whether a receipt SMS may
    still go to ``phone`` today (``None``: no limit).
    """
    notification: Notification = dict(queued)
    attempts = notification.get("attempts", 0) + 1
    max_attempts = notification.get("max_attempts") or policy.max_attempts
    try:
        if notification["channel"] == "citizen":
            contact = citizen_contact(notification["number"]) or {}
            channel, address = choose_citizen_channel(contact)
            if channel is None:
                raise Undeliverable("the citizen left no phone number or email")
            notification.update(channel=channel, recipient=address)
            for field in ("subject", "body"):
                if isinstance(notification.get(field), str):
                    notification[field] = notification[field].replace(LOOKUP_MARK, contact.get("lookup_code") or "-")
        if notification["channel"] == "sms" and notification.get("audience") == "citizen":
            morning = quiet_until(policy, now, zone)
            if morning:
                return ("waiting", morning, "quiet hours: the SMS waits until morning"), notification
            if notification.get("template") == "receipt" and receipt_allowed is not None \
                    and not receipt_allowed(notification["recipient"], notification):
                return ("failed", None, "not sent: this phone has had its receipt SMS for today"), notification
        channels[notification["channel"]](notification)
        return ("sent", None, None), notification
    except Undeliverable as exc:
        return ("failed", None, str(exc)), notification
    except (DeliveryFailed, ContactUnavailable) as exc:
        if attempts >= max_attempts:
            return ("failed", None, str(exc)), notification
        return ("retrying", now + dt.timedelta(seconds=policy.backoff(attempts)), str(exc)), notification
