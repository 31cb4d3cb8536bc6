"""The workbench's rules about people: users, roles, sign-in, sessions.

Pure Python. A user has a login name (``zhang.wei``), a display name that the
ledger records (``张伟``), one or more roles, and -- for department staff --
the one department it works for. Passwords are generated here and hashed by
the repository with argon2. Failed sign-ins slow down the pair (login,
client) that failed -- a browser where the login signed in before, else the
address -- never the login for everyone (``Policy.slowdown``); unknown
clients of one address have a generous backstop. Administrators and
supervisors also give a TOTP code. Sessions end after ``idle`` without a
request or ``absolute`` after sign-in, whichever comes first.
"""
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp

from shared.contract.field_errors import message
from shared.platform.identity import ROLES, STAFF_ROLES, Person
from shared.platform.slowdown import Slowdown

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
    # Failed sign-ins per (login, client): free ones, then each wait doubles (shared.platform.slowdown).
    slowdown: Slowdown = Slowdown(free=5, base=2.0, cap=900.0, forget=timedelta(hours=24))
    address_limit: int = 100                  # failed sign-ins from one address by unknown clients ...
    address_window: timedelta = timedelta(minutes=10)  # ... in this window: unknown clients refused
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    device_days: int = 180                    # a browser's sign-in cookie is kept this long
    code_tries: int = 5                       # wrong second-factor codes before the password is asked again

    @classmethod
    def from_config(cls, section):
        s = section or {}

        def minutes(key, default):
            return timedelta(minutes=float(s.get(key) or default))
        slowdown = Slowdown(free=int(s.get("free_failures") or 5), base=float(s.get("first_wait_seconds") or 2),
                            cap=float(s.get("max_wait_seconds") or 900), forget=timedelta(hours=24))
        return cls(slowdown=slowdown, address_limit=int(s.get("address_limit") or 100),
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


SECOND_FACTOR_ROLES = ("admin", "supervisor")  # 等保 2.0 level 3: these sign in with two factors
TOTP_ISSUER = "hotline"


def needs_second_factor(user):
    """An administrator or supervisor who has not enrolled a second factor yet."""
    return bool(set(user.get("roles") or ()) & set(SECOND_FACTOR_ROLES)) and not user.get("totp_secret")


def new_totp_secret():
    return pyotp.random_base32()


def totp_uri(secret, login, issuer=TOTP_ISSUER):
    """The ``otpauth://`` URI an authenticator app reads (from the QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer)


def totp_step(secret, code, now, window=1):
    """The time step whose code ``code`` is (``window`` steps either side of ``now``), or ``None``.

    The caller accepts a step only once (``PeopleRepository.use_totp_step``),
    so a code seen over someone's shoulder cannot be used again.
    """
    code = re.sub(r"\s", "", str(code or ""))
    if not secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def device_mac(secret, device, logins):
    text = f"{device}|{'+'.join(logins)}"
    return hmac.new(str(secret).encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def read_device(secret, value):
    """``(device id, logins)`` from a signed device cookie, or ``(None, ())``.

    A browser gets the cookie when someone signs in on it; it names the
    logins that have, so their failures from it count apart from a stranger's.
    """
    parts = str(value or "").split("~")
    if len(parts) != 3 or not parts[0] or len(value) > 800:
        return None, ()
    device, logins, mac = parts
    logins = tuple(login for login in logins.split("+") if login)
    if not hmac.compare_digest(device_mac(secret, device, logins), mac):
        return None, ()
    return device, logins


def device_cookie(secret, device, logins, login, keep=8):
    """The cookie value once ``login`` has signed in on this browser (its last ``keep`` logins)."""
    logins = tuple(x for x in logins if x != login)[-(keep - 1):] + (login,)
    return f"{device}~{'+'.join(logins)}~{device_mac(secret, device, logins)}"


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
