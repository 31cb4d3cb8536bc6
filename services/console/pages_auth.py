"""Signing in and out, changing one's password, the language, the assets.

A mixin of ``ConsoleService``. Sign-in is throttled by address
(``Policy.address_limit`` failures in ``address_window``) and locks a user
after ``Policy.lock_after`` wrong passwords in a row; every sign-in, failure,
lock and sign-out is recorded with the address and browser.
"""
import mimetypes

from werkzeug.wrappers import Response

from services.console import domain, i18n
from services.console.i18n import N_
from services.console.store import hash_password, password_matches
from services.console.web import LANG_COOKIE, PRESESSION_COOKIE, SESSION_COOKIE, Refused, page
from shared import openapi
from shared.web import http
from shared.doors import door, Public

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

    @page("/signin", method="POST", public=True)
    def signin(self, view):
        login = (view.form.get("login") or "").strip().lower()[:64]
        password = view.form.get("password") or ""
        target = safe_next(view.form.get("next"))
        policy, now = view.web.policy, view.now
        record = {"at": now, "login": login, "address": view.address,
                  "agent": (view.request.user_agent.string or "")[:200]}

        def refuse(outcome, message, status=401):
            self.people.record_signin(dict(record, outcome=outcome))
            return view.render("signin.html", status=status, next=target or "", error=view._(message),
                               login=login)

        if self.people.failures_from(view.address, now - policy.address_window) >= policy.address_limit:
            return refuse("throttled", N_("Too many failed sign-ins from this address; wait a few minutes."), 429)
        user = self.people.user(login) if login else None
        if user and domain.locked(user, now):
            return refuse("locked", N_("This account is locked for a while after repeated wrong "
                                       "passwords; wait, or ask an administrator."), 423)
        if not password_matches(user.get("password_hash") if user else None, password):
            if user is None:
                return refuse("unknown_user", N_("Wrong login or password."))
            count, until = domain.after_failure(user, now, policy)
            self.people.record_failure(login, count, until)
            if until:
                self.people.record_signin(dict(record, outcome="wrong_password", failed_count=count))
                return refuse("locked", N_("Wrong password: the account is now locked for a while."), 423)
            return refuse("wrong_password", N_("Wrong login or password."))
        if user.get("disabled"):
            return refuse("disabled", N_("This account is disabled; ask an administrator."), 403)
        self.people.record_failure(login, 0, None)
        token, _csrf = self.people.open_session(login, now, now + policy.absolute, view.address,
                                                record["agent"])
        self.people.record_signin(dict(record, outcome="signed_in"))
        view.set_cookie(SESSION_COOKIE, token, max_age=int(policy.absolute.total_seconds()))
        view.set_cookie(PRESESSION_COOKIE, None)
        if user.get("must_change_password"):
            return view.redirect("/password")
        return view.redirect(target or domain.home_for(user["roles"]))

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
