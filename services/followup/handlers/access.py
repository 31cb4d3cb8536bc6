"""Who asks, and what they may see.

Department staff (a person with the ``department`` role and no hotline role)
see and act only on their own department's cases -- any other case is
``NotYourCase`` (403) however the request is made; a department's system
with its token likewise. Calls with no person at all are other services and
the operators' CLI (which signs as ``cli:LOGIN``).
"""
from services.followup.bootstrap import Deps
from services.followup.domain import NotAuthorized, NotYourCase
from shared.platform.identity import NotAllowed


def department(deps: Deps, token):
    """The department a token belongs to, or ``NotAuthorized``."""
    found = deps.cases.department_for_token(token)
    if found is None:
        raise NotAuthorized("a valid department token is required")
    return found


def department_actor(deps: Deps, token, actor=""):
    """``(department, actor name, actor id)``: a department's token, or its signed-in staff."""
    if token is not None:  # "" or a garbled token is a token that fails, not "no token"
        code = department(deps, token)
        return code, str(actor or ""), f"token:{code}"
    person = deps.caller.person
    if person is None:
        if deps.caller.presented:
            deps.caller.require("department")  # a forged or expired identity: NotAllowed
        raise NotAuthorized("a valid department token is required")
    if not person.has("department") or not person.department:
        raise NotAllowed(f"{person.name} is not department staff")
    return person.department, person.name, person.user_id


def staff(deps: Deps, *roles):
    """The signed-in person holding one of ``roles``: (name, id)."""
    person = deps.caller.require(*roles)
    return person.name, person.user_id


def scope(deps: Deps, department_code=None):
    """The department a list is limited to: department staff get only their own."""
    person = deps.caller.person
    if person is not None and person.is_department_only:
        if department_code and department_code != person.department:
            raise NotYourCase(f"{person.name} works for {person.department}, not {department_code}")
        return person.department
    return department_code


def may_see(deps: Deps, case, token=None, roles=()):
    """Who asks, if they may see ``case`` (its document): ``(name, actor_id, department or None)``."""
    if token is not None:  # "" or a garbled token is refused, never read as "no token"
        code = department(deps, token)
        if not works_on(case, code):
            raise NotYourCase(f"case {case['number']} is not with {code}")
        return "", f"token:{code}", code
    person = deps.caller.person
    if person is None:
        if roles:
            deps.caller.require(*roles)
        return "", None, None
    if roles:
        deps.caller.require(*roles)
    if person.is_department_only and not works_on(case, person.department):
        raise NotYourCase(f"case {case['number']} is not with {person.department}")
    return person.name, person.user_id, person.department if person.is_department_only else None


def works_on(case, department):
    """Whether ``department`` is the case's lead or holds (or held) a part of it (co-handling,
    passed down): each unit on a case sees it, with the citizen's words it needs to act."""
    return department == case["department_code"] or any(
        part.get("unit_code") == department for part in case.get("assignments") or ())
