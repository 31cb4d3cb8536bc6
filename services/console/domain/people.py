"""Users and their roles: who may work at the hotline, and where each one lands.

A user has a login name (``zhang.wei``), a display name that the ledger records
(``张伟``), one or more roles, and -- for department staff -- the one department
it works for. Passwords are generated here and hashed by the repository with
argon2 (``services.console.adapters.people``).
"""
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from shared.contract.field_errors import message
from shared.platform.identity import ROLES

say: Callable[..., str] = message  # the contract's English sentence of a field error

ROLE_LABELS = {  # the role names people use (zh first)
    "operator": ("接线员", "operator"),
    "dispatcher": ("派单员", "dispatcher"),
    "reviewer": ("审核员", "reviewer"),
    "callback": ("回访员", "callback agent"),
    "supervisor": ("督办", "supervisor"),
    "department": ("承办单位", "department staff"),
    "admin": ("管理员", "administrator"),
    "quality": ("质检员", "quality reviewer"),
}
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MIN_PASSWORD = 12
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
HOMES = (("operator", "/operator"), ("department", "/department"), ("reviewer", "/review"),
         ("callback", "/callbacks"), ("dispatcher", "/dispatch"), ("supervisor", "/supervisor"),
         ("quality", "/quality"), ("admin", "/admin/users"))

Errors = dict[str, list[str]]


class UserInvalid(Exception):
    """Field errors: ``errors`` maps each field to its messages."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def generate_password(length: int = 16) -> str:
    """A password to read out or paste once: no look-alike characters."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def check_new_user(login: str | None, roles: Iterable[str] | None, department: str | None,
                   departments: Collection[str] | None, display_name: str | None = "") -> dict[str, Any]:
    """A clean user record (without a password), or ``UserInvalid``; ``departments``: the
    directory's codes (``None``: not checked)."""
    errors: Errors = {}
    login = (login or "").strip().lower()
    if not LOGIN.fullmatch(login):
        errors["login"] = [say("login")]
    chosen = sorted(set(roles or ()))
    unknown = [r for r in chosen if r not in ROLES]
    if not chosen or unknown:
        errors["roles"] = [say("roles", roles=", ".join(ROLES))]
    department = (department or "").strip() or None
    if "department" in chosen and not department:
        errors["department"] = [say("department_needed")]
    elif department and departments is not None and department not in departments:
        errors["department"] = [say("unknown_department")]
    elif department and "department" not in chosen:
        errors["department"] = [say("not_department_staff")]
    display_name = (display_name or "").strip() or login
    if len(display_name) > 64:
        errors["display_name"] = [say("at_most_characters", max=64)]
    if errors:
        raise UserInvalid(errors)
    return {"login": login, "display_name": display_name, "roles": chosen, "department": department}


def check_password(password: object, login: str = "") -> str:
    """``password`` if it is long enough and does not contain the login, else ``UserInvalid``."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserInvalid({"password": [say("password_short", min=MIN_PASSWORD)]})
    if login and login.lower() in password.lower():
        raise UserInvalid({"password": [say("password_login")]})
    return password


def home_for(roles: Iterable[str]) -> str:
    """Where a person lands after signing in: the screen of their first role."""
    held = set(roles)
    for role, path in HOMES:
        if role in held:
            return path
    return "/tickets"


def role_label(role: str, locale: str) -> str:
    """A role's name as people say it, in ``locale`` (zh_CN, else English); unknown: as it is."""
    names = ROLE_LABELS.get(role)
    return (names[0] if locale == "zh_CN" else names[1]) if names else role


def holds(user: Mapping[str, Any], *roles: str) -> bool:
    """Does the stored ``user`` hold any of ``roles``?"""
    return bool(set(user.get("roles") or ()) & set(roles))
