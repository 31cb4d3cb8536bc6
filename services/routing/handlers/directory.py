"""The department directory and the dispatch catalogue: read, add, update, retire.

Every change is recorded as the next directory version with who made it and
why, and announced (``department_changed``) after the unit of work; the
instance that made it reloads at once, the others on their refresh timer.
Departments are retired, never deleted: old decisions still name them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from services.routing.domain.directory import Department, check_department
from services.routing.domain.errors import DirectoryInvalid, RoutingError
from shared.contract.field_errors import message
from shared.platform.checks import whole_number
from shared.platform.jsonable import jsonable

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps


def code_for(name, taken):
    """A department code for a name: the name itself when it looks like a code (NYPD)."""
    name = str(name).strip()
    code = name if re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", name) else \
        "H-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
    while code in taken:
        code += "-2"
    return code


def get_catalogue(deps: Deps):
    """The dispatch catalogue: code, name, description, group, keywords, department, class."""
    return deps.known().directory.catalogue_view()


def list_departments(deps: Deps, include_retired=False):
    """Every department in service (or all), each with its catalogue categories and
    ``children`` (the codes of the units in service directly below it)."""
    directory = deps.known().directory
    departments = directory.all.values() if include_retired else directory.departments.values()
    return [dict(d.to_dict(), categories=list(d.categories), children=directory.children(d.code))
            for d in departments]


def get_department(deps: Deps, code):
    known = deps.known()
    return jsonable(with_parent(known.directory, deps.directory.get_department(code)))


def with_parent(directory, stored):
    """A stored department with its place in the tree (a street stored before the
    directory had one belongs to its district's government)."""
    if stored is None or stored.get("code") not in directory.all:
        return stored
    return dict(stored, parent=directory.all[stored["code"]].parent)


def directory_history(deps: Deps, code=None, limit=50):
    return jsonable(deps.directory.directory_history(code, whole_number("limit", limit, 1, 1000)))


def add_department(deps: Deps, department, by="", reason=""):
    known = deps.known()
    errors = check_department(department, known.directory, new=True)
    if errors:
        raise DirectoryInvalid(errors)
    dept = Department.from_dict(dict(department, retired=False))
    dept = replace(dept, parent=known.directory.default_parent(dept))
    return change(deps, "add", dept.to_dict(), by, reason)


def add_departments_named(deps: Deps, names, by="", reason=""):
    """Add a department for each name the directory does not know (a history's labels)."""
    known = deps.known()
    added = []
    for name in names:
        if known.directory.resolve(name) is None:
            code = code_for(name, set(known.directory.all))
            change(deps, "add", Department.from_dict({"code": code, "name": name}).to_dict(), by, reason)
            added.append({"code": code, "name": name})
    return added


def update_department(deps: Deps, code, changes, by="", reason=""):
    known = deps.known()
    errors = check_department(dict(changes, code=code), known.directory, new=False)
    if errors:
        raise DirectoryInvalid(errors)
    current = known.directory.all[code].to_dict()
    if "contacts" in changes:  # given contacts replace those named; "" removes one
        changes = dict(changes, contacts={k: v for k, v in {**current["contacts"], **changes["contacts"]}.items()
                                          if v})
    dept = Department.from_dict(dict(current, **changes))
    dept = replace(dept, parent=known.directory.default_parent(dept))
    return change(deps, "update", dept.to_dict(), by, reason)


def retire_department(deps: Deps, code, by="", reason=""):
    known = deps.known()
    dept = known.directory.departments.get(code)
    if dept is None:
        raise DirectoryInvalid({"code": [f"no department {code} in service"]})
    below = known.directory.children(code)
    if below:
        raise DirectoryInvalid({"code": [message("units_below", department=code)]})
    users = [c for c, e in known.directory.catalogue.items() if e["department"] == code]
    if users:
        raise RoutingError(f"catalogue categories {', '.join(users)} still send tickets to {code}")
    return change(deps, "retire", dict(dept.to_dict(), retired=True), by, reason)


def change_catalogue_entry(deps: Deps, entry, by, reason):
    """Change a catalogue entry (its unit, its co-handlers) as the next directory version,
    recorded with who and why; reloaded at once."""
    version = deps.uow.run(lambda: deps.directory.change_catalogue(entry, by, reason))
    deps.knowledge.refresh(deps.decisions)
    return {"version": version, "entry": entry}


def directory_snapshot(deps: Deps):
    """Every department (retired too) with its version, and the calendar years:
    what followup and notify catch up from when they missed events."""
    known = deps.known()
    return jsonable({"directory_version": deps.directory.directory_version(),
                     "departments": [with_parent(known.directory, d) for d in deps.directory.all_departments()],
                     "calendar_version": deps.calendar.calendar_version(),
                     "calendar_years": deps.calendar.calendar_documents()})


def change(deps: Deps, action, department, by, reason):
    """Record a change as the next directory version; announced after, reloaded at once."""
    caller = deps.caller
    if caller.person is not None or caller.presented:  # a person: an administrator, named as signed
        by = caller.require("admin").name
    if not (by or "").strip():
        raise DirectoryInvalid({"by": ["say who makes the change"]})
    by, reason = by.strip(), (reason or "").strip()
    version = deps.uow.run(lambda: deps.directory.change_department(action, department, by, reason, uow=deps.uow))
    deps.knowledge.refresh(deps.decisions)
    return {"version": version, "department": department}
