"""The monthly assessment's e-mail (考核通报): its PDF and xlsx attached when they fit, else the link."""
import base64
import datetime as dt

from services.notify.adapters import channels
from services.notify.domain import reports

NOW = dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC)
EVENT = {"month": "2026-11", "path": "/assessment?month=2026-11", "units": 3, "cases": 90, "below_city": ["C"]}


def files(pdf=b"%PDF-1.4 report", xlsx=b"PK sheet"):
    return {kind: {"filename": f"assessment-2026-11.{kind}", "content_type": f"application/{kind}",
                   "base64": base64.b64encode(data).decode()} for kind, data in (("xlsx", xlsx), ("pdf", pdf))}


def test_the_files_are_attached_pdf_first_when_they_fit_else_none():
    attached = reports.attachments_within(files(), 1000)
    assert [a["filename"] for a in attached] == ["assessment-2026-11.pdf", "assessment-2026-11.xlsx"]
    assert reports.attachments_within(files(pdf=b"x" * 2000), 1000) == []
    assert reports.attachments_within(None, 1000) == []
    assert reports.attach_limit({}) == reports.DEFAULT_ATTACH_MAX_BYTES
    assert reports.attach_limit({"assessment": {"attach_max_bytes": "0"}}) == 0


def test_the_email_carries_the_attachments_as_mime_parts(monkeypatch):
    sent = []

    class Smtp:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            sent.append(message)
    monkeypatch.setattr(channels.smtplib, "SMTP", Smtp)
    [mail] = reports.announcement(EVENT, ["chief@city.test"], "http://console", NOW, 5,
                                  reports.attachments_within(files(), 10_000))
    assert "assessment-2026-11.pdf" in mail["body"]
    channels.Email({"host": "smtp.test"})(mail)
    parts = {p.get_filename(): p.get_content() for p in sent[0].iter_attachments()}
    assert parts == {"assessment-2026-11.pdf": b"%PDF-1.4 report", "assessment-2026-11.xlsx": b"PK sheet"}
    [plain] = reports.announcement(EVENT, ["chief@city.test"], "http://console", NOW, 5)
    channels.Email({"host": "smtp.test"})(plain)
    assert list(sent[1].iter_attachments()) == [] and "http://console/assessment?month=2026-11" in plain["body"]
