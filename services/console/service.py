"""console: the workbench, where the people who run a hotline sign in and work.

Serves server-rendered pages over HTTP (``CONSOLE_HTTP``, default :8080) and
owns the people: users, roles, sessions, sign-in history (``store.py``).
Each page acts on the other services only over RPC, as the signed-in person
(``shared.platform.identity``): the services check the person's role and department
and record their name. The screens are mixins, one module per kind of work:

* ``pages_auth``: sign in / out, password, language, assets;
* ``pages_operator``: new tickets while on the phone, search, the ticket page;
* ``pages_cases``: department staff, reviewers and callback agents;
* ``pages_dispatch``: the manual dispatch queue, re-dispatch, arbitration;
* ``pages_supervisor``: the city at a glance, drill-downs, exports;
* ``pages_admin``: users, the directory, API keys, department tokens, the record.

The RPC methods below are for the ``hotline users`` command.
"""
import logging

import eventlet
from nameko.dependency_providers import Config

from services.console import (
    domain,
    pages_admin,
    pages_auth,
    pages_cases,
    pages_dispatch,
    pages_operator,
    pages_supervisor,
)
from services.console.store import PeopleRepository, hash_password
from services.console.web import Web
from shared.contract.events import utcnow
from shared.contract.field_errors import message
from shared.platform import ops
from shared.platform.city import load_city
from shared.platform.doors import Doors, People, Public, door
from shared.platform.identity import Identity, NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.messaging import RpcProxy, rpc
from shared.platform.mongo import Store

log = logging.getLogger(__name__)
EXPECTED = (domain.UserInvalid, NotAllowed)


class ConsoleService(ops.Operable, pages_auth.AuthPages, pages_operator.OperatorPages, pages_cases.CasePages,
                     pages_dispatch.DispatchPages, pages_supervisor.SupervisorPages,
                     pages_admin.AdminPages):
    name = "console"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline console", "version": "1",
                    "description": "The workbench's pages: HTML for signed-in staff (a session cookie, "
                                   "a CSRF token in every form); a stranger is sent to /signin."}

    people = Store(PeopleRepository)
    caller = Identity()
    web = Web()
    config = Config()
    intake = RpcProxy("intake")
    routing = RpcProxy("routing")
    followup = RpcProxy("followup")
    notify = RpcProxy("notify")
    insight = RpcProxy("insight")

    # -- people (shared by the admin pages and the CLI) -------------------------

    def department_codes(self):
        """The directory's department codes (routing's, or the directory file's)."""
        try:
            with eventlet.Timeout(3):
                return {d["code"] for d in self.routing.list_departments.call_async().result()}
        except (Exception, eventlet.Timeout):  # routing away: the city's published file
            return {d["code"] for d in load_city(self.config).get("departments", [])}

    def make_user(self, actor, login, roles, department=None, display_name="", codes=None):
        """A new user with a generated password, which is returned once; ``codes`` are the
        directory's department codes if the caller has them already."""
        if department and not codes:
            codes = self.department_codes()
        user = domain.check_new_user(login, roles, department, codes if department else None, display_name)
        password = domain.generate_password()
        now = utcnow()
        record = dict(user, password_hash=hash_password(password), must_change_password=True,
                      disabled=False, created_at=now, created_by=actor)
        if not self.people.add_user(record):
            raise domain.UserInvalid({"login": [message("user_exists", login=user["login"])]})
        self.people.record_audit({"at": now, "actor": actor, "action": "user_created",
                                  "subject": user["login"], "roles": user["roles"],
                                  "department": user["department"]})
        log.info("user %s created by %s with roles %s", user["login"], actor, ",".join(user["roles"]))
        return dict(jsonable(user), password=password)

    def new_password(self, actor, login):
        user = self.people.user(login) if isinstance(login, str) else None
        if user is None:
            raise domain.UserInvalid({"login": [message("no_user", login=login)]})
        password = domain.generate_password()
        self.people.update_user(login, {"password_hash": hash_password(password),
                                        "must_change_password": True})
        self.people.end_sessions_of(login)
        now = utcnow()
        self.people.record_audit({"at": now, "actor": actor, "action": "password_reset", "subject": login})
        if self.people.failures.forget_where({"login": login}):
            self.people.record_audit({"at": now, "actor": actor, "action": "signin_slowdown_ended",
                                      "subject": login})
        return {"login": login, "password": password}

    def reset_second_factor(self, actor, login):
        """Remove ``login``'s second factor (a lost phone): they enrol again at the next sign-in."""
        user = self.people.user(login) if isinstance(login, str) else None
        if user is None:
            raise domain.UserInvalid({"login": [f"no user {login}"]})
        if not self.people.clear_second_factor(login):
            raise domain.UserInvalid({"login": [f"{login} has no second factor"]})
        self.people.end_sessions_of(login)
        self.people.record_audit({"at": utcnow(), "actor": actor, "action": "second_factor_reset",
                                  "subject": login})
        log.info("second factor of %s reset by %s", login, actor)
        return {"login": login}

    def set_disabled(self, actor, login, disabled):
        user = self.people.update_user(login, {"disabled": bool(disabled)}) if isinstance(login, str) else None
        if user is None:
            raise domain.UserInvalid({"login": [message("no_user", login=login)]})
        if disabled:
            self.people.end_sessions_of(login)
        self.people.record_audit({"at": utcnow(), "actor": actor,
                                  "action": "user_disabled" if disabled else "user_enabled", "subject": login})
        return jsonable(user)

    # -- RPC for `hotline users` -----------------------------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, login, roles, department=None, display_name=""):
        actor = self.caller.require("admin")
        return self.make_user(actor.user_id, login, roles, department, display_name)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def list_users(self):
        self.caller.require("admin")
        users, _total = self.people.list_users(0, 10_000)
        return jsonable(users)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def disable_user(self, login, disabled=True):
        actor = self.caller.require("admin")
        return self.set_disabled(actor.user_id, login, disabled)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def reset_password(self, login):
        actor = self.caller.require("admin")
        return self.new_password(actor.user_id, login)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def reset_user_second_factor(self, login):
        actor = self.caller.require("admin")
        return self.reset_second_factor(actor.user_id, login)

    @door(Public())
    @rpc
    def ping(self):
        return "console"
