"""The workbench's cookies are Secure unless the operator runs plain HTTP on loopback."""
from types import SimpleNamespace

import pytest

from services.console.adapters.workbench import Web, plain_local_http

HTTP = SimpleNamespace(scheme="http")


def web(public_url, secure_cookies="auto"):
    made = Web()
    made.secure_cookies = secure_cookies
    made.plain_local_http = plain_local_http(public_url)
    return made


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080",
                                 "http://127.0.0.1:51234"])
def test_plain_http_on_loopback_keeps_make_run_and_the_tests_working(url, monkeypatch):
    monkeypatch.delenv("HOTLINE_ENV", raising=False)
    assert web(url).cookie_secure(HTTP) is False
    assert web(url).cookie_secure(SimpleNamespace(scheme="https")) is True


@pytest.mark.parametrize("url", ["http://0.0.0.0:8080", "https://hotline.example", "http://hotline.example",
                                 "http://10.0.0.5:8080", "http://127.0.0.1.example", ""])
def test_anywhere_else_the_cookie_is_secure_even_behind_a_plain_http_hop(url, monkeypatch):
    monkeypatch.delenv("HOTLINE_ENV", raising=False)
    assert web(url).cookie_secure(HTTP) is True


def test_the_operator_may_force_either_way_and_production_is_always_secure(monkeypatch):
    monkeypatch.delenv("HOTLINE_ENV", raising=False)
    assert web("https://hotline.example", "false").cookie_secure(HTTP) is False
    assert web("http://127.0.0.1:8080", "true").cookie_secure(HTTP) is True
    monkeypatch.setenv("HOTLINE_ENV", "production")
    assert web("http://127.0.0.1:8080").cookie_secure(HTTP) is True
