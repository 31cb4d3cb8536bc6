"""Signing in and out, changing one's password, the language, the assets.

A mixin of ``ConsoleService``. A wrong password (or second-factor code)
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

from services.console import domain, i18n
from services.console.i18n import N_
from services.console.store import hash_password, password_matches
from services.console.web import LANG_COOKIE, PRESESSION_COOKIE, SESSION_COOKIE, Refused, page
from shared.platform import openapi
from shared.platform.doors import Public, door
from shared.platform.identity import secret_from
from shared.platform.web import http

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


class AuthPages:

    @page("/", public=True)
    def home_page(self, view):
        return view.redirect(view.home())

    @page("/signin", public=True)
    def signin_form(self, view):
        if view.person:
            return view.redirect(view.home())
        return view.render("signin.html", next=safe_next(view.arg("next")) or "", error=None)

    # -- who is knocking: a browser where this login signed in before, else the address --------

    def _client(self, view, login):
        """``(client, known)``: the pair's client -- this browser if ``login`` signed in on it
        before (its signed cookie says so), else the address -- and whether it is known."""
        device, logins = domain.read_device(secret_from(self.config, warn=False),
                                            view.request.cookies.get(DEVICE_COOKIE))
        if device and login in logins:
            return f"device:{device}", True
        return f"address:{view.address}", False

    def _slowed(self, view, login, client, known, failures, wait):
        """Audit the moment a pair starts waiting (and the address backstop closing)."""
        policy = view.web.policy
        if wait and failures == policy.slowdown.free + 1:
            self.people.record_audit({"at": view.now, "actor": "console", "action": "signin_slowed",
                                      "subject": login, "client": client, "failures": failures,
                                      "address": view.address})
            log.warning("sign-ins of %s from one %s are slowed after %s failures", login,
                        client.split(":")[0], failures)
        if not known and self.people.failures_from(view.address, view.now - policy.address_window) \
                == policy.address_limit:
            self.people.record_audit({"at": view.now, "actor": "console", "action": "address_throttled",
                                      "subject": view.address, "address": view.address})
            log.warning("sign-ins from unknown browsers at %s are refused for a while", view.address)

    def _cleared(self, view, login, client):
        """A sign-in succeeded: the pair's failures are forgotten (audited if it was waiting)."""
        cleared = self.people.failures.succeed(f"{login}|{client}")
        if cleared and view.web.policy.slowdown.wait_after(int(cleared.get("count") or 0)):
            self.people.record_audit({"at": view.now, "actor": "console", "action": "signin_slowdown_ended",
                                      "subject": login, "client": client, "address": view.address})

    def _signed_in(self, view, user, record, target):
        """Open the session, remember this browser for the login, go on."""
        policy, login = view.web.policy, user["login"]
        token, _csrf = self.people.open_session(login, view.now, view.now + policy.absolute, view.address,
                                                record["agent"])
        self.people.record_signin(dict(record, outcome="signed_in"))
        view.set_cookie(SESSION_COOKIE, token, max_age=int(policy.absolute.total_seconds()))
        view.set_cookie(PRESESSION_COOKIE, None)
        view.set_cookie(PENDING_COOKIE, None)
        secret = secret_from(self.config, warn=False)
        device, logins = domain.read_device(secret, view.request.cookies.get(DEVICE_COOKIE))
        view.set_cookie(DEVICE_COOKIE, domain.device_cookie(secret, device or secrets.token_urlsafe(16), logins,
                                                            login), max_age=policy.device_days * 86400)
        if user.get("must_change_password"):
            return view.redirect("/password")
        return view.redirect(target or domain.home_for(user["roles"]))

    def _refusal(self, view, record, outcome, message, status, template="signin.html", wait=None, **context):
        self.people.record_signin(dict(record, outcome=outcome))
        response = view.render(template, status=status, error=view._(message, s=wait) if wait else view._(message),
                               **context)
        if wait:
            response.headers["Retry-After"] = str(wait)
        return response

    @page("/signin", method="POST", public=True)
    def signin(self, view):
        login = (view.form.get("login") or "").strip().lower()[:64]
        password = view.form.get("password") or ""
        target = safe_next(view.form.get("next"))
        policy, now = view.web.policy, view.now
        client, known = self._client(view, login)
        record = {"at": now, "login": login, "address": view.address, "known_client": known,
                  "agent": (view.request.user_agent.string or "")[:200]}
        context = dict(next=target or "", login=login)
        pair = f"{login}|{client}"

        if not known and self.people.failures_from(view.address, now - policy.address_window) \
                >= policy.address_limit:
            wait = int(policy.address_window.total_seconds())
            return self._refusal(view, record, "throttled", N_(
                "Too many failed sign-ins from this address; try again in %(s)s seconds, or from a browser "
                "where you have signed in before."), 429, wait=wait, **context)
        wait = self.people.failures.wait(pair, now)  # refused before the password is checked
        if wait:
            return self._refusal(view, record, "slowed", N_(
                "Too many failed sign-ins for this login from here; try again in %(s)s seconds."), 429,
                wait=wait, **context)
        user = self.people.user(login) if login else None
        if not password_matches(user.get("password_hash") if user else None, password):
            failures, wait = self.people.failures.fail(pair, now, login=login, client=client)
            outcome = "unknown_user" if user is None else "wrong_password"
            response = self._refusal(view, dict(record, failed_count=failures), outcome,
                                     N_("Wrong login or password."), 401, **context)
            self._slowed(view, login, client, known, failures, wait)
            return response
        if user.get("disabled"):
            return self._refusal(view, record, "disabled", N_("This account is disabled; ask an administrator."),
                                 403, **context)
        if user.get("totp_secret"):
            token = self.people.open_pending(login, now, now + PENDING_FOR, client, target)
            view.set_cookie(PENDING_COOKIE, token, max_age=int(PENDING_FOR.total_seconds()))
            self.people.record_signin(dict(record, outcome="password_accepted"))
            return view.redirect("/signin/code")
        self._cleared(view, login, client)
        return self._signed_in(view, user, record, target)

    @page("/signin/code", public=True)
    def signin_code_form(self, view):
        pending = self.people.pending_signin(view.request.cookies.get(PENDING_COOKIE), view.now)
        if pending is None:
            return view.redirect("/signin")
        return view.render("signin_code.html", error=None)

    @page("/signin/code", method="POST", public=True)
    def signin_code(self, view):
        token = view.request.cookies.get(PENDING_COOKIE)
        pending = self.people.pending_signin(token, view.now)
        if pending is None:
            return view.redirect("/signin")
        login, client, now = pending["login"], pending["client"], view.now
        user = self.people.user(login)
        record = {"at": now, "login": login, "address": view.address, "known_client": client.startswith("device:"),
                  "agent": (view.request.user_agent.string or "")[:200]}
        pair = f"{login}|{client}"
        wait = self.people.failures.wait(pair, now)
        if wait:
            return self._refusal(view, record, "slowed", N_(
                "Too many failed sign-ins for this login from here; try again in %(s)s seconds."), 429,
                template="signin_code.html", wait=wait)
        step = domain.totp_step((user or {}).get("totp_secret"), view.form.get("code"), now)
        if user is None or user.get("disabled") or step is None or not self.people.use_totp_step(login, step):
            failures, wait = self.people.failures.fail(pair, now, login=login, client=client)
            if self.people.pending_failed(token) >= view.web.policy.code_tries:
                self.people.end_pending(token)
                view.set_cookie(PENDING_COOKIE, None)
                response = self._refusal(view, dict(record, failed_count=failures), "wrong_code", N_(
                    "Too many wrong codes: sign in again."), 401, next="", login=login)
            else:
                response = self._refusal(view, dict(record, failed_count=failures), "wrong_code", N_(
                    "Wrong or already used code: enter the code your authenticator shows now."), 401,
                    template="signin_code.html")
            self._slowed(view, login, client, record["known_client"], failures, wait)
            return response
        self.people.end_pending(token)
        self._cleared(view, login, client)
        return self._signed_in(view, user, record, pending.get("target"))

    # -- the second factor --------------------------------------------------------------------

    def _enrol_page(self, view, status=200, error=None):
        user = self.people.user(view.user["login"])
        if user.get("totp_secret"):
            return view.render("second_factor.html", status=status, enrolled=True, error=error)
        secret = view.session.get("totp_candidate")
        if not secret:
            secret = domain.new_totp_secret()
            self.people.set_candidate_secret(view.token, secret)
        uri = domain.totp_uri(secret, user["login"])
        qr = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
        grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
        return view.render("second_factor.html", status=status, enrolled=False, secret=grouped, uri=uri, qr=qr,
                           required=domain.needs_second_factor(user), error=error)

    @page("/account/second-factor")
    def second_factor_form(self, view):
        return self._enrol_page(view)

    @page("/account/second-factor", method="POST")
    def second_factor_enrol(self, view):
        login = view.user["login"]
        secret = view.session.get("totp_candidate")
        if self.people.user(login).get("totp_secret") or not secret:
            return view.redirect("/account/second-factor")
        step = domain.totp_step(secret, view.form.get("code"), view.now)
        if step is None:
            return self._enrol_page(view, 400, view._("That code does not match: enter the code your "
                                                      "authenticator shows now."))
        self.people.set_second_factor(login, secret, step, view.now)
        self.people.set_candidate_secret(view.token, None)
        self.people.record_audit({"at": view.now, "actor": login, "action": "second_factor_enrolled",
                                  "subject": login, "address": view.address})
        return view.redirect(view.home(), flash=view._("Second factor added: from now on you sign in "
                                                       "with a code as well."))

    @page("/signout", method="POST")
    def signout(self, view):
        self.people.end_session(view.token)
        self.people.record_signin({"at": view.now, "login": view.user["login"], "address": view.address,
                                   "outcome": "signed_out"})
        view.set_cookie(SESSION_COOKIE, None)
        view.session = None
        return view.redirect("/signin")

    @page("/password")
    def password_form(self, view):
        return view.render("password.html", errors={})

    @page("/password", method="POST")
    def change_password(self, view):
        current, new, again = (view.form.get(k) or "" for k in ("current", "new", "again"))
        user = self.people.user(view.user["login"])
        errors = {}
        if not password_matches(user.get("password_hash"), current):
            errors["current"] = view._("That is not your current password.")
        elif new != again:
            errors["again"] = view._("The two new passwords differ.")
        elif new == current:
            errors["new"] = view._("Choose a password you have not used here.")
        else:
            try:
                domain.check_password(new, user["login"])
            except domain.UserInvalid:
                errors["new"] = view._("At least %(n)s characters, without your login name.",
                                       n=domain.MIN_PASSWORD)
        if errors:
            return view.render("password.html", status=400, errors=errors)
        self.people.update_user(user["login"], {"password_hash": hash_password(new),
                                                "must_change_password": False})
        self.people.record_audit({"at": view.now, "actor": user["login"], "action": "password_changed",
                                  "subject": user["login"], "address": view.address})
        return view.redirect(view.home(), flash=view._("Password changed."))

    @page("/lang/<string:code>", public=True)
    def language(self, view, code):
        view.set_cookie(LANG_COOKIE, i18n.chosen(code), max_age=365 * 86400)
        return view.redirect(safe_next(view.arg("next")) or "/")

    @openapi.operation("The workbench's own scripts and styles", tags=["public"], errors={
        404: {"text/plain": {"type": "string"}}}, responses={200: {kind: {"type": "string"} for kind in (
            "text/css", "application/javascript", "text/javascript", "text/plain")}})
    @door(Public())
    @http("GET", "/static/<string:name>", limits=())
    def static(self, request, name):
        if name not in ASSETS:
            return Response("not found", status=404)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with open(STATIC / name, "rb") as handle:
            data = handle.read()
        response = Response(data, content_type=kind)
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


__all__ = ["AuthPages", "Refused"]
