"""A request as a page's handler sees it, and what a handler answers.

``View`` reads the request (form, arguments, the language chosen, the
session and the signed-in person), calls the other services as that person
(``call``, ``gather``: a refusal becomes ``Refused``, a service that does not
answer ``ServiceAway``), names units and categories in the reader's language,
and turns a handler's answer -- a ``Page`` to render (``show``), a ``Redirect``
or a ``Download`` -- into the response, with the security headers and the
cookies it set. How a page is served (the session, roles, CSRF, the error
pages) is the door's, in ``web.py``.
"""
import hmac
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlparse

import eventlet
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from services.console import i18n
from services.console.domain.people import home_for
from services.console.domain.signin import session_expired
from services.console.i18n import N_
from shared.platform.identity import Person

log = logging.getLogger(__name__)

SESSION_COOKIE = "hotline_session"
PRESESSION_COOKIE = "hotline_presession"
LANG_COOKIE = "hotline_lang"
RPC_TIMEOUT = 10
TOUCH_EVERY = timedelta(seconds=60)
UNCATEGORISED = "uncategorised"  # insight's cell of tickets without a category (services/insight/domain/hotspots.py)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
REFUSED = {  # a service's refusal -> (status, title msgid)
    "NotAllowed": (403, N_("Not allowed")), "NotYourCase": (403, N_("Not allowed")),
    "NotAuthorized": (403, N_("Not allowed")),
    "UnknownCase": (404, N_("Not found")),
    "InvalidRequest": (400, N_("Please check the form")), "ValidationFailed": (400, N_("Please check the form")),
    "RoutingError": (400, N_("Please check the form")), "DirectoryInvalid": (400, N_("Please check the form")),
    "ProposalInvalid": (400, N_("Please check the form")),
    "UserInvalid": (400, N_("Please check the form")), "AttachmentRefused": (400, N_("Please check the form")),
    "BadQuery": (400, N_("Please check the form")),
    "TransitionRefused": (409, N_("Not done: the case is not in that state")),
    "CaseChanged": (409, N_("Not done: someone changed the case meanwhile")),
}
EXPLAINED = {  # what a refusal means, in the reader's language (the service's own words follow it)
    "NotYourCase": N_("This case is with another department: only the department that holds it can open it."),
    "NotAllowed": N_("Your role does not allow this."), "NotAuthorized": N_("Your role does not allow this."),
    "UnknownCase": N_("There is no such case."),
    "TransitionRefused": N_("The case has moved on since the page was shown: open it again to see what it waits for."),
    "CaseChanged": N_("Someone acted on the case at the same moment: open it again and decide once more."),
}


BY_FIELD = {"InvalidRequest", "DirectoryInvalid", "ProposalInvalid", "UserInvalid"}  # refusals whose value names fields
FIELD_SPLIT = re.compile(r"; (?=[A-Za-z_][\w-]*: )")
FIELD_PART = re.compile(r"([A-Za-z_][\w-]*): (.+)", re.DOTALL)


class Refused(Exception):
    """A page's own refusal: ``status``, a title msgid, a detail and what it means (a msgid)."""

    def __init__(self, status, title, detail="", errors=None, explained=None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or {}
        self.explained = explained


class ServiceAway(Exception):
    def __init__(self, service):
        super().__init__(service)
        self.service = service


def refusal_of(exc):
    """A ``RemoteError`` a person should see as a ``Refused``, or ``None``."""
    if exc.exc_type not in REFUSED:
        return None
    status, title = REFUSED[exc.exc_type]
    detail, errors = exc.value or "", {}
    try:  # field errors (intake's, followup's, routing's) travel as JSON by field
        parsed = json.loads(detail)
        if isinstance(parsed, dict):
            errors = {str(k): list(v) if isinstance(v, (list, tuple)) else [v] for k, v in parsed.items()}
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
    except (ValueError, TypeError):
        if exc.exc_type in BY_FIELD:  # followup's and routing's: "field: message; field: message"
            parts = [FIELD_PART.fullmatch(part) for part in FIELD_SPLIT.split(detail)]
            if parts and all(parts):
                errors = {p.group(1): [p.group(2)] for p in parts}
    return Refused(status, title, detail, errors, EXPLAINED.get(exc.exc_type))


@dataclass
class Page:
    """A template to render with ``context`` (``status``; extra ``headers``)."""
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Redirect:
    """Go on to ``location`` (303), leaving ``flash`` for the next page."""
    location: str
    flash: str | None = None


@dataclass
class Download:
    """A file to save: ``data`` as ``filename`` (extra ``headers``)."""
    data: bytes
    filename: str
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def show(template, status=200, **context):
    """A handler's answer: render ``template`` with ``context``."""
    return Page(template, context, status)


def person_of(user):
    """The signed-in user as the identity every RPC of the page carries."""
    return Person(user_id=user["login"], name=user.get("display_name") or user["login"],
                  roles=tuple(user["roles"]), department=user.get("department"), via="console")


class View:
    """One request as a page sees it."""

    def __init__(self, deps, request):
        self.deps = deps
        self.web = deps.web
        self.request = request
        self.lang = i18n.chosen(request.cookies.get(LANG_COOKIE))
        self.env = self.web.envs[self.lang]
        self.session = None
        self.token = None
        self.user = None
        self.person = None
        self.new_cookies = []
        self.now = deps.clock()

    # -- translations ----------------------------------------------------------

    def _(self, message, **values):
        text = self.web.translations[self.lang].gettext(message)
        return text % values if values else text

    # -- reading the request -----------------------------------------------------

    @property
    def form(self):
        return self.request.form

    def arg(self, name, default=""):
        return (self.request.args.get(name) or default).strip()

    def page_number(self):
        try:
            return max(1, min(int(self.request.args.get("page") or 1), 10_000))
        except ValueError:
            return 1

    @property
    def htmx(self):
        return self.request.headers.get("HX-Request") == "true"

    @property
    def address(self):
        return self.request.remote_addr or "?"

    # -- calling the services as the person ------------------------------------------

    def call(self, service, method, *args, **kwargs):
        return self.gather((service, method, args, kwargs))[0]

    def gather(self, *calls, tolerant=False):
        """Make the RPC calls in parallel; their results, in order.

        Each is ``(service, method, args[, kwargs])``. A refusal becomes
        ``Refused``; a service that does not answer in ``RPC_TIMEOUT``, ``ServiceAway``.
        ``tolerant``: a call that fails gives ``None`` instead (a panel that can wait).
        """
        pending = []
        for call in calls:
            service, method, args = call[:3]
            kwargs = call[3] if len(call) > 3 else {}
            proxy = getattr(self.deps.services[service], method)
            pending.append((service, proxy.call_async(*args, **kwargs)))
        results = []
        for service, reply in pending:
            try:
                with eventlet.Timeout(RPC_TIMEOUT):
                    results.append(reply.result())
            except eventlet.Timeout:
                if tolerant:
                    results.append(None)
                    continue
                raise ServiceAway(service) from None
            except RemoteError as exc:
                if tolerant:
                    log.info("%s answered %s; its panel is left out", service, exc.exc_type)
                    results.append(None)
                    continue
                refused = refusal_of(exc)
                if refused is None:
                    raise
                raise refused from None
        return results

    def optional(self, service, method, *args, **kwargs):
        """Like ``call``, but ``None`` when the service is away (a panel that can wait)."""
        try:
            return self.call(service, method, *args, **kwargs)
        except ServiceAway:
            return None

    # -- answering -----------------------------------------------------------------

    def unit(self, code, name=None):
        """A department's name in the reader's language (``name``, else its code, if routing
        does not know it)."""
        self.learn_names()
        return self.web.names.unit(code, self.lang, name)

    def category(self, code):
        """A category's name in the reader's language (insight's "uncategorised" too)."""
        if code == UNCATEGORISED:
            return self._(N_("uncategorised"))
        self.learn_names()
        return self.web.names.category(code, self.lang)

    def learn_names(self):
        if self.web.names.stale():
            departments, catalogue = self.gather(("routing", "list_departments", (True,)),
                                                 ("routing", "get_catalogue", ()), tolerant=True)
            self.web.names.refresh(departments, catalogue)

    def render(self, template, status=200, **context):
        flash = None
        if self.session and self.session.get("flash") and not self.htmx:
            flash = self.deps.people.take_flash(self.token)
        body = self.env.get_template(template).render(
            view=self, person=self.person, user=self.user, lang=self.lang, flash=flash,
            csrf=self.session["csrf"] if self.session else self.presession_token(),
            city=self.web.city, languages=i18n.LANGUAGE_NAMES, unit=self.unit, category=self.category, **context)
        return self.finish(Response(body, status=status, content_type="text/html; charset=utf-8"))

    def redirect(self, location, flash=None):
        if flash and self.session:
            self.deps.people.set_flash(self.token, flash)
        return self.finish(Response("", status=303, headers={"Location": location}))

    def download(self, data, filename, content_type):
        response = Response(data, content_type=content_type)
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return self.finish(response)

    def answer(self, result):
        """The response for a handler's ``Page``, ``Redirect`` or ``Download``."""
        if isinstance(result, Redirect):
            return self.redirect(result.location, result.flash)
        if isinstance(result, Download):
            response = self.download(result.data, result.filename, result.content_type)
        else:
            response = self.render(result.template, status=result.status, **result.context)
        response.headers.update(result.headers)
        return response

    def set_cookie(self, name, value, max_age=None, http_only=True):
        self.new_cookies.append((name, value, max_age, http_only))

    def finish(self, response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.content_type and response.content_type.startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        secure = self.web.cookie_secure(self.request)
        for name, value, max_age, http_only in self.new_cookies:
            if value is None:
                response.delete_cookie(name, path="/", secure=secure, httponly=http_only, samesite="Strict")
            else:
                response.set_cookie(name, value, max_age=max_age, path="/", secure=secure,
                                    httponly=http_only, samesite="Strict")
        return response

    def presession_token(self):
        """The sign-in form's CSRF token (double submit: a cookie and a field)."""
        token = self.request.cookies.get(PRESESSION_COOKIE)
        if not token or len(token) > 100:
            token = secrets.token_urlsafe(24)
            self.set_cookie(PRESESSION_COOKIE, token, max_age=3600)
        return token

    def home(self):
        return home_for(self.person.roles) if self.person else "/signin"

    def can(self, *roles):
        return bool(self.person and self.person.has(*roles))

    # -- the session -------------------------------------------------------------------

    def load_session(self):
        token = self.request.cookies.get(SESSION_COOKIE)
        session = self.deps.people.session(token) if token else None
        if session is None:
            return
        if session_expired(session, self.now, self.web.policy):
            self.deps.people.end_session(token)
            self.set_cookie(SESSION_COOKIE, None)
            return
        user = self.deps.people.user(session["login"])
        if user is None or user.get("disabled"):
            self.deps.people.end_session(token)
            self.set_cookie(SESSION_COOKIE, None)
            return
        if self.now - session["last_seen"] > TOUCH_EVERY:
            self.deps.people.touch_session(token, self.now)
        self.session, self.token, self.user, self.person = session, token, user, person_of(user)

    def csrf_ok(self):
        sent = self.request.form.get("csrf") or self.request.headers.get("X-CSRF-Token") or ""
        expected = self.session["csrf"] if self.session else self.request.cookies.get(PRESESSION_COOKIE)
        if not expected or not hmac.compare_digest(str(sent), str(expected)):
            return False
        origin = self.request.headers.get("Origin")
        if origin and origin != "null" and urlparse(origin).netloc != self.request.host:
            return False
        return True
