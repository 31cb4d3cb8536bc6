"""The administrator's screens: people and roles, the department directory,
other systems' API keys, department tokens, and the record (sign-ins, changes
to people, reads of citizens' contacts).

A mixin of ``ConsoleService``. A generated password or a new key or token is
shown once, on the page that made it, and never stored in clear.
"""
from services.console import domain
from services.console.i18n import N_
from services.console.web import Refused, page
from shared.platform.identity import ROLES

PAGE = 50


class AdminPages:

    # -- people ------------------------------------------------------------------

    def _users_page(self, view, status=200, made=None, errors=None, form=None, departments=None):
        page_no = view.page_number()
        users, total = self.people.list_users((page_no - 1) * PAGE, PAGE)
        if departments is None:
            departments = view.optional("routing", "list_departments") or []
        return view.render("admin_users.html", status=status, users=users, total=total, page=page_no,
                           size=PAGE, roles=ROLES, departments=departments, made=made, errors=errors or {},
                           form=form or {})

    @page("/admin/users", roles=("admin",))
    def admin_users(self, view):
        return self._users_page(view)

    @page("/admin/users", method="POST", roles=("admin",))
    def admin_create_user(self, view):
        form = view.form
        # One look at the directory serves both the check and the page that follows.
        departments = view.optional("routing", "list_departments")
        codes = {d["code"] for d in departments} if departments else None
        try:
            made = self.make_user(view.person.user_id, form.get("login"), form.getlist("roles"),
                                  form.get("department") or None, form.get("display_name") or "", codes)
        except domain.UserInvalid as exc:
            return self._users_page(view, 400, errors=exc.errors, form=form, departments=departments or [])
        return self._users_page(view, 201, made=made, departments=departments or [])

    @page("/admin/users/<string:login>/password", method="POST", roles=("admin",))
    def admin_reset_password(self, view, login):
        try:
            made = self.new_password(view.person.user_id, login)
        except domain.UserInvalid as exc:
            raise Refused(404, N_("Not found"), errors=exc.errors) from None
        return self._users_page(view, made=dict(made, reset=True))

    @page("/admin/users/<string:login>/second-factor", method="POST", roles=("admin",))
    def admin_reset_second_factor(self, view, login):
        try:
            self.reset_second_factor(view.person.user_id, login)
        except domain.UserInvalid as exc:
            raise Refused(404, N_("Not found"), exc.errors["login"][0]) from None
        return view.redirect("/admin/users", flash=view._("%(u)s enrols a second factor again at the next "
                                                          "sign-in.", u=login))

    @page("/admin/users/<string:login>/state", method="POST", roles=("admin",))
    def admin_user_state(self, view, login):
        if login == view.person.user_id:
            raise Refused(400, N_("Please check the form"), view._("You cannot disable yourself."))
        disabled = view.form.get("disabled") == "1"
        try:
            self.set_disabled(view.person.user_id, login, disabled)
        except domain.UserInvalid as exc:
            raise Refused(404, N_("Not found"), errors=exc.errors) from None
        return view.redirect("/admin/users", flash=view._("%(u)s disabled.", u=login) if disabled
                             else view._("%(u)s enabled.", u=login))

    # -- the directory --------------------------------------------------------------

    @page("/admin/departments", roles=("admin",))
    def admin_departments(self, view):
        departments, history = view.gather(("routing", "list_departments", (True,)),
                                           ("routing", "directory_history", (None, 20)))
        return view.render("admin_departments.html", departments=departments, history=history)

    @page("/admin/departments/<string:code>", method="POST", roles=("admin",))
    def admin_update_department(self, view, code):
        changes = {k: (view.form.get(k) or "").strip() for k in ("name", "phone")}
        changes = {k: v for k, v in changes.items() if v}
        reason = (view.form.get("reason") or "").strip()
        if not changes or not reason:
            raise Refused(400, N_("Please check the form"), view._("Change something and say why."))
        view.call("routing", "update_department", code, changes, view.person.name, reason)
        return view.redirect("/admin/departments", flash=view._("%(c)s updated.", c=code))

    # -- keys and tokens -------------------------------------------------------------

    @page("/admin/keys", roles=("admin",))
    def admin_keys(self, view):
        return self._keys_page(view)

    def _keys_page(self, view, made=None):
        keys, tokens, departments = view.gather(("intake", "list_api_keys", ()),
                                                ("followup", "list_department_tokens", ()),
                                                ("routing", "list_departments", ()))
        return view.render("admin_keys.html", keys=keys, tokens=tokens, departments=departments, made=made)

    @page("/admin/keys", method="POST", roles=("admin",))
    def admin_key_action(self, view):
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
        self.people.record_audit({"at": view.now, "actor": view.person.user_id, "action": action,
                                  "subject": name, "address": view.address})
        return self._keys_page(view, made)

    # -- the record -------------------------------------------------------------------

    @page("/admin/record", roles=("admin",))
    def admin_record(self, view):
        tab = view.arg("tab") or "signins"
        page_no = view.page_number()
        offset = (page_no - 1) * PAGE
        if tab == "contacts":
            found = view.call("followup", "contact_accesses", None, offset, PAGE)
            items, total = found["items"], found["total"]
        elif tab == "changes":
            items, total = self.people.audit_log(None, offset, PAGE)
        else:
            items, total = self.people.signin_history(None, offset, PAGE)
        return view.render("admin_record.html", tab=tab, items=items, total=total, page=page_no, size=PAGE,
                           base=f"/admin/record?tab={tab}&")
