"""How every page of the workbench is served.

``@page(URL, roles=...)`` wraps nameko's ``@http``: it finds the session from
its cookie (ending it after the idle or absolute timeout), sends a stranger
to the sign-in page, refuses a person without the role (403), checks the
CSRF token of every state-changing request, signs the person's identity into
the worker's context so every RPC the page makes is made *as that person*,
and answers every page with the security headers (a Content-Security-Policy
that allows only the console's own assets, no framing, no caching of
personal data). A service's refusal becomes a clear page (400, 403, 404,
409); a service that does not answer, a 503; anything else a 500 page that
says nothing of the exception (which goes to the log).

A page's entrypoint (``service.py``) hands ``deps`` (``bootstrap.Deps``) and the
``View`` to its handler (``handlers/``), which answers a ``Page`` to render, a
``Redirect`` or a ``Download``; ``View.answer`` turns that into the response.
"""
import functools
import hmac
import inspect
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlparse

import eventlet
from nameko.exceptions import RemoteError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from services.console import bootstrap, i18n
from services.console.domain.people import home_for
from services.console.domain.signin import needs_second_factor, session_expired
from services.console.i18n import N_
from shared.platform import openapi
from shared.platform.doors import Public, Session, door
from shared.platform.identity import Person
from shared.platform.web import http  # one web server per service: the door's (body limit, JSON errors)

log = logging.getLogger(__name__)

SESSION_COOKIE = "hotline_session"
PRESESSION_COOKIE = "hotline_presession"
LANG_COOKIE = "hotline_lang"
RPC_TIMEOUT = 10
TOUCH_EVERY = timedelta(seconds=60)
UNCATEGORISED = "uncategorised"  # insight's cell of tickets without a category (services/insight/hotspots.py)
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


BY_FIELD = {"InvalidRequest", "DirectoryInvalid", "UserInvalid"}  # refusals whose value names fields
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
            import secrets

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


def error_page(view, status, title, detail="", explained=None, errors=None):
    """``title`` and ``explained``: msgids; ``detail``: said already (or a service's own words);
    ``errors``: a service's errors by field, said in the reader's language instead of ``detail``."""
    if errors:
        detail = view.env.filters["errors_said"](errors)
    elif detail:  # a service's sentence the workbench knows is said in the reader's language
        detail = view.env.filters["field_error"](detail, view.unit)
    if explained and view.lang != "en":  # the service's own words are English: what it means says it
        detail = ""
    words = dict(title=view._(title), detail=detail, explained=view._(explained) if explained else "")
    if view.htmx:
        body = view.env.get_template("_error_fragment.html").render(**words)
        return view.finish(Response(body, status=status, content_type="text/html; charset=utf-8"))
    return view.render("error.html", status=status, **words)


def serve(service, request, handler, params, roles, public, state_changing, max_bytes):
    request.max_content_length = max_bytes
    deps = bootstrap.deps(service)
    view = View(deps, request)
    try:
        view.load_session()
        if not public and view.person is None:
            if state_changing or view.htmx:
                return error_page(view, 401, N_("Please sign in"), "")
            return view.redirect(f"/signin?next={quote(request.full_path.rstrip('?'))}")
        if view.user and view.user.get("must_change_password") and not public \
                and request.path not in ("/password", "/signout"):
            return view.redirect("/password")
        if view.user and needs_second_factor(view.user) and not public \
                and request.path not in ("/account/second-factor", "/password", "/signout"):
            return view.redirect("/account/second-factor")  # 等保: administrators and supervisors first enrol
        if roles and not view.person.has(*roles):
            log.info("%s (%s) refused %s %s", view.person.user_id, ",".join(view.person.roles),
                     request.method, request.path)
            role_label = view.env.globals["role_label"]
            return error_page(view, 403, N_("Not allowed"), view._("This screen is for: %(roles)s",
                                                             roles=("、" if view.lang == "zh_CN" else ", ").join(
                                                                 map(role_label, roles))))
        if state_changing and not view.csrf_ok():
            log.warning("CSRF check failed for %s %s from %s", request.method, request.path, view.address)
            return error_page(view, 403, N_("The form has expired"), view._(
                "Reload the page and try again."))
        if view.person is not None:
            deps.caller.act_as(view.person)
        return handler(service, deps, view, **params)
    except Refused as exc:
        return error_page(view, exc.status, exc.title, exc.detail, exc.explained, exc.errors)
    except RequestEntityTooLarge:
        return error_page(view, 413, N_("Too large"), view._("At most %(mb)s MB in one go.",
                                                          mb=max_bytes // (1024 * 1024) or 1))
    except ServiceAway as exc:
        log.warning("%s did not answer in %ss for %s", exc.service, RPC_TIMEOUT, request.path)
        return error_page(view, 503, N_("A service is not answering"),
                          view._("%(service)s did not answer; try again in a moment.", service=exc.service))
    except Exception:
        log.exception("page %s %s failed", request.method, request.path)
        return error_page(view, 500, N_("Something went wrong"), view._("It has been logged."))


HTML = {"type": "string", "description": "an HTML page"}
FORM = {"type": "object", "additionalProperties": True,
        "description": "the page's form fields, with its csrf_token"}


def described(summary, method, roles, public, answers):
    """The page's OpenAPI operation: what it answers (HTML unless ``answers`` says
    otherwise), a stranger's 303 to the sign-in page, and the refusals as HTML pages."""
    html = {"text/html": HTML}
    responses = {200: {kind: {"type": "string"} for kind in answers}}
    responses[303] = None  # signed out, or done: go on to the next page (Location)
    # A body the door cannot read is its JSON 400 (or 413); a page's own refusal, HTML.
    errors = {400: {"text/html": HTML, "application/json": "Errors"}, 404: html, 409: html, 503: html}
    if not public or method != "GET":
        errors[403] = html  # not your role, or no CSRF token
    tags = ["public"] if public else sorted(set(roles or ("staff",)))
    return openapi.operation(
        summary, tags=tags, responses=responses, errors=errors,
        body=FORM if method != "GET" else None,
        body_types=("application/x-www-form-urlencoded", "multipart/form-data"))


def page(url, method="GET", roles=None, public=False, max_bytes=256 * 1024, answers=("text/html",)):
    """A workbench page (``roles``: any of them may open it; ``max_bytes``: the
    largest request body it takes; ``answers``: its media types, for /openapi.json)."""
    state_changing = method not in ("GET", "HEAD")

    def decorate(fn):
        @functools.wraps(fn)
        def entry(self, request, **params):  # fn(self, deps, view, **params)
            return serve(self, request, fn, params, roles, public, state_changing, max_bytes)
        summary = (inspect.getdoc(fn) or fn.__name__.replace("_", " ")).splitlines()[0]
        described(summary, method, roles, public, answers)(entry)
        door(Public() if public else Session(tuple(roles or ())))(entry)  # enforced by serve()
        # No per-address limit: the workbench is for signed-in staff, often many behind one
        # address, and its sign-in has its own throttle and lock (pages_auth).
        return http(method, url, limits=(), max_body=max_bytes)(entry)
    return decorate
