"""A status lookup's proof is parsed strictly, and a ticket without a phone is
never proven by four digits."""
import pytest

from services.intake.domain import public

SECRET = "s3cret"
NUMBER = "QD-20261127-00001"
CODE = public.lookup_code(SECRET, NUMBER)
WITH_PHONE = {"number": NUMBER, "caller": {"phone": "13853212345"}}
WITHOUT_PHONE = {"number": NUMBER, "caller": {"phone": None}}


@pytest.mark.parametrize("tail", ["\x00\x00\x00\x00", "234", "23456", "２３４５", "٢٣٤٥", "23 45",
                                  "2345\n", "-234", "+2345", "abcd", "\t2345", "2345x", "    "])
def test_a_phone_tail_not_of_four_ascii_digits_is_refused_by_field(tail):
    with pytest.raises(public.BadProof) as refused:
        public.parse_proof(None, tail)
    assert set(refused.value.errors) == {"phone_last4"}


@pytest.mark.parametrize("code", ["\x00" * 8, "1234567", "123456789", "１２３４５６７８", "1234 5678",
                                  "12345678\x00", "abcdefgh"])
def test_a_code_not_of_its_eight_ascii_digits_is_refused_by_field(code):
    with pytest.raises(public.BadProof) as refused:
        public.parse_proof(code, None)
    assert set(refused.value.errors) == {"code"}


def test_spaces_around_a_proof_are_forgiven_and_absence_is_none():
    assert public.parse_proof(f" {CODE} ", " 2345 ") == (CODE, "2345")
    assert public.parse_proof(None, None) == (None, None)
    assert public.parse_proof("", "") == (None, None)


def test_a_ticket_without_a_phone_is_never_proven_by_a_tail():
    for tail in ("0000", "\x00" * 4, "----", "", None):
        assert not public.proof_holds(SECRET, NUMBER, WITHOUT_PHONE, None, tail)
    assert not public.proof_holds(SECRET, NUMBER, {"number": NUMBER}, None, "0000")
    assert public.proof_holds(SECRET, NUMBER, WITHOUT_PHONE, CODE, None)


def test_the_right_tail_or_code_proves_and_nothing_else_does():
    assert public.proof_holds(SECRET, NUMBER, WITH_PHONE, None, "2345")
    assert public.proof_holds(SECRET, NUMBER, WITH_PHONE, CODE, None)
    assert not public.proof_holds(SECRET, NUMBER, WITH_PHONE, None, "2346")
    assert not public.proof_holds(SECRET, NUMBER, None, CODE, "2345")
