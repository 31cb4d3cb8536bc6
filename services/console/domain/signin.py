"""Signing in: the slow-down of guessers, session timeouts, the second factor.

Failed sign-ins slow down the pair (login, client) that failed -- a browser
where the login signed in before (its signed device cookie says so), else the
address -- never the login for everyone (``Policy.slowdown``); unknown clients
of one address have a generous backstop. Administrators and supervisors also
give a TOTP code (等保 2.0 level 3). Sessions end after ``idle`` without a
request or ``absolute`` after sign-in, whichever comes first.
"""
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp

from services.console.domain.people import holds
from shared.platform.slowdown import Slowdown

SECOND_FACTOR_ROLES = ("admin", "supervisor")  # 等保 2.0 level 3: these sign in with two factors
TOTP_ISSUER = "hotline"


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
    def from_config(cls, section: Mapping[str, Any] | None) -> "Policy":
        s = section or {}

        def minutes(key: str, default: float) -> timedelta:
            return timedelta(minutes=float(s.get(key) or default))
        slowdown = Slowdown(free=int(s.get("free_failures") or 5), base=float(s.get("first_wait_seconds") or 2),
                            cap=float(s.get("max_wait_seconds") or 900), forget=timedelta(hours=24))
        return cls(slowdown=slowdown, address_limit=int(s.get("address_limit") or 100),
                   address_window=minutes("address_window_minutes", 10),
                   idle=minutes("idle_minutes", 30), absolute=minutes("absolute_minutes", 720))


def session_expired(session: Mapping[str, Any], now: datetime, policy: Policy) -> bool:
    """Has the stored ``session`` been idle too long, or lasted too long?"""
    last_seen: datetime = session["last_seen"]
    created_at: datetime = session["created_at"]
    return (now - last_seen > policy.idle) or (now - created_at > policy.absolute)


# -- the second factor ----------------------------------------------------------------------

def needs_second_factor(user: Mapping[str, Any]) -> bool:
    """An administrator or supervisor who has not enrolled a second factor yet."""
    return holds(user, *SECOND_FACTOR_ROLES) and not user.get("totp_secret")


def new_totp_secret() -> str:
    return str(pyotp.random_base32())


def totp_uri(secret: str, login: str, issuer: str = TOTP_ISSUER) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from the QR code or pasted)."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=issuer))


def totp_step(secret: str | None, code: object, now: datetime, window: int = 1) -> int | None:
    """The time step whose code ``code`` is (``window`` steps either side of ``now``), or ``None``.

    The caller accepts a step only once (``PeopleRepository.use_totp_step``),
    so a code seen over someone's shoulder cannot be used again.
    """
    code = re.sub(r"\s", "", str(code or ""))
    if not secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(totp.timecode(now))
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(str(totp.generate_otp(step)), code):
            found = step
    return found


# -- the browser a login signed in on ----------------------------------------------------------

def device_mac(secret: str, device: str, logins: tuple[str, ...]) -> str:
    text = f"{device}|{'+'.join(logins)}"
    return hmac.new(str(secret).encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def read_device(secret: str, value: str | None) -> tuple[str | None, tuple[str, ...]]:
    """``(device id, logins)`` from a signed device cookie, or ``(None, ())``.

    A browser gets the cookie when someone signs in on it; it names the
    logins that have, so their failures from it count apart from a stranger's.
    """
    parts = str(value or "").split("~")
    if len(parts) != 3 or not parts[0] or len(value or "") > 800:
        return None, ()
    device, names, mac = parts
    logins = tuple(login for login in names.split("+") if login)
    if not hmac.compare_digest(device_mac(secret, device, logins), mac):
        return None, ()
    return device, logins


def device_cookie(secret: str, device: str, logins: tuple[str, ...], login: str, keep: int = 8) -> str:
    """The cookie value once ``login`` has signed in on this browser (its last ``keep`` logins)."""
    logins = tuple(x for x in logins if x != login)[-(keep - 1):] + (login,)
    return f"{device}~{'+'.join(logins)}~{device_mac(secret, device, logins)}"
