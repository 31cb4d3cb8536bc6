"""The workbench's rules about people: users, roles, sign-in, sessions.

Pure Python. A user has a login name (``zhang.wei``), a display name that the
ledger records (``张伟``), one or more roles, and -- for department staff --
the one department it works for. Passwords are generated here and hashed by
the repository with argon2; sign-in is throttled per user (a lock after
``LOCK_AFTER`` failures) and per address; sessions end after ``IDLE`` without
a request or ``ABSOLUTE`` after sign-in, whichever comes first.
"""
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from shared.field_errors import message
from shared.identity import ROLES, STAFF_ROLES, Person

ROLE_LABELS = {  # the role names people use (zh first)
    "operator": ("接线员", "operator"),
    "dispatcher": ("派单员", "dispatcher"),
    "reviewer": ("审核员", "reviewer"),
    "callback": ("回访员", "callback agent"),
    "supervisor": ("督办", "supervisor"),
    "department": ("承办单位", "department staff"),
    "admin": ("管理员", "administrator"),
}
LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MIN_PASSWORD = 12
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class UserInvalid(Exception):
    """Field errors: ``errors`` maps each field to its messages."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Policy:
    lock_after: int = 5                       # wrong passwords in a row ...
    lock_for: timedelta = timedelta(minutes=15)   # ... lock the user this long
    address_limit: int = 30                   # failed sign-ins from one address ...
    address_window: timedelta = timedelta(minutes=10)  # ... in this window: refused
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def from_config(cls, section):
        s = section or {}

        def minutes(key, default):
            return timedelta(minutes=float(s.get(key) or default))
        return cls(lock_after=int(s.get("lock_after") or 5), lock_for=minutes("lock_minutes", 15),
                   address_limit=int(s.get("address_limit") or 30),
                   address_window=minutes("address_window_minutes", 10),
                   idle=minutes("idle_minutes", 30), absolute=minutes("absolute_minutes", 720))


def generate_password(length=16):
    """A password to read out or paste once: no look-alike characters."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def check_new_user(login, roles, department, departments, display_name=""):
    """A clean user record (without a password), or ``UserInvalid``."""
    errors = {}
    login = (login or "").strip().lower()
    if not LOGIN.fullmatch(login):
        errors["login"] = [message("login")]
    roles = sorted(set(roles or ()))
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        errors["roles"] = [message("roles", roles=", ".join(ROLES))]
    department = (department or "").strip() or None
    if "department" in roles and not department:
        errors["department"] = [message("department_needed")]
    elif department and departments is not None and department not in departments:
        errors["department"] = [message("unknown_department")]
    elif department and "department" not in roles:
        errors["department"] = [message("not_department_staff")]
    display_name = (display_name or "").strip() or login
    if len(display_name) > 64:
        errors["display_name"] = [message("at_most_characters", max=64)]
    if errors:
        raise UserInvalid(errors)
    return {"login": login, "display_name": display_name, "roles": roles, "department": department}


def check_password(password, login=""):
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserInvalid({"password": [message("password_short", min=MIN_PASSWORD)]})
    if login and login.lower() in password.lower():
        raise UserInvalid({"password": [message("password_login")]})
    return password


def person_of(user):
    return Person(user_id=user["login"], name=user.get("display_name") or user["login"],
                  roles=tuple(user["roles"]), department=user.get("department"), via="console")


def locked(user, now):
    until = user.get("locked_until")
    return bool(until and until > now)


def after_failure(user, now, policy):
    """``(failed_count, locked_until or None)`` after one more wrong password."""
    count = int(user.get("failed_count") or 0) + 1
    if count >= policy.lock_after:
        return count, now + policy.lock_for
    return count, None


def session_expired(session, now, policy):
    return (now - session["last_seen"] > policy.idle) or (now - session["created_at"] > policy.absolute)


def home_for(roles):
    """Where a person lands after signing in: the screen of their first role."""
    for role, path in (("operator", "/operator"), ("department", "/department"),
                       ("reviewer", "/review"), ("callback", "/callbacks"),
                       ("dispatcher", "/dispatch"), ("supervisor", "/supervisor"),
                       ("admin", "/admin/users")):
        if role in roles:
            return path
    return "/tickets"


def may_search_tickets(person):
    return person.has(*STAFF_ROLES)
