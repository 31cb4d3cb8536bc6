"""The workbench's rules that need no browser: identities, people, exports, files,
the catalogues."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from services.console import exports
from services.console.domain import people, signin
from services.followup import attachments
from shared.platform.identity import NotAllowed, Person, sign, verify

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "a-test-secret-of-some-length"
PERSON = Person("zhang.gong", "张工", ("department",), "WATER")


def test_a_signed_identity_round_trips_and_a_forged_or_stale_one_is_refused():
    token = sign(PERSON, SECRET, now=1000)
    assert verify(token, SECRET, now=1100) == PERSON
    with pytest.raises(NotAllowed, match="signature"):
        verify(token, "another-secret-entirely", now=1100)
    with pytest.raises(NotAllowed, match="expired"):
        verify(token, SECRET, now=1000 + 301)
    payload, mac = token.split(".")
    promoted = sign(Person("zhang.gong", "张工", ("admin",), None), "attacker", now=1000).split(".")[0]
    with pytest.raises(NotAllowed):
        verify(f"{promoted}.{mac}", SECRET, now=1100)  # roles changed, signature kept
    for garbage in ("", "x", "a.b.c", None, 42):
        with pytest.raises(NotAllowed):
            verify(garbage, SECRET, now=1100)


def test_department_staff_see_only_their_department():
    assert PERSON.is_department_only
    assert not Person("u", "u", ("department", "supervisor"), "WATER").is_department_only
    assert Person("u", "u", ("operator",)).has("operator", "admin")


def test_a_new_user_is_checked_by_field():
    user = people.check_new_user("Zhang.Gong", ["department"], "WATER", {"WATER"}, "张工")
    assert user == {"login": "zhang.gong", "display_name": "张工", "roles": ["department"], "department": "WATER"}
    with pytest.raises(people.UserInvalid) as bad:
        people.check_new_user("x", ["wizard"], None, {"WATER"})
    assert set(bad.value.errors) == {"login", "roles"}
    with pytest.raises(people.UserInvalid) as bad:
        people.check_new_user("li.shen", ["department"], None, {"WATER"})
    assert "department" in bad.value.errors
    with pytest.raises(people.UserInvalid):
        people.check_new_user("li.shen", ["department"], "NOPE", {"WATER"})
    with pytest.raises(people.UserInvalid):
        people.check_new_user("li.shen", ["reviewer"], "WATER", {"WATER"})
    with pytest.raises(people.UserInvalid):
        people.check_password("short", "li.shen")
    with pytest.raises(people.UserInvalid):
        people.check_password("my-name-is-li.shen-ok", "li.shen")
    assert len(people.generate_password()) == 16


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


def test_exports_never_carry_a_formula_and_keep_chinese():
    rows = [["=HYPERLINK(\"http://x\")", "市水务管理局", 3, None], ["+1", "-2", "@SUM(A1)", 0.5]]
    text = exports.as_csv(["a", "b", "c", "d"], rows).decode("utf-8")
    assert text.startswith("\ufeff") and "市水务管理局" in text
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2" in text and "'@SUM" in text
    sheet = load_workbook(io.BytesIO(exports.as_xlsx("cases", ["a", "b", "c", "d"], rows))).active
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert sheet["C2"].value == 3 and sheet["B2"].value == "市水务管理局"


def test_attachments_are_judged_by_their_bytes():
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    assert attachments.check("../../etc/照片.png", png, 0) == ("照片.png", "image/png")
    assert attachments.check("报告.pdf", b"%PDF-1.7 ...", 0)[1] == "application/pdf"
    assert attachments.check("说明.txt", "水管已修复".encode(), 0)[1] == "text/plain"
    for name, data, count in (("x.png", b"MZ\x90\x00" + b"\xff" * 50, 0),      # a program named .png
                              ("x.png", png, attachments.MAX_FILES),              # too many
                              ("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * attachments.MAX_BYTES, 0),  # too big
                              ("x.png", b"", 0)):
        with pytest.raises(attachments.AttachmentRefused):
            attachments.check(name, data, count)


def test_every_string_of_the_workbench_is_translated_into_chinese():
    from babel.messages.extract import extract_from_dir, extract_python
    from babel.messages.pofile import read_po

    from services.console import i18n
    from shared.contract import reasons

    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None}
    wanted = {message for _, _, message, *_ in extract_from_dir(
        str(i18n.HERE), method_map, options_map=options, keywords=keywords)}
    # routing's reasons, which the workbench says in the reader's language (shared/contract/reasons.py)
    with open(reasons.__file__, "rb") as handle:
        wanted |= {message for _, _, message, _ in extract_python(handle, keywords, [], {})}
    assert set(reasons.SENTENCES.values()) - {"%(text)s"} <= wanted
    with open(i18n.HERE / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(m for m in wanted if not catalog.get(m))
    assert not missing, f"run `make translations` and translate: {missing}"


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
