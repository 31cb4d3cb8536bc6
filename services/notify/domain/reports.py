"""The monthly assessment's announcement (考核通报), mailed to the supervisors.

insight generates the month's report and announces it (``assessment_published``);
notify mails each supervisor a link to the workbench's page, where the table and
the xlsx and PDF are, with the PDF and the xlsx attached when insight hands them
over (``assessment_files``) and together they fit ``NOTIFY.assessment.attach_max_bytes``
(a mail server's limit is commonly 10-25 MB; base64 adds a third); else the link alone. Recipients: ``NOTIFY.assessment.email`` (addresses, a list or
comma-separated), else the e-mail of the ladder's ``supervising_office`` level. One
notification per month and address: a redelivered announcement queues nothing new.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

Notification = dict[str, Any]


def recipients(settings: Mapping[str, Any]) -> list[str]:
    """The supervisors' addresses, from ``NOTIFY`` settings."""
    configured = (settings.get("assessment") or {}).get("email") or []
    if isinstance(configured, str):
        configured = configured.split(",")
    found = [str(a).strip() for a in configured if str(a).strip()]
    if found:
        return found
    levels: Iterable[Mapping[str, Any]] = (settings.get("ladder") or {}).get("levels") or ()
    return [str(level["email"]).strip() for level in levels
            if level.get("code") == "supervising_office" and str(level.get("email") or "").strip()]


DEFAULT_ATTACH_MAX_BYTES = 5_000_000


def attach_limit(settings: Mapping[str, Any]) -> int:
    """The most bytes of files a supervisor's e-mail carries (0: never any)."""
    return int((settings.get("assessment") or {}).get("attach_max_bytes", DEFAULT_ATTACH_MAX_BYTES))


def attachments_within(files: Mapping[str, Mapping[str, Any]] | None, limit: int) -> list[dict[str, Any]]:
    """insight's files (``{kind: {filename, content_type, base64}}``) as the e-mail's attachments,
    PDF first; none when they are missing or together over ``limit`` bytes."""
    found = [dict(files[kind]) for kind in ("pdf", "xlsx") if files and files.get(kind)]
    size = sum(len(str(f.get("base64") or "")) * 3 // 4 for f in found)
    if not found or size > limit:
        return []
    return [{"filename": str(f["filename"]), "content_type": str(f["content_type"]),
             "base64": str(f["base64"])} for f in found]


def link(console_url: str, path: str) -> str:
    return console_url.rstrip("/") + path if console_url else path


def announcement(event: Mapping[str, Any], addresses: Iterable[str], console_url: str,
                 now: dt.datetime, max_attempts: int,
                 attachments: list[dict[str, Any]] | None = None) -> list[Notification]:
    """The e-mails announcing a month's assessment, one per address, with ``attachments``
    (``attachments_within``) when there are any."""
    month = str(event["month"])
    below = "、".join(event.get("below_city") or ()) or "无"
    subject = f"12345热线 {month} 月度考核通报"
    attached = "、".join(a["filename"] for a in attachments or ())
    body = (f"{month} 月度考核通报已生成：{event.get('units', 0)} 个单位，考核件数 {event.get('cases', 0)}。\n"
            f"调整得分显著低于全市水平的单位：{below}。\n"
            + (f"附件：{attached}。\n" if attached else "")
            + f"查看排名、区间与案件明细，下载 xlsx 与 PDF：{link(console_url, str(event['path']))}\n\n"
            f"The {month} assessment of the units is ready: {link(console_url, str(event['path']))}")
    return [{"key": f"assessment:{month}:{address}", "number": f"assessment-{month}", "template": "assessment",
             "level": 0, "department_code": None, "audience": "supervisors", "channel": "email",
             "recipient": address, "language": "zh", "subject": subject, "body": body, "title": subject,
             "data": {"month": month}, "attachments": list(attachments or []),
             "status": "queued", "attempts": 0, "max_attempts": max_attempts,
             "created_at": now, "next_attempt_at": now, "last_error": None}
            for address in addresses]
