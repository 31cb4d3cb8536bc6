"""routing's RPC for the department directory and the dispatch catalogue.

Mixed into :class:`services.routing.service.RoutingService`. Every change
(add, update, retire) is recorded as the next directory version with who made
it and why; the instance that made it reloads at once, the others on their
refresh timer. Departments are retired, never deleted: old decisions still
name them.
"""
import hashlib
import json
import re

from services.routing.directory import Department, check_department
from shared.contract import events
from shared.platform.checks import whole_number
from shared.platform.doors import People, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES
from shared.platform.jsonable import jsonable
from shared.platform.messaging import rpc
from shared.platform.outbox import outboxed, publish_saved

ACTIONS = {"add": "add", "update": "update", "retire": "retire"}


def announcement(action, by="", reason=""):
    """``(department, version) -> outbox entry`` of a ``department_changed`` event."""
    def build(department, version):
        body = {k: v for k, v in department.items() if k != "version"}
        return outboxed("department_changed", events.new_event(
            events.DepartmentChanged, action=action, department=body, version=version,
            changed_by=by, reason=reason, changed_at=events.utcnow()))
    return build


class RoutingError(Exception):
    """A request routing refuses, with the reason (RPC callers see it as ``RemoteError``)."""


class DirectoryInvalid(RoutingError):
    """Field errors, as JSON ``{field: [message]}``."""

    def __init__(self, errors):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors


def code_for(name, taken):
    """A department code for a name: the name itself when it looks like a code (NYPD)."""
    name = str(name).strip()
    code = name if re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", name) else \
        "H-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
    while code in taken:
        code += "-2"
    return code


class DirectoryRpc:
    @door(Services("intake", "console"), People(*STAFF_ROLES))  # the workbench names categories
    @rpc
    def get_catalogue(self):
        """The dispatch catalogue: code, name, description, group, keywords, department, class."""
        return self.knowledge.ready(self.decisions).directory.catalogue_view()

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*ROLES))
    @rpc
    def list_departments(self, include_retired=False):
        known = self.knowledge.ready(self.decisions)
        departments = known.directory.all.values() if include_retired else known.directory.departments.values()
        return [dict(d.to_dict(), categories=list(d.categories)) for d in departments]

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"), People(*ROLES))
    @rpc
    def get_department(self, code):
        self.knowledge.ready(self.decisions)
        return jsonable(self.decisions.get_department(code))

    @door(People("admin", "supervisor"))
    @rpc
    def directory_history(self, code=None, limit=50):
        return jsonable(self.decisions.directory_history(code, whole_number("limit", limit, 1, 1000)))

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def add_department(self, department, by="", reason=""):
        known = self.knowledge.ready(self.decisions)
        errors = check_department(department, known.directory, new=True)
        if errors:
            raise DirectoryInvalid(errors)
        dept = Department.from_dict(dict(department, retired=False))
        return self._change("add", dept.to_dict(), by, reason)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def add_departments_named(self, names, by="", reason=""):
        """Add a department for each name the directory does not know (a history's labels)."""
        known = self.knowledge.ready(self.decisions)
        added = []
        for name in names:
            if known.directory.resolve(name) is None:
                code = code_for(name, set(known.directory.all))
                self._change("add", Department.from_dict({"code": code, "name": name}).to_dict(), by, reason)
                added.append({"code": code, "name": name})
        return added

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def update_department(self, code, changes, by="", reason=""):
        known = self.knowledge.ready(self.decisions)
        errors = check_department(dict(changes, code=code), known.directory, new=False)
        if errors:
            raise DirectoryInvalid(errors)
        current = known.directory.all[code].to_dict()
        if "contacts" in changes:  # given contacts replace those named; "" removes one
            changes = dict(changes, contacts={k: v for k, v in {**current["contacts"], **changes["contacts"]}.items()
                                              if v})
        dept = Department.from_dict(dict(current, **changes))
        return self._change("update", dept.to_dict(), by, reason)

    @door(People("admin"))
    @rpc(expected_exceptions=RoutingError)
    def retire_department(self, code, by="", reason=""):
        known = self.knowledge.ready(self.decisions)
        dept = known.directory.departments.get(code)
        if dept is None:
            raise DirectoryInvalid({"code": [f"no department {code} in service"]})
        users = [c for c, e in known.directory.catalogue.items() if e["department"] == code]
        if users:
            raise RoutingError(f"catalogue categories {', '.join(users)} still send tickets to {code}")
        return self._change("retire", dict(dept.to_dict(), retired=True), by, reason)

    @door(Services("intake", "routing", "followup", "notify", "insight", "console"))
    @rpc
    def directory_snapshot(self):
        """Every department (retired too) with its version, and the calendar years:
        what followup and notify catch up from when they missed events."""
        self.knowledge.ready(self.decisions)
        return jsonable({"directory_version": self.decisions.directory_version(),
                         "departments": self.decisions.all_departments(),
                         "calendar_version": self.decisions.calendar_version(),
                         "calendar_years": self.decisions.calendar_documents()})

    def _change(self, action, department, by, reason):
        person = self.caller.person
        if person is not None or self.caller.presented:  # a person: an administrator, named as signed
            by = self.caller.require("admin").name
        if not (by or "").strip():
            raise DirectoryInvalid({"by": ["say who makes the change"]})
        by, reason = by.strip(), (reason or "").strip()
        version = self.decisions.change_department(action, department, by, reason,
                                                   announce=announcement(action, by, reason))
        publish_saved(self.decisions.change_outbox, self.dispatch, self.decisions.change_id(version))
        self.knowledge.refresh(self.decisions)
        return {"version": version, "department": department}
