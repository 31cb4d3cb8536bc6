"""Signed calls (shared/platform/principals.py): what a signature covers, and rotating a key."""
import time

import pytest

from shared.platform import principals
from shared.platform.principals import BadSignature, Keyring


def pair():
    private, public = principals.new_key_pair()
    return private, public


def keyring(name, private, public_line):
    return Keyring.from_config(name, {"SERVICE_KEY": private, "SERVICE_PUBLIC_KEYS": public_line})


def test_a_signature_covers_the_call_the_body_and_the_time():
    private, public = pair()
    intake = keyring("intake", private, f"intake={public}")
    body = principals.rpc_digest(["QD-20261205-00001"], {})
    token = intake.sign("followup.get_case", body, 60)
    assert intake.verify(token, "followup.get_case", body) == "intake"
    with pytest.raises(BadSignature, match="another call"):
        intake.verify(token, "followup.list_cases", body)
    with pytest.raises(BadSignature, match="another message"):
        intake.verify(token, "followup.get_case", principals.rpc_digest(["QD-20261205-00002"], {}))
    with pytest.raises(BadSignature, match="expired"):
        intake.verify(intake.sign("followup.get_case", body, 60, now=time.time() - 120), "followup.get_case", body)
    with pytest.raises(BadSignature, match="not signed"):
        intake.verify(None, "followup.get_case", body)
    payload, signature = token.split(".")
    with pytest.raises(BadSignature, match="does not match"):
        intake.verify(f"{payload}.{signature[:-4]}AAAA", "followup.get_case", body)
    with pytest.raises(BadSignature, match="garbled"):
        intake.verify("garbled", "followup.get_case", body)


def test_one_service_s_key_cannot_speak_for_another():
    intake_private, intake_public = pair()
    notify_private, notify_public = pair()
    line = f"intake={intake_public} notify={notify_public}"
    notify = keyring("notify", notify_private, line)
    forged = notify.sign("x.y", "d", 60)
    assert keyring("intake", intake_private, line).verify(forged, "x.y", "d") == "notify"  # it says who it is
    unknown_private, _ = pair()
    stranger = Keyring("intake", principals.Ed25519PrivateKey.from_private_bytes(
        principals._unb64(unknown_private)), {})
    with pytest.raises(BadSignature, match="no key"):
        notify.verify(stranger.sign("x.y", "d", 60), "x.y", "d")


def test_a_key_rotates_with_two_valid_at_once():
    old_private, old_public = pair()
    new_private, new_public = pair()
    during = f"intake={old_public},{new_public}"
    old, new = keyring("intake", old_private, during), keyring("intake", new_private, during)
    assert new.verify(old.sign("a.b", "d", 60), "a.b", "d") == "intake"
    assert old.verify(new.sign("a.b", "d", 60), "a.b", "d") == "intake"
    after = keyring("intake", new_private, f"intake={new_public}")
    with pytest.raises(BadSignature, match="no key"):
        after.verify(old.sign("a.b", "d", 60), "a.b", "d")


def test_a_process_s_key_must_be_among_its_public_keys_and_production_refuses_derived_keys(monkeypatch):
    private, public = pair()
    with pytest.raises(RuntimeError, match="not among"):
        keyring("routing", private, f"intake={public}")
    with pytest.raises(RuntimeError, match="go together"):
        Keyring.from_config("intake", {"SERVICE_KEY": private})
    monkeypatch.setenv("HOTLINE_ENV", "production")
    with pytest.raises(RuntimeError, match="needs SERVICE_KEY"):
        Keyring.from_config("intake", {})
    derived = principals.development_private_key("intake")
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    raw = principals._b64(derived.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    with pytest.raises(RuntimeError, match="development service keys"):
        keyring("intake", raw, f"intake={principals.public_text(derived.public_key())}")


def test_the_body_digest_is_the_one_the_broker_carries():
    """The receiver sees lists where the sender had tuples, and kombu's own encodings."""
    import datetime as dt

    at = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
    assert principals.rpc_digest(("a", 1, at), {"k": (1, 2)}) == principals.rpc_digest(["a", 1, at], {"k": [1, 2]})
    assert principals.digest({"b": 1, "a": 2}) == principals.digest({"a": 2, "b": 1})


def test_a_received_body_has_the_digest_its_sender_signed():
    """What the broker delivers (kombu's JSON, decoded) digests in one encoding to what the
    sender's ``digest`` gave: keys that were numbers arrive as text, tuples as lists, dates
    and decimals as kombu's types again."""
    import datetime as dt
    import decimal
    import uuid

    from kombu.utils import json as kombu_json

    sent = {"number": "QD-20261205-00001", "at": dt.datetime(2026, 12, 5, 8, 0, 1, 123456, tzinfo=dt.UTC),
            "day": dt.date(2026, 12, 5), "amount": decimal.Decimal("1.10"), "id": uuid.UUID(int=7),
            "counts": {10: "ten", 9: "nine"}, "pair": (1, 2.5), "text": "停水 \\u2063 \"quoted\"",
            "nested": [{"z": None, "a": [True, False, {"b": float("inf")}]}], "empty": {}}
    received = kombu_json.loads(kombu_json.dumps(sent))
    assert principals.received_digest(received) == principals.digest(sent) == principals.digest(received)
    args, kwargs = ("QD-20261205-00001", {2: "b", 1: "a"}), {"limit": 5}
    received_args = kombu_json.loads(kombu_json.dumps({"args": list(args), "kwargs": kwargs}))
    assert principals.received_rpc_digest(received_args["args"], received_args["kwargs"]) == \
        principals.rpc_digest(args, kwargs)
