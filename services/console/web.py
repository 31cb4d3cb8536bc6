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

The decorated entrypoint (``service.py``) is called with ``deps``
(``bootstrap.Deps``) and the ``View`` (``view.py``) and hands both to its
handler (``handlers/``), whose ``Page``, ``Redirect`` or ``Download``
``view.answer`` turns into the response.
"""
import functools
import inspect
import logging
from urllib.parse import quote

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from services.console import bootstrap
from services.console.domain.signin import needs_second_factor
from services.console.i18n import N_
from services.console.view import RPC_TIMEOUT, Refused, ServiceAway, View
from shared.platform import openapi
from shared.platform.doors import Public, Session, door
from shared.platform.web import http  # one web server per service: the door's (body limit, JSON errors)

log = logging.getLogger(__name__)


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


def described(summary, method, roles, public, answers, limits=(), gone=False):
    """The page's OpenAPI operation: what it answers (HTML unless ``answers`` says
    otherwise), a stranger's 303 to the sign-in page, and the refusals as HTML pages."""
    html = {"text/html": HTML}
    responses = {200: {kind: {"type": "string"} for kind in answers}}
    responses[303] = None  # signed out, or done: go on to the next page (Location)
    # A body the door cannot read is its JSON 400 (or 413); a page's own refusal, HTML.
    errors = {400: {"text/html": HTML, "application/json": "Errors"}, 404: html, 409: html, 503: html}
    if not public or method != "GET":
        errors[403] = html  # not your role, or no CSRF token
    if gone:
        errors[410] = html  # a one-use link, used or expired
    if limits:
        errors[429] = {"application/json": "Errors"}  # the door's rate limit (shared.platform.web)
    tags = ["public"] if public else sorted(set(roles or ("staff",)))
    return openapi.operation(
        summary, tags=tags, responses=responses, errors=errors,
        body=FORM if method != "GET" else None,
        body_types=("application/x-www-form-urlencoded", "multipart/form-data"))


def page(url, method="GET", roles=None, public=False, max_bytes=256 * 1024, answers=("text/html",), limits=(),
         gone=False):
    """A workbench page (``roles``: any of them may open it; ``max_bytes``: the
    largest request body it takes; ``answers``: its media types, for /openapi.json;
    ``limits``: the rate limits it counts against, per client address -- a citizen's
    page, ``("client",)``; ``gone``: it may answer 410, a link used or expired)."""
    state_changing = method not in ("GET", "HEAD")

    def decorate(fn):
        @functools.wraps(fn)
        def entry(self, request, **params):  # fn(self, deps, view, **params)
            return serve(self, request, fn, params, roles, public, state_changing, max_bytes)
        summary = (inspect.getdoc(fn) or fn.__name__.replace("_", " ")).splitlines()[0]
        described(summary, method, roles, public, answers, limits, gone)(entry)
        door(Public() if public else Session(tuple(roles or ())))(entry)  # enforced by serve()
        # No per-address limit for staff's pages: the workbench is for signed-in staff, often many
        # behind one address, and its sign-in has its own throttle and lock (pages_auth).
        return http(method, url, limits=limits, max_body=max_bytes)(entry)
    return decorate
