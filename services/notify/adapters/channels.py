"""How a notification leaves: email over SMTP, webhooks, SMS through an HTTP gateway.

Each channel is a callable ``send(notification)`` that returns on success and
raises ``DeliveryFailed`` otherwise; the delivery queue decides about retries.

Webhooks and the SMS gateway receive an HTTP POST of JSON, signed with
HMAC-SHA256 over the exact body bytes::

    X-Hotline-Signature: sha256=<hex digest>

so a receiver recomputes ``hmac.new(secret, body, sha256)`` and compares.
"""
import base64
import hashlib
import hmac
import json
import re
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime

import requests

from services.notify.domain.delivery import DeliveryFailed
from shared.contract.events import utcnow

__all__ = ["SIGNATURE_HEADER", "DeliveryFailed", "channels_from_config", "sign", "verify"]

SIGNATURE_HEADER = "X-Hotline-Signature"


def message_id(key, sender):
    """One Message-ID per notification, the same on every try: a resent copy is a duplicate
    a mail client recognises. In the sender's domain (mail servers check it)."""
    local = re.sub(r"[^A-Za-z0-9._-]", ".", key)
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "hotline.localhost"
    return f"<{local}@{domain}>"


def sign(secret, body):
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret, body, header):
    return hmac.compare_digest(sign(secret, body), header or "")


class Email:
    """SMTP: ``host``, ``port``, ``sender``, optional ``username``/``password``, ``starttls``; a
    notification's ``attachments`` (``{filename, content_type, base64}``) go as MIME parts."""

    def __init__(self, settings):
        self.settings = settings or {}

    def __call__(self, notification):
        settings = self.settings
        if not settings.get("host"):
            raise DeliveryFailed("no SMTP host configured (NOTIFY.smtp.host)")
        sender = settings.get("sender") or "hotline@localhost"
        message = EmailMessage()
        message["From"] = sender
        message["To"] = notification["recipient"]
        message["Subject"] = notification["subject"]  # names the ticket number and title
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = message_id(notification["key"], sender)
        message["X-Hotline-Ticket"] = notification["number"]
        message["X-Hotline-Notification"] = notification["key"]
        message.set_content(notification["body"])
        for attached in notification.get("attachments") or ():  # the monthly report's PDF and xlsx
            maintype, _, subtype = str(attached["content_type"]).partition("/")
            message.add_attachment(base64.b64decode(attached["base64"]), maintype=maintype,
                                   subtype=subtype or "octet-stream", filename=attached["filename"])
        try:
            with smtplib.SMTP(settings["host"], int(settings.get("port", 25)),
                              timeout=float(settings.get("timeout", 10))) as smtp:
                if settings.get("starttls"):
                    smtp.starttls()
                if settings.get("username"):
                    smtp.login(settings["username"], settings.get("password") or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {settings['host']}: {exc!r}") from exc


def post_signed(url, secret, document, timeout, headers=None):
    body = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    if secret:
        all_headers[SIGNATURE_HEADER] = sign(secret, body)
    try:
        response = requests.post(url, data=body, headers=all_headers, timeout=timeout)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"POST {url}: {exc.__class__.__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"POST {url}: HTTP {response.status_code} {response.text[:200]}")


class Webhook:
    """HTTP POST of the notification as JSON; ``secret`` signs it."""

    def __init__(self, settings):
        self.settings = settings or {}

    def __call__(self, notification):
        document = {key: notification.get(key) for key in (
            "key", "number", "template", "level", "department_code", "subject", "body",
            "data")}
        post_signed(notification["recipient"], self.settings.get("secret") or "", document,
                    float(self.settings.get("timeout", 10)),
                    {"X-Hotline-Event": notification["template"],
                     "X-Hotline-Delivery": notification["key"]})


class Sms:
    """A text through the city's SMS gateway: POST ``{"to", "text", "reference"}``."""

    def __init__(self, settings):
        self.settings = settings or {}

    def __call__(self, notification):
        url = self.settings.get("gateway_url")
        if not url:
            raise DeliveryFailed("no SMS gateway configured (NOTIFY.sms.gateway_url)")
        post_signed(url, self.settings.get("secret") or "",
                    {"to": notification["recipient"], "text": notification["body"],
                     "reference": notification["key"]},
                    float(self.settings.get("timeout", 10)))


def channels_from_config(notify_config):
    return {"email": Email(notify_config.get("smtp")),
            "webhook": Webhook(notify_config.get("webhook")),
            "sms": Sms(notify_config.get("sms"))}
