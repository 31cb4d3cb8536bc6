"""Signing in: slow-downs, session timeouts, the second factor, the device cookie
(services/console/domain/signin.py)."""
from datetime import UTC, datetime, timedelta

from services.console.domain import signin

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

def test_wrong_passwords_slow_their_pair_down_and_sessions_time_out():
    policy = signin.Policy()
    waits = [policy.slowdown.wait_after(n) for n in range(1, 12)]
    assert waits[:5] == [0] * 5 and waits[5:8] == [2, 4, 8] and max(waits) <= 900
    assert policy.slowdown.wait_after(100) == 900  # a wait, never a lock
    session = {"created_at": NOW, "last_seen": NOW}
    assert not signin.session_expired(session, NOW + timedelta(minutes=29), policy)
    assert signin.session_expired(session, NOW + timedelta(minutes=31), policy)  # idle
    busy = {"created_at": NOW, "last_seen": NOW + timedelta(hours=12)}
    assert signin.session_expired(busy, NOW + timedelta(hours=12, minutes=1), policy)  # absolute


def test_a_second_factor_is_required_of_administrators_and_supervisors_only():
    assert signin.needs_second_factor({"roles": ["admin"]})
    assert signin.needs_second_factor({"roles": ["operator", "supervisor"]})
    assert not signin.needs_second_factor({"roles": ["supervisor"], "totp_secret": "JBSWY3DPEHPK3PXP"})
    assert not signin.needs_second_factor({"roles": ["operator", "reviewer"]})


def test_a_totp_code_is_accepted_one_step_either_side_and_names_its_step():
    import pyotp

    secret = signin.new_totp_secret()
    totp = pyotp.TOTP(secret)
    step = totp.timecode(NOW)
    for offset in (-1, 0, 1):
        assert signin.totp_step(secret, totp.generate_otp(step + offset), NOW) == step + offset
    assert signin.totp_step(secret, totp.generate_otp(step + 2), NOW) is None
    assert signin.totp_step(secret, totp.generate_otp(step - 2), NOW) is None
    assert signin.totp_step(secret, "12 34", NOW) is None and signin.totp_step(secret, "", NOW) is None
    spaced = totp.generate_otp(step)
    assert signin.totp_step(secret, f"{spaced[:3]} {spaced[3:]}", NOW) == step
    assert signin.totp_uri(secret, "admin").startswith("otpauth://totp/hotline:admin?secret=")


def test_a_device_cookie_names_its_logins_and_cannot_be_forged():
    value = signin.device_cookie("key", "dev1", (), "zhou.du")
    assert signin.read_device("key", value) == ("dev1", ("zhou.du",))
    value = signin.device_cookie("key", "dev1", ("zhou.du",), "admin")
    assert signin.read_device("key", value) == ("dev1", ("zhou.du", "admin"))
    assert signin.read_device("other-key", value) == (None, ())
    forged = value.replace("zhou.du+admin", "zhou.du+admin+li.shen")
    assert signin.read_device("key", forged) == (None, ())
    assert signin.read_device("key", "garbage") == (None, ())
