"""Signing in and out, changing one's password, the language, the assets.

Handlers of the pages in ``service.py``. A wrong password (or second-factor code)
slows down the pair that failed -- the login and the client, which is this
browser when the login signed in on it before (a signed cookie), else the
address -- longer after each failure (``Policy.slowdown``); nobody is
locked out, and the owner on their own browser never waits for a stranger.
Unknown browsers of one address have a generous backstop
(``Policy.address_limit`` failures in ``address_window``). Administrators
and supervisors sign in with a TOTP code too, and enrol before anything
else. Every sign-in, failure and sign-out is recorded with the address and
browser; every slow-down and its end in the audit.
"""
import logging
import mimetypes
import secrets
from datetime import timedelta

import segno
from werkzeug.wrappers import Response

from services.console import i18n
from services.console.adapters.people import hash_password, password_matches
from services.console.bootstrap import Deps
from services.console.domain import people
from services.console.domain.signin import (
    device_cookie,
    needs_second_factor,
    new_totp_secret,
    read_device,
    totp_step,
    totp_uri,
)
from services.console.i18n import N_
from services.console.view import LANG_COOKIE, PRESESSION_COOKIE, SESSION_COOKIE, Redirect, View, show
from shared.platform.identity import secret_from

log = logging.getLogger(__name__)
DEVICE_COOKIE = "hotline_device"    # signed: the logins that signed in on this browser
PENDING_COOKIE = "hotline_pending"  # a password accepted, a second-factor code awaited
PENDING_FOR = timedelta(minutes=5)

STATIC = i18n.HERE / "static"
ASSETS = {p.name for p in STATIC.iterdir()} if STATIC.exists() else set()


def safe_next(target):
    """Only a path of this site: never ``//elsewhere`` or ``https://...``."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and not target.startswith("/signin"):
        return target
    return None


def home_page(deps: Deps, view: View):
    return Redirect(view.home())


def signin_form(deps: Deps, view: View):
    if view.person:
        return Redirect(view.home())
    return show("signin.html", next=safe_next(view.arg("next")) or "", error=None)


# -- who is knocking: a browser where this login signed in before, else the address --------

def _client(deps: Deps, view: View, login):
    """``(client, known)``: the pair's client -- this browser if ``login`` signed in on it
    before (its signed cookie says so), else the address -- and whether it is known."""
    device, logins = read_device(secret_from(deps.config, warn=False),
                                        view.request.cookies.get(DEVICE_COOKIE))
    if device and login in logins:
        return f"device:{device}", True
    return f"address:{view.address}", False


def _slowed(deps: Deps, view: View, login, client, known, failures, wait):
    """Audit the moment a pair starts waiting (and the address backstop closing)."""
    policy = deps.web.policy
    if wait and failures == policy.slowdown.free + 1:
        deps.people.record_audit({"at": view.now, "actor": "console", "action": "signin_slowed",
                                  "subject": login, "client": client, "failures": failures,
                                  "address": view.address})
        log.warning("sign-ins of %s from one %s are slowed after %s failures", login,
                    client.split(":")[0], failures)
    if not known and deps.people.failures_from(view.address, view.now - policy.address_window) \
            == policy.address_limit:
        deps.people.record_audit({"at": view.now, "actor": "console", "action": "address_throttled",
                                  "subject": view.address, "address": view.address})
        log.warning("sign-ins from unknown browsers at %s are refused for a while", view.address)


def _cleared(deps: Deps, view: View, login, client):
    """A sign-in succeeded: the pair's failures are forgotten (audited if it was waiting)."""
    cleared = deps.people.failures.succeed(f"{login}|{client}")
    if cleared and deps.web.policy.slowdown.wait_after(int(cleared.get("count") or 0)):
        deps.people.record_audit({"at": view.now, "actor": "console", "action": "signin_slowdown_ended",
                                  "subject": login, "client": client, "address": view.address})


def _signed_in(deps: Deps, view: View, user, record, target):
    """Open the session, remember this browser for the login, go on."""
    policy, login = deps.web.policy, user["login"]
    token, _csrf = deps.people.open_session(login, view.now, view.now + policy.absolute, view.address,
                                            record["agent"])
    deps.people.record_signin(dict(record, outcome="signed_in"))
    view.set_cookie(SESSION_COOKIE, token, max_age=int(policy.absolute.total_seconds()))
    view.set_cookie(PRESESSION_COOKIE, None)
    view.set_cookie(PENDING_COOKIE, None)
    secret = secret_from(deps.config, warn=False)
    device, logins = read_device(secret, view.request.cookies.get(DEVICE_COOKIE))
    view.set_cookie(DEVICE_COOKIE, device_cookie(secret, device or secrets.token_urlsafe(16), logins,
                                                        login), max_age=policy.device_days * 86400)
    if user.get("must_change_password"):
        return Redirect("/password")
    return Redirect(target or people.home_for(user["roles"]))


def _refusal(deps: Deps, view: View, record, outcome, message, status, template="signin.html", wait=None, **context):
    deps.people.record_signin(dict(record, outcome=outcome))
    response = show(template, status=status, error=view._(message, s=wait) if wait else view._(message),
                    **context)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def signin(deps: Deps, view: View):
    login = (view.form.get("login") or "").strip().lower()[:64]
    password = view.form.get("password") or ""
    target = safe_next(view.form.get("next"))
    policy, now = deps.web.policy, view.now
    client, known = _client(deps, view, login)
    record = {"at": now, "login": login, "address": view.address, "known_client": known,
              "agent": (view.request.user_agent.string or "")[:200]}
    context = dict(next=target or "", login=login)
    pair = f"{login}|{client}"

    if not known and deps.people.failures_from(view.address, now - policy.address_window) \
            >= policy.address_limit:
        wait = int(policy.address_window.total_seconds())
        return _refusal(deps, view, record, "throttled", N_(
            "Too many failed sign-ins from this address; try again in %(s)s seconds, or from a browser "
            "where you have signed in before."), 429, wait=wait, **context)
    wait = deps.people.failures.wait(pair, now)  # refused before the password is checked
    if wait:
        return _refusal(deps, view, record, "slowed", N_(
            "Too many failed sign-ins for this login from here; try again in %(s)s seconds."), 429,
            wait=wait, **context)
    user = deps.people.user(login) if login else None
    if not password_matches(user.get("password_hash") if user else None, password) or user is None:
        failures, wait = deps.people.failures.fail(pair, now, login=login, client=client)
        outcome = "unknown_user" if user is None else "wrong_password"
        response = _refusal(deps, view, dict(record, failed_count=failures), outcome,
                            N_("Wrong login or password."), 401, **context)
        _slowed(deps, view, login, client, known, failures, wait)
        return response
    if user.get("disabled"):
        return _refusal(deps, view, record, "disabled", N_("This account is disabled; ask an administrator."),
                        403, **context)
    if user.get("totp_secret"):
        token = deps.people.open_pending(login, now, now + PENDING_FOR, client, target)
        view.set_cookie(PENDING_COOKIE, token, max_age=int(PENDING_FOR.total_seconds()))
        deps.people.record_signin(dict(record, outcome="password_accepted"))
        return Redirect("/signin/code")
    _cleared(deps, view, login, client)
    return _signed_in(deps, view, user, record, target)


def signin_code_form(deps: Deps, view: View):
    pending = deps.people.pending_signin(view.request.cookies.get(PENDING_COOKIE), view.now)
    if pending is None:
        return Redirect("/signin")
    return show("signin_code.html", error=None)


def signin_code(deps: Deps, view: View):
    token = view.request.cookies.get(PENDING_COOKIE)
    pending = deps.people.pending_signin(token, view.now)
    if pending is None:
        return Redirect("/signin")
    login, client, now = pending["login"], pending["client"], view.now
    user = deps.people.user(login)
    record = {"at": now, "login": login, "address": view.address, "known_client": client.startswith("device:"),
              "agent": (view.request.user_agent.string or "")[:200]}
    pair = f"{login}|{client}"
    wait = deps.people.failures.wait(pair, now)
    if wait:
        return _refusal(deps, view, record, "slowed", N_(
            "Too many failed sign-ins for this login from here; try again in %(s)s seconds."), 429,
            template="signin_code.html", wait=wait)
    step = totp_step((user or {}).get("totp_secret"), view.form.get("code"), now)
    if user is None or user.get("disabled") or step is None or not deps.people.use_totp_step(login, step):
        failures, wait = deps.people.failures.fail(pair, now, login=login, client=client)
        if deps.people.pending_failed(token) >= deps.web.policy.code_tries:
            deps.people.end_pending(token)
            view.set_cookie(PENDING_COOKIE, None)
            response = _refusal(deps, view, dict(record, failed_count=failures), "wrong_code", N_(
                "Too many wrong codes: sign in again."), 401, next="", login=login)
        else:
            response = _refusal(deps, view, dict(record, failed_count=failures), "wrong_code", N_(
                "Wrong or already used code: enter the code your authenticator shows now."), 401,
                template="signin_code.html")
        _slowed(deps, view, login, client, record["known_client"], failures, wait)
        return response
    deps.people.end_pending(token)
    _cleared(deps, view, login, client)
    return _signed_in(deps, view, user, record, pending.get("target"))


# -- the second factor --------------------------------------------------------------------

def _enrol_page(deps: Deps, view: View, status=200, error=None):
    user = deps.people.user(view.user["login"])
    if user.get("totp_secret"):
        return show("second_factor.html", status=status, enrolled=True, error=error)
    secret = view.session.get("totp_candidate")
    if not secret:
        secret = new_totp_secret()
        deps.people.set_candidate_secret(view.token, secret)
    uri = totp_uri(secret, user["login"])
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return show("second_factor.html", status=status, enrolled=False, secret=grouped, uri=uri, qr=qr,
                required=needs_second_factor(user), error=error)


def second_factor_form(deps: Deps, view: View):
    return _enrol_page(deps, view)


def second_factor_enrol(deps: Deps, view: View):
    login = view.user["login"]
    secret = view.session.get("totp_candidate")
    if deps.people.user(login).get("totp_secret") or not secret:
        return Redirect("/account/second-factor")
    step = totp_step(secret, view.form.get("code"), view.now)
    if step is None:
        return _enrol_page(deps, view, 400, view._("That code does not match: enter the code your "
                           "authenticator shows now."))
    deps.people.set_second_factor(login, secret, step, view.now)
    deps.people.set_candidate_secret(view.token, None)
    deps.people.record_audit({"at": view.now, "actor": login, "action": "second_factor_enrolled",
                              "subject": login, "address": view.address})
    return Redirect(view.home(), flash=view._("Second factor added: from now on you sign in "
                                              "with a code as well."))


def signout(deps: Deps, view: View):
    deps.people.end_session(view.token)
    deps.people.record_signin({"at": view.now, "login": view.user["login"], "address": view.address,
                               "outcome": "signed_out"})
    view.set_cookie(SESSION_COOKIE, None)
    view.session = None
    return Redirect("/signin")


def password_form(deps: Deps, view: View):
    return show("password.html", errors={})


def change_password(deps: Deps, view: View):
    current, new, again = (view.form.get(k) or "" for k in ("current", "new", "again"))
    user = deps.people.user(view.user["login"])
    errors = {}
    if not password_matches(user.get("password_hash"), current):
        errors["current"] = view._("That is not your current password.")
    elif new != again:
        errors["again"] = view._("The two new passwords differ.")
    elif new == current:
        errors["new"] = view._("Choose a password you have not used here.")
    else:
        try:
            people.check_password(new, user["login"])
        except people.UserInvalid:
            errors["new"] = view._("At least %(n)s characters, without your login name.",
                                   n=people.MIN_PASSWORD)
    if errors:
        return show("password.html", status=400, errors=errors)
    deps.people.update_user(user["login"], {"password_hash": hash_password(new),
                                            "must_change_password": False})
    deps.people.record_audit({"at": view.now, "actor": user["login"], "action": "password_changed",
                              "subject": user["login"], "address": view.address})
    return Redirect(view.home(), flash=view._("Password changed."))


def language(deps: Deps, view: View, code):
    view.set_cookie(LANG_COOKIE, i18n.chosen(code), max_age=365 * 86400)
    return Redirect(safe_next(view.arg("next")) or "/")


def static_asset(name):
    """One of the workbench's own scripts and styles (404 for any other name)."""
    if name not in ASSETS:
        return Response("not found", status=404)
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    with open(STATIC / name, "rb") as handle:
        data = handle.read()
    response = Response(data, content_type=kind)
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

