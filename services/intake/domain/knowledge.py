"""The knowledge base for direct answers (直接答复).

Pure Python. About half of all requests are questions an operator can answer
on the call from a published answer. Entries are imported from YAML or CSV::

    - id: KB-HF-001
      question: 住房公积金怎么提取？
      answer: 凭身份证和...
      category: social-insurance      # optional, a catalogue code
      keywords: [公积金, 提取]         # optional
      lang: zh                         # optional
      expires_on: 2027-06-30           # optional: not offered from that day (the city's)
      review_on: 2027-03-31            # optional: its review date

Search compares the same terms duplicates use (Chinese bigrams, other words):
each entry stores its terms, the store finds entries sharing any query term
through a multikey index, and ``rank`` orders them here.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .duplicates import shingles

Entry = dict[str, Any]

FIELDS = ("id", "question", "answer", "category", "keywords", "lang", "expires_on", "review_on")


class BadEntry(ValueError):
    """An entry that cannot be imported; the message says which and why."""


def parse(text: str, fmt: str) -> list[Any]:
    """Rows from YAML (a list of mappings, or ``{entries: [...]}``) or CSV (a header row)."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    data: Any = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list):
        raise BadEntry("a knowledge file is a list of entries (or a mapping with 'entries')")
    return data


def load_file(path: str | Path, encoding: str = "auto") -> list[Entry]:
    """Clean entries from a ``.yaml``/``.yml`` or ``.csv`` file (UTF-8, or GB18030)."""
    from shared.platform import textfiles

    read_text: Callable[[str, str], str] = textfiles.read_text
    path = str(path)
    rows = parse(read_text(path, encoding), "csv" if path.lower().endswith(".csv") else "yaml")
    return [entry(row, position) for position, row in enumerate(rows, 1)]


def entry(row: Any, position: int) -> Entry:
    """A clean entry from one imported row, or ``BadEntry``."""
    if not isinstance(row, dict):
        raise BadEntry(f"entry {position}: not a mapping")
    clean: Entry = {}
    for field in ("id", "question", "answer"):
        value = row.get(field)
        if not isinstance(value, (str, int)) or not str(value).strip():
            raise BadEntry(f"entry {position}: '{field}' is required")
        clean[field] = str(value).strip()
    if len(clean["answer"]) > 4000 or len(clean["question"]) > 500:
        raise BadEntry(f"entry {position}: question ≤ 500 and answer ≤ 4000 characters")
    keywords = row.get("keywords") or []
    if isinstance(keywords, str):  # CSV: "公积金; 提取"
        keywords = [k.strip() for k in keywords.replace("；", ";").split(";")]
    clean["keywords"] = [str(k).strip() for k in keywords if str(k).strip()]
    clean["category"] = (str(row.get("category")).strip() or None) if row.get("category") else None
    clean["lang"] = str(row.get("lang") or ("zh" if _has_han(clean["question"]) else "en"))
    for field in ("expires_on", "review_on"):  # a file may say what expired already: kept, not offered
        value = row.get(field)
        if value in (None, ""):
            clean[field] = None
            continue
        try:
            clean[field] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise BadEntry(f"entry {position}: '{field}' is a date like 2027-06-30") from None
    clean["terms"] = sorted(terms_of(clean))
    return clean


def _has_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def terms_of(entry_: Entry) -> set[str]:
    return shingles(" ".join([entry_["question"], " ".join(entry_["keywords"])]))


def query_terms(text: str) -> list[str]:
    return sorted(shingles(text))


# An entry that shares a word or two with a long account of a problem is not its
# answer: a water outage's "开始停水" once offered the heating season's start at 3%.
MIN_SCORE = 0.1


def rank(query: str, entries: list[Entry], limit: int = 5, min_score: float = MIN_SCORE) -> list[Entry]:
    """Entries ordered by how much of the query they cover, best first, with scores
    (none under ``min_score``)."""
    wanted = set(query_terms(query))
    if not wanted:
        return []
    scored: list[tuple[float, Entry]] = []
    for item in entries:
        terms = set(item.get("terms") or ())
        common = len(wanted & terms)
        if common:
            score = common / len(wanted) * 0.7 + common / len(terms | wanted) * 0.3
            if score >= min_score:
                scored.append((round(score, 3), item))
    scored.sort(key=lambda pair: (-pair[0], pair[1]["id"]))
    return [dict(item, score=score) for score, item in scored[:limit]]
