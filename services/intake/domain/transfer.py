"""Handing a caller to another line (110, 119, 120, 122, 12315 ...), and the words that say so.

A transfer is recorded as a ticket of its own, closed at once as ``transferred``:
who called, what they said, to which line, why, the other centre's reference
when it gave one, the operator and the time. It is never dispatched to a
department (``ticket_transferred``, not ``ticket_created``), so the figures count
it apart from the departments' cases.

Emergency words (``find_emergency``) are looked for in what the operator types:
the text is normalised first (NFKC: full-width letters and digits become
ordinary ones; case folded; spaces and punctuation dropped between Chinese
characters), so ``着 火``, ``ＦＩＲＥ`` or ``燃气　泄漏`` are found as
``着火``, ``fire`` and ``燃气泄漏``. A Chinese word is found anywhere in the
text; an English one as whole words (``fire`` in ``a fire``, not in ``fireworks
shop``). The words and the line each suggests are configurable
(``TRANSFERS.emergency_words``).

Pure Python: no nameko, pymongo or marshmallow.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.contract import events

from .shared import Doc, Event, new_event, noted, reason, scrub

# The lines a city has when its configuration names none (TRANSFERS.lines).
DEFAULT_LINES: tuple[Doc, ...] = (
    {"code": "110", "name": "公安报警", "name_en": "Police"},
    {"code": "119", "name": "消防救援", "name_en": "Fire and rescue"},
    {"code": "120", "name": "医疗急救", "name_en": "Ambulance"},
    {"code": "122", "name": "交通事故报警", "name_en": "Traffic police"},
    {"code": "12315", "name": "市场监管投诉举报", "name_en": "Market regulation"},
)

# Words that sound like an emergency, by the line they suggest (TRANSFERS.emergency_words).
DEFAULT_WORDS: Mapping[str, tuple[str, ...]] = {
    "119": ("着火", "起火", "失火", "火灾", "冒烟", "烧起来", "燃气泄漏", "燃气泄露", "煤气泄漏", "煤气泄露",
            "煤气味", "燃气味", "天然气味", "漏气", "爆炸", "被困", "fire", "smoke", "gas leak",
            "smell of gas", "smell gas", "gas smell", "explosion", "trapped"),
    "120": ("有人受伤", "受伤", "流血", "昏迷", "晕倒", "心脏病", "溺水", "触电", "中毒", "呼吸困难", "跳楼",
            "hurt", "injured", "bleeding", "unconscious", "drowning", "electric shock", "not breathing",
            "overdose"),
    "110": ("打架", "斗殴", "打人", "持刀", "抢劫", "偷窃", "盗窃", "绑架", "家暴", "杀人", "威胁",
            "fight", "assault", "robbery", "stabbing", "knife", "kidnap", "burglary", "violence"),
    "122": ("交通事故", "车祸", "撞车", "追尾", "撞人", "traffic accident", "car crash", "hit by a car",
            "collision"),
}

# How much a transfer's reason and reference may say.
REASON_MAX = 500
REFERENCE_MAX = 128

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Spaces and punctuation between two Chinese characters say nothing (着 火, 燃气・泄漏).
GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])[\s\W_]+(?=[\u3400-\u9fff\uf900-\ufaff])")
SPACES = re.compile(r"[\s\W_]+")


@dataclass(frozen=True)
class Line:
    """Another centre's line: its number, its names, and the source system it is, if it is one."""

    code: str
    name: str
    name_en: str
    source_system: str | None = None

    def as_doc(self) -> Doc:
        return {"code": self.code, "name": self.name, "name_en": self.name_en,
                "source_system": self.source_system}


@dataclass(frozen=True)
class Hit:
    """An emergency word found in a text, and the line it suggests."""

    word: str
    line: str


class UnknownLine(ValueError):
    """No line of that code is configured."""


def lines(config: Mapping[str, Any] | None) -> tuple[Line, ...]:
    """The lines calls can be handed to, in the configured order (``TRANSFERS.lines``)."""
    given = (config or {}).get("lines") or DEFAULT_LINES
    found = []
    for entry in given:
        code = str(entry.get("code") or "").strip()
        if code:
            found.append(Line(code=code, name=str(entry.get("name") or code),
                              name_en=str(entry.get("name_en") or entry.get("name") or code),
                              source_system=entry.get("source_system") or None))
    return tuple(found)


def line_of(config: Mapping[str, Any] | None, code: object) -> Line:
    """The configured line ``code``, or ``UnknownLine``."""
    for line in lines(config):
        if line.code == code:
            return line
    raise UnknownLine(str(code))


def normalise(text: str) -> str:
    """``text`` as words are looked for in it: NFKC, case folded, gaps between Chinese characters
    closed, every other run of spaces and punctuation one space."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return SPACES.sub(" ", GAP.sub("", folded)).strip()


def words(config: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """``(normalised word, line)`` pairs, longest word first (``燃气泄漏`` before ``漏气``)."""
    given = (config or {}).get("emergency_words") or DEFAULT_WORDS
    pairs = {(normalise(str(word)), str(line)) for line, listed in given.items() for word in listed or ()}
    return tuple(sorted((p for p in pairs if p[0]), key=lambda p: (-len(p[0]), p)))


def _found(word: str, text: str) -> bool:
    if CJK.search(word):
        return word.replace(" ", "") in text.replace(" ", "")
    return re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", text) is not None


def find_emergency(text: str | None, pairs: Iterable[tuple[str, str]]) -> list[Hit]:
    """The emergency words in ``text`` (normalised as ``normalise`` says), each once, in the
    order of ``pairs``; a word inside a longer word found already is not found again."""
    said = normalise(text or "")
    hits: list[Hit] = []
    for word, line in pairs:
        if _found(word, said) and not any(word in hit.word for hit in hits):
            hits.append(Hit(word=word, line=line))
    return hits


def suggested_line(hits: list[Hit]) -> str | None:
    """The line the words point to: the one most of them suggest, ties to the first found."""
    if not hits:
        return None
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.line] = counts.get(hit.line, 0) + 1
    return max(counts, key=lambda line: (counts[line], -[h.line for h in hits].index(line)))


# -- the transfer itself --------------------------------------------------------------------

def transferred(ticket: Doc, line: Line, why: str, reference: str | None, operator: str | None,
                at: dt.datetime) -> Doc:
    """The ticket closed at once as handed to ``line`` (转 110/119/120/122 ...)."""
    ticket.update(status="transferred", closed_at=at, updated_at=at,
                  transfer={"line": line.code, "line_name": line.name, "line_name_en": line.name_en,
                            "reason": why, "reference": reference, "by": operator, "at": at,
                            "source_system": line.source_system})
    ticket["history"].append({"at": at, "status": "transferred",
                              **noted(reason("transferred", line=line.code, person=operator or "an operator"))})
    return ticket


def transfer_event(ticket: Doc) -> Event:
    """``ticket_transferred``: what the figures and the other services need, no caller."""
    transfer = ticket["transfer"]
    return new_event(events.TicketTransferred, number=ticket["number"], title=scrub(ticket.get("title")),
                     category=ticket.get("category"), district=ticket.get("district"),
                     channel=ticket.get("channel"), urgency=ticket.get("urgency"), line=transfer["line"],
                     line_name=transfer["line_name"], reason=scrub(transfer["reason"]),
                     reference=transfer["reference"], source_system=transfer["source_system"],
                     call_id=ticket.get("call_id"), transferred_by=transfer["by"],
                     transferred_at=transfer["at"])


def transfer_receipt(ticket: Doc, sent_at: dt.datetime) -> Doc:
    """What the other centre, when it is a source system of ours, is told: the hotline's number,
    its reference, the line, the reason and what the caller said (scrubbed; no caller)."""
    transfer = ticket["transfer"]
    return {"kind": "transferred", "number": ticket["number"], "line": transfer["line"],
            "external_id": transfer["reference"], "reason": scrub(transfer["reason"]),
            "title": scrub(ticket.get("title")), "description": scrub(ticket.get("description") or ""),
            "district": ticket.get("district"), "address": ticket.get("address"),
            "call_id": ticket.get("call_id"), "at": sent_at}
