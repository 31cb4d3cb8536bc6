"""The workbench's rules that need no browser and live outside the console's own code:
signed identities (shared/platform/identity.py) and attachments judged by their bytes
(services/followup/attachments.py), as the workbench relies on them."""
import pytest

from services.followup.domain import attachments
from shared.platform.identity import NotAllowed, Person, sign, verify

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
