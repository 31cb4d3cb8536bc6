"""Who is told what: recipients from configuration, texts from templates.

Pure Python. Builds notification documents for the delivery queue from a
ladder step or from an event's message. Recipients:

* a department: its contacts in routing's directory (learned by notify from
  routing's events, see ``shared.platform.mirror``), else ``NOTIFY.contacts.<CODE>``,
  else ``NOTIFY.contacts.default``; each with any of ``email``, ``webhook``,
  ``sms`` and a ``language``;
* a supervision level: the contacts in its ``NOTIFY.ladder.levels`` entry,
  and the department chased gets a copy;
* the citizen: one notification on the ``citizen`` channel; delivery asks
  intake for the contact and sends an SMS (or an email when there is no phone).

Each notification's ``key`` is unique: the queue refuses a second copy.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from services.notify.domain.delivery import LOOKUP_MARK
from services.notify.domain.ladder import HOLD_RECHECK, Level, Step
from services.notify.domain.messages import Message

Notification = dict[str, Any]
Render = Callable[[str, str, Mapping[str, Any]], tuple[str, str]]
Outcome = Callable[[str, bool, "bool | None", "str | None", "str | None"], str]


class Directory(Protocol):
    """Department names and contacts: routing's directory, as notify knows it."""

    def name(self, code: str, language: str = "zh") -> str: ...
    def contacts(self, code: str) -> dict[str, Any]: ...

CHANNELS = ("email", "webhook", "sms")
# A title is the citizen's own words: digits that may be a phone or ID number are masked.
LONG_NUMBER = re.compile(r"(?<![0-9])(\d{3})\d{4,11}(\d{4})(?![0-9])")


def masked_title(title: str | None, limit: int = 60) -> str:
    title = LONG_NUMBER.sub(lambda m: m.group(1) + "****" + m.group(2), (title or "").strip())
    return title if len(title) <= limit else title[:limit - 1] + "…"


class Departments:
    """Department names and contacts from a plain mapping (tests, tools)."""

    def __init__(self, names: Mapping[str, Any] | None) -> None:
        self.names = names or {}

    def name(self, code: str, language: str = "zh") -> str:
        found = self.names.get(code) or {}
        named = found.get("name_en") if language == "en" else found.get("name")
        return str(named or code)

    def contacts(self, code: str) -> dict[str, Any]:
        return dict((self.names.get(code) or {}).get("contacts") or {})
KNOWLEDGE_REASONS_ZH = {"expired": "已过期，不再推荐给话务员", "review_date": "已到复核日期",
                        "feedback": "话务员反馈有误 {wrong} 次、已过时 {outdated} 次"}
KNOWLEDGE_REASONS_EN = {"expired": "it expired and is no longer offered to operators",
                        "review_date": "its review date has come",
                        "feedback": "operators said wrong {wrong} times and outdated {outdated} times"}
STEP_TEMPLATES: dict[str, str] = {"sign_for_reminder": "sign_for_reminder", "yellow_card": "yellow_card",
                  "red_card": "red_card", "rejections": "rejections"}


class Notices:
    def __init__(self, notify_config: Mapping[str, Any] | None,
                 departments: Directory | Mapping[str, Any] | None, zone: dt.tzinfo,
                 render: Render, outcome: Outcome) -> None:
        self.config = notify_config or {}
        self.contacts = self.config.get("contacts") or {}
        self.language = self.config.get("language") or "zh"
        self.hotline = self.config.get("hotline") or "12345"
        # .name(code, language) and .contacts(code): routing's directory, as notify knows it
        self.departments: Directory = Departments(departments) \
            if departments is None or isinstance(departments, Mapping) else departments
        self.zone = zone
        self.render = render
        self.outcome = outcome
        delivery = self.config.get("delivery") or {}
        self.max_attempts = int(delivery.get("max_attempts", 5))

    # -- recipients -------------------------------------------------------------

    def department_contact(self, code: str | None) -> Mapping[str, Any]:
        known = self.departments.contacts(code) if code else {}
        if any(known.get(channel) for channel in CHANNELS):
            return known
        found: Mapping[str, Any] = (self.contacts.get(code) if code else None) \
            or self.contacts.get("default") or {}
        return found

    def _addresses(self, contact: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(channel, contact[channel]) for channel in CHANNELS if contact.get(channel)]

    # -- texts ------------------------------------------------------------------

    def local_date(self, moment: object) -> str:
        """A day in the city's time (``YYYY-MM-DD``), from a moment or its ISO text; ``-`` if none."""
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        if not isinstance(moment, dt.datetime):
            return "-"
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(self.zone).strftime("%Y-%m-%d")

    def _local(self, moment: dt.datetime | None) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if moment else "-"

    def _context(self, watch: Mapping[str, Any], language: str,
                 extra: Mapping[str, Any]) -> dict[str, Any]:
        code = watch.get("department_code") or ""
        name = self.departments.name(code, language) if code else ""
        title = masked_title(watch.get("title")) or ("(no title)" if language == "en" else "（无标题）")
        number = watch.get("ticket_number") or watch["number"]  # a part's watch: its ticket's number
        context: dict[str, Any] = {"number": number, "department": name, "hotline": self.hotline,
                   "deadline": self._local(watch.get("deadline")),
                   "sign_for_deadline": self._local(watch.get("sign_for_deadline")),
                   "title": title, "level": "", "reason": "", "reply": "", "outcome": "",
                   "decision": "", "new_department": "", "count": "", "lookup_code": LOOKUP_MARK,
                   "recheck_on": "", "link": "", "expires": "", "version": ""}
        context.update(extra)
        if extra.get("new_department_code"):
            context["new_department"] = self.departments.name(extra["new_department_code"], language)
        if "granted" in extra:
            context["decision"] = ({True: "granted", False: "denied"} if language == "en"
                                   else {True: "已同意", False: "未同意"})[bool(extra["granted"])]
        if "appeal_accepted" in extra:
            context["decision"] = ({True: "accepted", False: "rejected"} if language == "en"
                                   else {True: "已采纳", False: "未采纳"})[bool(extra["appeal_accepted"])]
        if "reached" in extra:
            context["outcome"] = self.outcome(language, extra["reached"], extra.get("resolved"),
                                              extra.get("satisfaction"), extra.get("found"))
        return context

    def _notification(self, key: str, template: str, watch: Mapping[str, Any], channel: str,
                      recipient: str | None, language: str, now: dt.datetime,
                      extra: Mapping[str, Any] | None = None, level: int = 0,
                      audience: str = "department") -> Notification:
        subject, body = self.render(template, language, self._context(watch, language, extra or {}))
        return {"key": key, "number": watch.get("ticket_number") or watch["number"], "template": template,
                "level": level,
                "department_code": watch.get("department_code"), "audience": audience,
                "channel": channel, "recipient": recipient, "language": language,
                "subject": subject, "body": body, "title": masked_title(watch.get("title")),
                "data": {"deadline": watch["deadline"].isoformat() if watch.get("deadline") else None,
                         "round": watch.get("round", 1)},
                "status": "queued", "attempts": 0, "max_attempts": self.max_attempts,
                "created_at": now, "next_attempt_at": now, "last_error": None}

    def _to_contact(self, key: str, template: str, watch: Mapping[str, Any],
                    contact: Mapping[str, Any], now: dt.datetime, extra: Mapping[str, Any] | None = None,
                    level: int = 0, audience: str = "department") -> list[Notification]:
        language = str(contact.get("language") or self.language)
        return [self._notification(f"{key}:{audience}:{channel}", template, watch, channel,
                                   address, language, now, extra, level, audience)
                for channel, address in self._addresses(contact)]

    # -- what a step or an event asks for ----------------------------------------

    def for_step(self, watch: Mapping[str, Any], step: Step, level_info: Level | None,
                 now: dt.datetime) -> list[Notification]:
        """Notifications for a ladder step (``level_info``: the level's config, or None)."""
        if step.name == HOLD_RECHECK:
            return []  # the department hears of it once followup has the case back (hold_rechecked)
        key = f"{watch['number']}:{step.key(watch.get('round', 1))}"
        department = self.department_contact(watch.get("department_code"))
        if step.name in STEP_TEMPLATES:
            template = STEP_TEMPLATES[step.name]
        else:
            template = "supervision"
        if not level_info:
            return self._to_contact(key, template, watch, department, now, {"reason": step.reason})
        notes: list[Notification] = []
        for audience, contact in ((f"level{step.level}", level_info), ("department", department)):
            language = contact.get("language") or self.language
            name = level_info.get("name_en") if language == "en" else level_info.get("name")
            extra = {"reason": step.reason, "level": name or level_info.get("code", "")}
            notes += self._to_contact(key, template, watch, contact, now, extra, step.level,
                                      audience)
        return notes

    def for_stall(self, stalled: Mapping[str, Any], level_info: Level,
                  now: dt.datetime) -> list[Notification]:
        """Notifications to a supervision level about a ticket the reconciler could not move."""
        watch = {"number": stalled["number"], "department_code": stalled.get("department_code"),
                 "deadline": None, "round": stalled.get("attempt") or 0, "title": stalled.get("title")}
        key = f"{stalled['number']}:stalled:{stalled['stage']}:{stalled.get('attempt') or 0}"
        language = level_info.get("language") or self.language
        name = level_info.get("name_en") if language == "en" else level_info.get("name")
        extra = {"reason": stalled.get("reason") or "", "level": name or level_info.get("code", ""),
                 "stage": stalled["stage"]}
        return self._to_contact(key, "stalled", watch, level_info, now, extra, 0, "supervisors")

    def for_knowledge(self, event: Mapping[str, Any], now: dt.datetime) -> list[Notification]:
        """Notifications to the unit that maintains a knowledge entry: a version published or sent
        back (``knowledge_entry_decided``), or the entry due for review (``knowledge_review_due``);
        none for the centre's own entries."""
        code = event.get("department_code")
        if not code:
            return []
        review = "reasons" in event
        contact = self.department_contact(code)
        language = str(contact.get("language") or self.language)
        english = language == "en"
        if review:
            words = (KNOWLEDGE_REASONS_EN if english else KNOWLEDGE_REASONS_ZH)
            reason = ("; " if english else "；").join(
                words.get(r, r).format(wrong=event.get("wrong", 0), outdated=event.get("outdated", 0))
                for r in event.get("reasons") or ())
            extra = {"reason": reason}
            what = "review:" + ",".join(event.get("reasons") or ())
        else:
            published = event.get("outcome") == "published"
            decision = ("published" if published else "sent back") if english else ("已发布" if published else "被退回")
            said = event.get("reason") or ""
            extra = {"decision": decision, "reason": (f"Reason: {said}. " if english else f"退回理由：{said}。")
                     if said else ""}
            what = str(event.get("outcome"))
        extra["version"] = event.get("version", "")
        watch = {"number": event["entry_id"], "department_code": code, "deadline": None,
                 "title": event.get("question") or ""}
        key = f"knowledge:{event['entry_id']}:{event.get('version')}:{what}"
        return self._to_contact(key, "knowledge_review_due" if review else "knowledge_decided", watch,
                                dict(contact, language=language), now, extra)

    def for_message(self, watch: Mapping[str, Any], message: Message | tuple[str, str, str, dict[str, Any]],
                    now: dt.datetime) -> list[Notification]:
        """Notifications for an event's message ``(key, template, audience, context)``.

        ``audience``: ``"citizen"``, ``"department"`` (the case's), or
        ``"department:CODE"`` (another one: the department a case moved away from).
        """
        key, template, audience, extra = message
        if audience == "citizen":
            language = (self.config.get("citizen") or {}).get("language") or self.language
            return [self._notification(f"{key}:citizen", template, watch, "citizen", None,
                                       language, now, extra, audience="citizen")]
        code = watch.get("department_code")
        if audience.startswith("department:"):
            code = audience.split(":", 1)[1]
            watch = dict(watch, department_code=code)
        return self._to_contact(key, template, watch, self.department_contact(code), now, extra)
