"""The administrator's screens: people and roles, the department directory,
other systems' API keys, department tokens, and the record (sign-ins, changes
to people, reads of citizens' contacts).

Handlers of the pages in ``service.py``. A generated password or a new key or token is
shown once, on the page that made it, and never stored in clear. The same
verbs on people serve the ``hotline users`` command (the RPC in ``service.py``).
"""
import logging

from services.console.adapters import directory
from services.console.adapters.people import hash_password
from services.console.bootstrap import Deps
from services.console.domain.people import UserInvalid, check_new_user, generate_password
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show
from shared.contract.field_errors import message
from shared.platform.identity import ROLES
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)
PAGE = 50


# -- people (the pages below and the CLI's RPC) ---------------------------------------------

def make_user(deps: Deps, actor, login, roles, department=None, display_name="", codes=None):
    """A new user with a generated password, which is returned once; ``codes`` are the
    directory's department codes if the caller has them already."""
    if department and not codes:
        codes = directory.department_codes(deps.services["routing"], deps.config)
    user = check_new_user(login, roles, department, codes if department else None, display_name)
    password = generate_password()
    now = deps.clock()
    record = dict(user, password_hash=hash_password(password), must_change_password=True,
                  disabled=False, created_at=now, created_by=actor)
    if not deps.people.add_user(record):
        raise UserInvalid({"login": [message("user_exists", login=user["login"])]})
    deps.people.record_audit({"at": now, "actor": actor, "action": "user_created",
                              "subject": user["login"], "roles": user["roles"],
                              "department": user["department"]})
    log.info("user %s created by %s with roles %s", user["login"], actor, ",".join(user["roles"]))
    return dict(jsonable(user), password=password)


def list_users(deps: Deps):
    users, _total = deps.people.list_users(0, 10_000)
    return jsonable(users)


def new_password(deps: Deps, actor, login):
    user = deps.people.user(login) if isinstance(login, str) else None
    if user is None:
        raise UserInvalid({"login": [message("no_user", login=login)]})
    password = generate_password()
    deps.people.update_user(login, {"password_hash": hash_password(password),
                                    "must_change_password": True})
    deps.people.end_sessions_of(login)
    now = deps.clock()
    deps.people.record_audit({"at": now, "actor": actor, "action": "password_reset", "subject": login})
    if deps.people.failures.forget_where({"login": login}):
        deps.people.record_audit({"at": now, "actor": actor, "action": "signin_slowdown_ended",
                                  "subject": login})
    return {"login": login, "password": password}


def reset_second_factor(deps: Deps, actor, login):
    """Remove ``login``'s second factor (a lost phone): they enrol again at the next sign-in."""
    user = deps.people.user(login) if isinstance(login, str) else None
    if user is None:
        raise UserInvalid({"login": [f"no user {login}"]})
    if not deps.people.clear_second_factor(login):
        raise UserInvalid({"login": [f"{login} has no second factor"]})
    deps.people.end_sessions_of(login)
    deps.people.record_audit({"at": deps.clock(), "actor": actor, "action": "second_factor_reset",
                              "subject": login})
    log.info("second factor of %s reset by %s", login, actor)
    return {"login": login}


def set_disabled(deps: Deps, actor, login, disabled):
    user = deps.people.update_user(login, {"disabled": bool(disabled)}) if isinstance(login, str) else None
    if user is None:
        raise UserInvalid({"login": [message("no_user", login=login)]})
    if disabled:
        deps.people.end_sessions_of(login)
    deps.people.record_audit({"at": deps.clock(), "actor": actor,
                              "action": "user_disabled" if disabled else "user_enabled", "subject": login})
    return jsonable(user)


# -- the pages: people -----------------------------------------------------------------------


def _users_page(deps: Deps, view: View, status=200, made=None, errors=None, form=None, departments=None):
    page_no = view.page_number()
    users, total = deps.people.list_users((page_no - 1) * PAGE, PAGE)
    if departments is None:
        departments = view.optional("routing", "list_departments") or []
    return show("admin_users.html", status=status, users=users, total=total, page=page_no,
                size=PAGE, roles=ROLES, departments=departments, made=made, errors=errors or {},
                form=form or {})


def admin_users(deps: Deps, view: View):
    return _users_page(deps, view)


def admin_create_user(deps: Deps, view: View):
    form = view.form
    # One look at the directory serves both the check and the page that follows.
    departments = view.optional("routing", "list_departments")
    codes = {d["code"] for d in departments} if departments else None
    try:
        made = make_user(deps, view.person.user_id, form.get("login"), form.getlist("roles"),
                         form.get("department") or None, form.get("display_name") or "", codes)
    except UserInvalid as exc:
        return _users_page(deps, view, 400, errors=exc.errors, form=form, departments=departments or [])
    return _users_page(deps, view, 201, made=made, departments=departments or [])


def admin_reset_password(deps: Deps, view: View, login):
    try:
        made = new_password(deps, view.person.user_id, login)
    except UserInvalid as exc:
        raise Refused(404, N_("Not found"), errors=exc.errors) from None
    return _users_page(deps, view, made=dict(made, reset=True))


def admin_reset_second_factor(deps: Deps, view: View, login):
    try:
        reset_second_factor(deps, view.person.user_id, login)
    except UserInvalid as exc:
        raise Refused(404, N_("Not found"), exc.errors["login"][0]) from None
    return Redirect("/admin/users", flash=view._("%(u)s enrols a second factor again at the next "
                                                 "sign-in.", u=login))


def admin_user_state(deps: Deps, view: View, login):
    if login == view.person.user_id:
        raise Refused(400, N_("Please check the form"), view._("You cannot disable yourself."))
    disabled = view.form.get("disabled") == "1"
    try:
        set_disabled(deps, view.person.user_id, login, disabled)
    except UserInvalid as exc:
        raise Refused(404, N_("Not found"), errors=exc.errors) from None
    return Redirect("/admin/users", flash=view._("%(u)s disabled.", u=login) if disabled
                    else view._("%(u)s enabled.", u=login))


# -- the directory --------------------------------------------------------------

def admin_departments(deps: Deps, view: View):
    departments, history = view.gather(("routing", "list_departments", (True,)),
                                       ("routing", "directory_history", (None, 20)))
    in_service = [d for d in departments if not d["retired"]]
    return show("admin_departments.html", departments=as_tree(departments), history=history,
                parents=in_service)


def as_tree(departments):
    """The departments in the directory's order, each below its parent, with ``depth``:
    city bureaus and districts at the top, a district's streets and their communities
    under it. A unit whose parent is unknown is shown at the top."""
    by_code = {d["code"]: d for d in departments}
    below = {}
    for d in departments:
        parent = d.get("parent") or ""
        below.setdefault(parent if parent in by_code and parent != d["code"] else "", []).append(d)
    ordered, seen = [], set()

    def walk(parent, depth):
        for d in below.get(parent, ()):
            if d["code"] in seen:
                continue
            seen.add(d["code"])
            ordered.append(dict(d, depth=depth))
            walk(d["code"], depth + 1)
    walk("", 0)
    ordered += [dict(d, depth=0) for d in departments if d["code"] not in seen]  # a loop an old store holds
    return ordered


def admin_update_department(deps: Deps, view: View, code):
    """A department's phone, parent unit and duties (职责清单, one line each), with why."""
    changes = {k: (view.form.get(k) or "").strip() for k in ("name", "phone")}
    changes = {k: v for k, v in changes.items() if v}
    current = view.call("routing", "get_department", code) or {}
    if "parent" in view.form:
        parent = (view.form.get("parent") or "").strip()
        if parent != (current.get("parent") or ""):
            changes["parent"] = parent
    if "duties" in view.form:
        duties = [line.strip() for line in (view.form.get("duties") or "").splitlines() if line.strip()]
        if duties != list(current.get("duties") or []):
            changes["duties"] = duties
    reason = (view.form.get("reason") or "").strip()
    if not changes or not reason:
        raise Refused(400, N_("Please check the form"), view._("Change something and say why."))
    view.call("routing", "update_department", code, changes, view.person.name, reason)
    return Redirect("/admin/departments", flash=view._("%(c)s updated.", c=code))


# -- proposed catalogue edits ---------------------------------------------------

PROPOSAL_STATES = ("pending", "accepted", "rejected")


def admin_proposals(deps: Deps, view: View):
    """Edits to the catalogue and the units' keywords that refusals, re-dispatches,
    arbitrations and co-handlers propose: their tickets, the history's figures before and
    after, and the administrator's accept or reject with why."""
    state = view.arg("state") if view.arg("state") in PROPOSAL_STATES else "pending"
    page_no = view.page_number()
    found, departments, catalogue = view.gather(
        ("routing", "catalogue_proposals", (state, PAGE, (page_no - 1) * PAGE)),
        ("routing", "list_departments", (True,)), ("routing", "get_catalogue", ()))
    return show("admin_proposals.html", proposals=found["items"], total=found["total"], state=state,
                states=PROPOSAL_STATES, page=page_no, size=PAGE, base=f"/admin/proposals?state={state}&",
                names={d["code"]: d["name"] for d in departments},
                categories={c["code"]: c["name"] for c in catalogue})


def admin_decide_proposal(deps: Deps, view: View):
    key, decision = (view.form.get("key") or "").strip(), view.form.get("decision")
    reason = (view.form.get("reason") or "").strip()
    if not key or decision not in ("accept", "reject") or not reason:
        raise Refused(400, N_("Please check the form"), view._("Choose accept or reject and say why."))
    view.call("routing", "decide_catalogue_proposal", key, decision, reason)
    return Redirect("/admin/proposals", flash=view._("Accepted: the directory has a new version.")
                    if decision == "accept" else view._("Rejected: proposed again only if its tickets grow by half."))


# -- keys and tokens -------------------------------------------------------------

def admin_keys(deps: Deps, view: View):
    return _keys_page(deps, view)


def _keys_page(deps: Deps, view: View, made=None):
    keys, tokens, departments = view.gather(("intake", "list_api_keys", ()),
                                            ("followup", "list_department_tokens", ()),
                                            ("routing", "list_departments", ()))
    return show("admin_keys.html", keys=keys, tokens=tokens, departments=departments, made=made)


def admin_key_action(deps: Deps, view: View):
    action, name = view.form.get("action"), (view.form.get("name") or "").strip()
    made = None
    if action == "create_key":
        made = dict(view.call("intake", "create_api_key", name), kind="key")
    elif action == "revoke_key":
        view.call("intake", "revoke_api_key", name)
    elif action == "create_token":
        made = dict(view.call("followup", "create_department_token", name, view.form.get("label") or ""),
                    kind="token")
    elif action == "revoke_token":
        view.call("followup", "revoke_department_tokens", name)
    else:
        raise Refused(400, N_("Please check the form"))
    deps.people.record_audit({"at": view.now, "actor": view.person.user_id, "action": action,
                              "subject": name, "address": view.address})
    return _keys_page(deps, view, made)


# -- the record -------------------------------------------------------------------

def admin_record(deps: Deps, view: View):
    tab = view.arg("tab") or "signins"
    page_no = view.page_number()
    offset = (page_no - 1) * PAGE
    if tab == "contacts":
        found = view.call("followup", "contact_accesses", None, offset, PAGE)
        items, total = found["items"], found["total"]
    elif tab == "changes":
        items, total = deps.people.audit_log(None, offset, PAGE)
    else:
        items, total = deps.people.signin_history(None, offset, PAGE)
    return show("admin_record.html", tab=tab, items=items, total=total, page=page_no, size=PAGE,
                base=f"/admin/record?tab={tab}&")
