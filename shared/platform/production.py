"""Production mode: a service refuses to start with what is fine only on a laptop.

``HOTLINE_ENV=production`` (default ``development``) makes every service check
its configuration in ``setup()`` and refuse to start, naming each problem:

* a default secret: any value ``change-me`` anywhere in the configuration
  (``HOTLINE_SECRET_KEY``, ``WEBHOOK_SECRET``, ``SMS_GATEWAY_SECRET``, and any
  secret a later feature adds the same way);
* the broker's ``guest`` user, which RabbitMQ means for localhost only;
* an unsigned webhook: a webhook or SMS gateway URL configured while its
  signing secret is empty;
* the in-memory store (``MONGO_URI=memory://``), which loses everything when
  the process stops.

Each service declares ``production = ProductionChecks()``; ``operate.serve``
runs the same checks first, so the refusal is one clear message.
"""
from urllib.parse import urlparse

from nameko.extensions import DependencyProvider

DEFAULT_SECRET = "change-me"


class RefusedToStart(RuntimeError):
    """The configuration is not fit for production; the message lists why."""


def is_production(config):
    return str(config.get("HOTLINE_ENV") or "development").strip().lower() == "production"


def _default_secrets(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _default_secrets(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _default_secrets(item, f"{path}[{index}]")
    elif isinstance(value, str) and value.strip() == DEFAULT_SECRET:
        yield path


def _webhook_urls(notify):
    for level in (notify.get("ladder") or {}).get("levels") or []:
        if isinstance(level, dict) and level.get("webhook"):
            yield level["webhook"]
    for contact in (notify.get("contacts") or {}).values():
        if isinstance(contact, dict) and contact.get("webhook"):
            yield contact["webhook"]


def problems(config):
    """What keeps ``config`` out of production (an empty list when nothing does)."""
    found = [f"{path} is the default secret {DEFAULT_SECRET!r}: set a secret of your own"
             for path in _default_secrets(config)]
    broker = urlparse(str(config.get("AMQP_URI") or ""))
    if (broker.username or "guest") == "guest":
        found.append("AMQP_URI uses the broker's guest user: give the services a user of their own")
    if str(config.get("MONGO_URI") or "memory://").startswith("memory://"):
        found.append("MONGO_URI is the in-memory store, which loses everything at a restart: "
                     "set MONGO_URI=mongodb://...")
    notify = config.get("NOTIFY") or {}
    if any(_webhook_urls(notify)) and not str((notify.get("webhook") or {}).get("secret") or "").strip():
        found.append("webhooks are configured but WEBHOOK_SECRET is empty: receivers could not tell "
                     "our notifications from forged ones")
    sms = notify.get("sms") or {}
    if sms.get("gateway_url") and not str(sms.get("secret") or "").strip():
        found.append("SMS_GATEWAY_URL is set but SMS_GATEWAY_SECRET is empty: the gateway's requests "
                     "would be unsigned")
    return found


def check(config):
    """Raise ``RefusedToStart`` in production mode when anything is unfit."""
    if not is_production(config):
        return
    found = problems(config)
    if found:
        raise RefusedToStart("HOTLINE_ENV=production, and:\n  - " + "\n  - ".join(found))


class ProductionChecks(DependencyProvider):
    """Refuse to start the service in production mode with an unfit configuration."""

    def setup(self):
        check(self.container.config)
