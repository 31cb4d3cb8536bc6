"""The end-of-run check that no log line holds a test citizen's phone in full."""
import tempfile
from pathlib import Path

from tests.conftest import citizens_phones_in_tests, unmasked_phones_in_logs


def test_a_phone_in_full_is_found_and_a_masked_one_is_not():
    with tempfile.TemporaryDirectory() as folder:  # not under the run's own folder, which is checked
        check(Path(folder))


def check(tmp_path):
    phones = citizens_phones_in_tests()
    assert "13853212345" in phones  # the tests' own citizens
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "services.log").write_text(
        "notify: QD-1:receipt:citizen to 138****2345 via sms retrying\n"
        "notify: QD-2:receipt:citizen to 13853212345 via sms retrying\n", encoding="utf-8")
    (tmp_path / "other.txt").write_text("13853212345\n", encoding="utf-8")  # not a log
    found = unmasked_phones_in_logs(tmp_path, phones)
    assert found == ["stack/services.log:2: notify: QD-2:receipt:citizen to 13853212345 via sms retrying"]
