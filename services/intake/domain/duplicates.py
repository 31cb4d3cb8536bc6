"""Is a new request a repeat of an open ticket? (合并工单)

Pure Python. Chinese text has no spaces between words, so texts are compared
as sets of terms: overlapping character bigrams for Chinese, words for other
scripts (see ``shingles``). A request repeats an open ticket when

* the same caller (phone number) said something similar within 72 hours, or
* something similar was reported in the same category within 100 m within
  7 days.

The store fetches the candidates with indexed queries (caller phone +
received time; category + latitude band + received time, within the
``bounding_box``); the exact distance is checked here.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .shared import Coded, Doc, reason
from .ticket import is_open


@dataclass(frozen=True)
class DuplicateRules:
    similarity: float = 0.3
    caller_window: timedelta = timedelta(hours=72)
    place_window: timedelta = timedelta(days=7)
    place_meters: float = 100.0

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> DuplicateRules:
        section = section or {}
        return cls(similarity=float(section.get("duplicate_similarity", 0.3)),
                   caller_window=timedelta(hours=float(section.get("duplicate_caller_hours", 72))),
                   place_window=timedelta(days=float(section.get("duplicate_place_days", 7))),
                   place_meters=float(section.get("duplicate_place_meters", 100)))


# Chinese runs become character bigrams; other letters and digits whole words.
HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_]+")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
STOPWORDS = frozenset(
    "a an the on in at of by to and or is are was were be near again out for it its my our "
    "there this that with from not no i we you he she they me us".split())
# Bigrams of question words and fillers that say nothing about the matter.
HAN_STOPWORDS = frozenset(
    "怎么 么办 什么 么时 时候 如何 哪些 哪里 需要 可以 请问 我想 想问 一下 问一 这个 那个 没有 "
    "还是 就是 已经 我们 你们 他们".split())


def shingles(text: str | None) -> set[str]:
    """The terms of ``text``: bigrams of Chinese characters, words of the rest.

    ``"小区停水 no water"`` -> ``{"小区", "区停", "停水", "water"}``. Chinese has no
    spaces, so overlapping bigrams stand in for words; a lone character is
    kept as itself.
    """
    text = unicodedata.normalize("NFKC", text or "").lower()
    terms: set[str] = set()
    for run in HAN_RUN.findall(text):
        if HAN.match(run):
            terms.update({run} if len(run) == 1 else
                         {run[i:i + 2] for i in range(len(run) - 1)} - HAN_STOPWORDS)
        elif run not in STOPWORDS:
            terms.add(run)
    return terms


def similarity(a: str, b: str) -> float:
    """0..1: the mean of the Jaccard and overlap coefficients of the term sets.

    Jaccard alone punishes a short repeat of a long complaint; the overlap
    coefficient alone lets a two-character text match anything containing it.
    """
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    common = len(sa & sb)
    return (common / len(sa | sb) + common / min(len(sa), len(sb))) / 2


def ticket_text(ticket: Doc) -> str:
    return f"{ticket.get('title') or ''} {ticket.get('description') or ''}"


def phone_key(phone: str | None) -> str | None:
    """The digits of a phone number, without a +86 country code, for matching."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+86"):
        digits = digits[2:]
    return digits or None


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lng: float, metres: float) -> tuple[float, float, float, float]:
    """``(lat_min, lat_max, lng_min, lng_max)`` around a point, a little generous."""
    dlat = metres / 111_000.0
    dlng = metres / (111_000.0 * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def find_master(request: Doc, now: dt.datetime, by_caller: list[Doc], by_place: list[Doc],
                rules: DuplicateRules) -> tuple[Doc | None, Coded | None]:
    """The open ticket ``request`` repeats, with the (coded) reason, or ``(None, None)``.

    ``by_caller``: the caller's tickets since ``now - rules.caller_window``;
    ``by_place``: the category's tickets since ``now - rules.place_window``.
    """
    text = ticket_text(request)
    best: tuple[float, Doc | None, Coded | None] = (0.0, None, None)
    for ticket in by_caller:
        if not is_open(ticket.get("status")) or ticket["received_at"] < now - rules.caller_window:
            continue
        score = similarity(text, ticket_text(ticket))
        if score >= rules.similarity and score > best[0]:
            best = (score, ticket, reason("same_caller", similarity=score,
                                          hours=round(rules.caller_window.total_seconds() / 3600)))
    if request.get("lat") is not None and request.get("category"):
        for ticket in by_place:
            if (not is_open(ticket.get("status")) or ticket.get("lat") is None
                    or ticket.get("category") != request["category"]
                    or ticket["received_at"] < now - rules.place_window):
                continue
            metres = distance_m(request["lat"], request["lng"], ticket["lat"], ticket["lng"])
            if metres > rules.place_meters:
                continue
            score = similarity(text, ticket_text(ticket))
            if score >= rules.similarity and score > best[0]:
                best = (score, ticket, reason("same_place", similarity=score, category=request["category"],
                                              metres=round(metres)))
    return best[1], best[2]
