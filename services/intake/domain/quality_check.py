"""Quality checking of the operators' own work (质检): the sample, the checklist, the score.

A centre's quality team samples the tickets each operator recorded and scores
them against its checklist (诉求记录忠实, 类型与分类正确, 地址完整, 服务用语规范,
知识库答复正确 ...). The rules here:

* **the sample** (``sample_reason``): a ticket an operator recorded is sampled
  when its number falls in the configured share (``rate``: a hash of the
  number, so a redelivery or a re-run decides the same), or while the
  operator has fewer than ``minimum`` sampled tickets in the month;
* **complaints about the operator** (``complaint_target``): a ticket of the
  type 投诉 whose text names the hotline's own service (``complaint_words``:
  接线员, 话务员, 12345 ...) and the number of the ticket complained about puts
  that ticket in the queue, whatever the sample;
* **automatic checks** (``flags``): what the checklist needs and the ticket
  lacks (no category, no request type, text too short, no address for a
  category that needs a place, a knowledge-base answer with no article);
* **the score** (``QualityCheck.score``): points per checklist item, each at
  most the item's points, with comments; **the month's results** per operator
  (``results``): average score, items most often failed, reviewed / sampled.

The month is the ticket's own (its number's date, city time). Pure Python.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.contract.numbering import parse_number

Doc = dict[str, Any]

# The checklist a centre starts with: (code, title, points); QUALITY.checklist replaces it.
DEFAULT_CHECKLIST: tuple[tuple[str, str, int], ...] = (
    ("faithful", "Request recorded faithfully", 30),
    ("classified", "Type and category right", 20),
    ("address", "Address complete", 15),
    ("courtesy", "Courteous service language", 15),
    ("knowledge", "Knowledge-base answer correct", 20),
)
DEFAULT_WORDS = ("接线员", "话务员", "客服", "坐席", "12345", "热线", "operator", "hotline")
FLAGS = ("no_category", "no_request_type", "text_too_short", "no_address", "answer_without_article")
REASONS = ("rate", "minimum", "complaint", "chosen")
COMMENT_CHARS = 2000
NUMBER_IN_TEXT = re.compile(r"[A-Za-z0-9]{1,16}-\d{8}-\d{1,9}")


class ScoreInvalid(ValueError):
    """A score that does not fit the checklist; ``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Item:
    """One line of the checklist: its code, its title (English; the workbench translates it) and points."""

    code: str
    title: str
    points: int


@dataclass(frozen=True)
class QualityRules:
    """The centre's quality settings (``QUALITY`` in the configuration)."""

    rate: float = 0.05
    minimum: int = 5
    channels: tuple[str, ...] = ("phone",)
    checklist: tuple[Item, ...] = tuple(Item(*row) for row in DEFAULT_CHECKLIST)
    min_text: int = 15
    place_categories: tuple[str, ...] = ()
    complaint_words: tuple[str, ...] = DEFAULT_WORDS

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> QualityRules:
        """The rules of ``section``; a value out of range is a ``ValueError`` at start."""
        section = section or {}
        rate = float(section.get("rate", cls.rate))
        minimum = int(section.get("minimum", cls.minimum))
        if not 0 <= rate <= 1 or minimum < 0:
            raise ValueError("QUALITY.rate must be within 0..1 and QUALITY.minimum at least 0")
        rows = section.get("checklist")
        checklist = cls.checklist if not rows else tuple(
            Item(str(row["code"]), str(row.get("title") or row["code"]), int(row["points"])) for row in rows)
        codes = [item.code for item in checklist]
        if len(set(codes)) != len(codes) or any(item.points <= 0 for item in checklist):
            raise ValueError("QUALITY.checklist: each item needs a code of its own and points above 0")
        return cls(rate=rate, minimum=minimum,
                   channels=tuple(section.get("channels") or cls.channels), checklist=checklist,
                   min_text=int(section.get("min_text", cls.min_text)),
                   place_categories=tuple(section.get("place_categories") or ()),
                   complaint_words=tuple(str(w) for w in section.get("complaint_words") or cls.complaint_words))

    @property
    def max_points(self) -> int:
        return sum(item.points for item in self.checklist)


# -- the sample ---------------------------------------------------------------------------

def share_of(number: str) -> float:
    """Where ``number`` falls in [0, 1): the same for the same number, everywhere, every time."""
    digest = hashlib.sha256(number.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def sample_reason(number: str, rate: float, minimum: int, sampled_in_month: int) -> str | None:
    """Why the ticket ``number`` is sampled -- ``rate`` or ``minimum`` -- or None.

    ``sampled_in_month``: how many of the operator's tickets of that month are in
    the queue already. A ticket is sampled by ``rate`` whatever the count, so a
    re-run decides the same; the minimum tops the month up from its first tickets.
    """
    if share_of(number) < rate:
        return "rate"
    if sampled_in_month < minimum:
        return "minimum"
    return None


def recorded_by_operator(ticket: Mapping[str, Any], rules: QualityRules) -> bool:
    """A ticket an operator took (``received_by``) on a channel the sample covers."""
    return bool((ticket.get("received_by") or {}).get("user_id")) and ticket.get("channel") in rules.channels


def month_of(number: str) -> str | None:
    """``2026-12`` for ``QD-20261205-00042``: the month of the ticket's number (city time)."""
    parsed = parse_number(number)
    if parsed is None:
        return None
    day = parsed[0].rsplit("-", 1)[1]
    return f"{day[:4]}-{day[4:6]}"


def complaint_target(ticket: Mapping[str, Any], rules: QualityRules) -> str | None:
    """The number of the ticket a complaint about the hotline's own service names, or None.

    A complaint (request type 投诉) about the operator says so in its text -- one of
    ``complaint_words`` -- and names the ticket of the call complained about.
    """
    if ticket.get("request_type") != "complaint":
        return None
    text = f"{ticket.get('title') or ''} {ticket.get('description') or ''}"
    lowered = text.lower()
    if not any(word.lower() in lowered for word in rules.complaint_words):
        return None
    own = ticket.get("number")
    for found in NUMBER_IN_TEXT.findall(text):
        if found != own and parse_number(found):
            return str(found)
    return None


# -- automatic checks -----------------------------------------------------------------------

def flags(ticket: Mapping[str, Any], rules: QualityRules) -> list[str]:
    """What the checklist needs and the ticket lacks, in ``FLAGS`` order."""
    found = []
    if not ticket.get("category"):
        found.append("no_category")
    if not ticket.get("request_type"):
        found.append("no_request_type")
    text = (ticket.get("description") or "").strip()
    if len(text) < rules.min_text:
        found.append("text_too_short")
    if ticket.get("category") in rules.place_categories and not (ticket.get("address") or "").strip() \
            and ticket.get("lat") is None:
        found.append("no_address")
    if ticket.get("status") == "answered" and not (ticket.get("answer") or {}).get("entry_id"):
        found.append("answer_without_article")
    return found


# -- the check, and its score -----------------------------------------------------------------

@dataclass
class QualityCheck:
    """One ticket in the quality queue: whose, why, what the checks found, and its score."""

    number: str
    operator: Doc
    month: str
    reasons: list[str]
    flags: list[str]
    queued_at: dt.datetime
    complaints: list[str] = field(default_factory=list)
    status: str = "waiting"
    score: Doc | None = None

    @classmethod
    def queue(cls, ticket: Mapping[str, Any], reason: str, rules: QualityRules, at: dt.datetime,
              complaint: str | None = None) -> QualityCheck:
        """``ticket`` queued for ``reason`` (``REASONS``)."""
        if reason not in REASONS:
            raise ValueError(reason)
        by = ticket.get("received_by") or {}
        number = str(ticket["number"])
        return cls(number=number, operator={"user_id": by.get("user_id"), "name": by.get("name")},
                   month=month_of(number) or "", reasons=[reason], flags=flags(ticket, rules),
                   queued_at=at, complaints=[complaint] if complaint else [])

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> QualityCheck:
        return cls(number=doc["number"], operator=dict(doc.get("operator") or {}), month=doc["month"],
                   reasons=list(doc.get("reasons") or []), flags=list(doc.get("flags") or []),
                   queued_at=doc["queued_at"], complaints=list(doc.get("complaints") or []),
                   status=doc.get("status") or "waiting", score=doc.get("score"))

    def to_doc(self) -> Doc:
        return {"number": self.number, "operator": self.operator, "month": self.month,
                "reasons": self.reasons, "flags": self.flags, "queued_at": self.queued_at,
                "complaints": self.complaints, "status": self.status, "score": self.score}

    def rate(self, given: object, comment: object, rules: QualityRules,
             reviewer: Mapping[str, Any], at: dt.datetime) -> Doc:
        """Scored item by item: ``given`` is ``{code: {"points": n, "comment": text}}`` for every
        item of the checklist; a second score replaces the first (a correction, counted)."""
        errors: dict[str, list[str]] = {}
        if not isinstance(given, Mapping):
            raise ScoreInvalid({"scores": ["give the points of each checklist item"]})
        items: list[Doc] = []
        for item in rules.checklist:
            row = given.get(item.code)
            row = row if isinstance(row, Mapping) else {"points": row}
            points = row.get("points")
            if isinstance(points, str) and points.strip().isdigit():
                points = int(points.strip())
            if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= item.points:
                errors[item.code] = [f"points from 0 to {item.points}"]
                continue
            note = row.get("comment")
            if note is not None and (not isinstance(note, str) or len(note) > COMMENT_CHARS):
                errors[item.code] = [f"a comment of at most {COMMENT_CHARS} characters"]
                continue
            items.append({"code": item.code, "points": int(points), "max": item.points,
                          "comment": (note or "").strip() or None})
        unknown = sorted(str(code) for code in given if code not in {item.code for item in rules.checklist})
        if unknown:
            errors["scores"] = [f"not on the checklist: {', '.join(unknown)}"]
        if comment is not None and (not isinstance(comment, str) or len(comment) > COMMENT_CHARS):
            errors["comment"] = [f"at most {COMMENT_CHARS} characters"]
        if errors:
            raise ScoreInvalid(errors)
        total, most = sum(int(i["points"]) for i in items), sum(int(i["max"]) for i in items)
        corrections = int(self.score.get("corrections") or 0) + 1 if self.score else 0
        self.status = "scored"
        self.score = {"items": items, "total": total, "max": most,
                      "percent": round(100 * total / most, 1) if most else 0.0,
                      "comment": comment.strip() or None if isinstance(comment, str) else None,
                      "by": {"user_id": reviewer.get("user_id"), "name": reviewer.get("name")},
                      "at": at, "corrections": corrections}
        return self.score


# -- the month's results ----------------------------------------------------------------------

def results(checks: Iterable[Mapping[str, Any]], recorded: Mapping[str, int] | None = None) -> list[Doc]:
    """Per operator: tickets recorded (when known), sampled, reviewed, average score (percent),
    and the checklist items failed (given less than their points), most often first."""
    by_operator: dict[str, Doc] = {}
    for check in checks:
        person = check.get("operator") or {}
        key = str(person.get("user_id"))
        row = by_operator.setdefault(key, {"operator": dict(person), "sampled": 0, "reviewed": 0,
                                           "complaints": 0, "_percents": [], "_failed": Counter()})
        row["sampled"] += 1
        if "complaint" in (check.get("reasons") or []):
            row["complaints"] += 1
        score = check.get("score")
        if check.get("status") == "scored" and score:
            row["reviewed"] += 1
            row["_percents"].append(float(score["percent"]))
            row["_failed"].update(i["code"] for i in score["items"] if i["points"] < i["max"])
    out = []
    for key, row in sorted(by_operator.items(), key=lambda kv: str(kv[1]["operator"].get("name") or kv[0])):
        percents, failed = row.pop("_percents"), row.pop("_failed")
        row["average"] = round(sum(percents) / len(percents), 1) if percents else None
        row["failed"] = [{"code": code, "times": n} for code, n in
                         sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))]
        if recorded is not None:
            row["recorded"] = recorded.get(key, 0)
        out.append(row)
    return out
