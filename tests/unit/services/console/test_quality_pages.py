"""The quality form links and plays a ticket's recording: only a web address is shown."""
import pytest

from services.console.handlers.quality import web_link


@pytest.mark.parametrize("url", ["https://pbx.example/rec/42.wav", "http://10.0.0.5/rec?id=42"])
def test_a_recording_on_a_web_server_is_linked(url):
    assert web_link(url) == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>",
                                 "https://x.example/\" onerror=\"alert(1)", "//evil.example/a.wav", None, 42])
def test_anything_else_is_not(url):
    assert web_link(url) is None
