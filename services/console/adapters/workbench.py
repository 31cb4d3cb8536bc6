"""What every page is drawn with: the templates (one Jinja environment per language),
the catalogues, the session policy, the cookies' ``Secure`` choice, and the names
of the directory's departments and the catalogue's categories.

``Web`` is a nameko dependency provider: it reads the ``CONSOLE`` section of the
config and builds the environments once, in ``setup()``.
"""
import time
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from nameko.extensions import DependencyProvider

from services.console import filters, i18n
from services.console.domain.people import MIN_PASSWORD
from services.console.domain.signin import Policy
from shared.contract import bounds
from shared.platform.config import city_zone
from shared.platform.identity import production

NAMES_FOR = 60  # seconds the directory's and the catalogue's names are kept
EXCERPT = 300  # characters of a long text shown in a list, the rest one click away
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def plain_local_http(url):
    """Is ``url`` (the console's public URL, else ``http://`` + where it listens) plain HTTP on loopback?"""
    parsed = urlsplit(str(url or ""))
    return parsed.scheme == "http" and (parsed.hostname or "") in LOOPBACK


class Names:
    """The directory's departments and the catalogue's categories by code (routing's),
    kept a minute: a person reads a unit's name, never its code."""

    def __init__(self):
        self.departments, self.categories, self.fetched = {}, {}, None

    def stale(self):
        return self.fetched is None or time.monotonic() - self.fetched > NAMES_FOR

    def refresh(self, departments, catalogue):
        if departments:
            self.departments = {d["code"]: d for d in departments if d.get("code")}
        if catalogue:
            self.categories = {c["code"]: c for c in catalogue if c.get("code")}
        # complete: kept a minute; routing did not answer: the names known are kept and it is
        # asked again in 10 s (not on every page while it is away: each ask waits for it)
        self.fetched = time.monotonic() - (0 if departments and catalogue else NAMES_FOR - 10)

    def unit(self, code, locale, name=None):
        found = self.departments.get(code)
        if not found:
            return name or code or ""
        return found.get("name") if locale == "zh_CN" else (found.get("name_en") or found.get("name"))

    def category(self, code, locale):
        found = self.categories.get(code)
        return filters.in_language(found.get("name"), locale) if found else (code or "")


def threshold(value, default):
    """A share from 0 to 1 in the config (``0.6``), else ``default``."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        return default
    return min(max(share, 0.0), 1.0)


class Web(DependencyProvider):
    """Templates (one environment per language), the session policy, the config."""

    def setup(self):
        config = self.container.config
        section = config.get("CONSOLE") or {}
        self.policy = Policy.from_config(section)
        self.secure_cookies = str(section.get("secure_cookies", "auto")).lower()
        self.plain_local_http = plain_local_http(section.get("public_url") or f"http://{config.get('CONSOLE_HTTP')}")
        self.zone = city_zone(config)
        self.city = (config.get("CITY") or {}).get("name", "")
        self.envs, self.translations = {}, {}
        self.names = Names()
        for locale in i18n.LOCALES:
            self.translations[locale] = i18n.load(locale)
            env = Environment(loader=FileSystemLoader(str(i18n.HERE / "templates")),
                              autoescape=select_autoescape(["html", "svg"]),
                              extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
            env.install_gettext_translations(self.translations[locale], newstyle=True)
            self.envs[locale] = env
        self.thresholds = {"answer": threshold(section.get("answer_threshold"), 0.6),
                           "link": threshold(section.get("link_threshold"), 0.6)}
        for locale, env in self.envs.items():
            filters.install(env, locale, self.zone, self.translations[locale])
            env.globals.update(text_limit=bounds.TEXT, excerpt=EXCERPT, thresholds=self.thresholds,
                               min_password=MIN_PASSWORD)

    def cookie_secure(self, request):
        """``Secure`` cookies unless the operator runs plain HTTP: forced with
        ``secure_cookies``, else only when the console's public URL is
        ``http://`` on this machine's loopback (``make run``, the tests)."""
        if self.secure_cookies in ("true", "1", "yes"):
            return True
        if self.secure_cookies in ("false", "0", "no"):
            return False
        return production() or request.scheme == "https" or not self.plain_local_http

    def get_dependency(self, worker_ctx):
        return self
