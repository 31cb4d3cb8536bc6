"""A proactive case (主动治理, 未诉先办): a ticket the hotline opens itself from what insight found.

A supervisor turns a finding of insight's hot-spot report -- a spike (a category
rising in a district above its own baseline) or an emerging problem (a term
rising in the requests' text) -- into a ticket with no citizen behind it: request
type and channel ``proactive``, no caller, a title and description made from the
finding (category, district, how many, when), and the evidence (the finding's
ticket numbers, the link to its chart). It is dispatched like any ticket: its
category and district decide the unit.

One finding is one case: the finding's key is the ticket's idempotency key, so a
second click finds the case the first one opened (``handlers/tickets.py``,
``submit_proactive``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.contract.messages import PROACTIVE
from shared.contract.names import in_language

KINDS = ("spike", "emerging")
MAX_NUMBERS = 50        # evidence tickets kept (and listed) per case
LISTED_NUMBERS = 20     # of them, named in the description the unit reads
KEY = re.compile(r"^[^\x00-\x1f]{1,200}$")
NUMBER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IDEMPOTENCY_PREFIX = "proactive:"


class BadFinding(ValueError):
    """The finding cannot make a case: ``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ProactiveCase:
    """What intake takes in for a finding: the request, its idempotency key and its evidence."""

    request: dict[str, Any]
    idempotency_key: str
    evidence: dict[str, Any]


def _text(finding: Mapping[str, Any], name: str, errors: dict[str, list[str]], required: bool = True,
          pattern: re.Pattern[str] | None = None, most: int = 200) -> str | None:
    value = finding.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["required"]
        return None
    if not isinstance(value, str) or len(value) > most or (pattern is not None and not pattern.match(value)):
        errors[name] = ["not a valid value"]
        return None
    return value


def _count(finding: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> float | None:
    value = finding.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 10**9:
        errors[name] = ["a number of 0 or more"]
        return None
    return value


def _numbers(finding: Mapping[str, Any], errors: dict[str, list[str]]) -> list[str]:
    value = finding.get("numbers") or []
    if not isinstance(value, list) or not all(isinstance(n, str) and NUMBER.match(n) for n in value):
        errors["numbers"] = ["a list of ticket numbers"]
        return []
    return list(dict.fromkeys(value))[:MAX_NUMBERS]


def _chart(finding: Mapping[str, Any], errors: dict[str, list[str]]) -> str | None:
    """A link inside the workbench (a path): never another site's address."""
    value = _text(finding, "chart", errors, required=False, most=500)
    if value is not None and (not value.startswith("/") or value.startswith("//") or any(
            ch.isspace() for ch in value)):
        errors["chart"] = ["a path in the workbench, starting with /"]
        return None
    return value


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, int) or float(value).is_integer() else f"{value:.1f}"


def from_finding(finding: object, category_name: Callable[[str], str | None] = lambda code: None,
                 ) -> ProactiveCase:
    """The proactive ticket for ``finding`` (a spike or an emerging problem, as insight reports
    it, with ``kind`` and ``key``); ``BadFinding`` with the errors by field if it cannot make one.

    ``category_name(code)``: the catalogue's name of a category, for the title."""
    if not isinstance(finding, Mapping):
        raise BadFinding({"finding": ["an object: a spike or an emerging problem of insight's report"]})
    errors: dict[str, list[str]] = {}
    kind = finding.get("kind")
    if kind not in KINDS:
        errors["kind"] = [f"one of {', '.join(KINDS)}"]
    key = _text(finding, "key", errors, pattern=KEY)
    category = _text(finding, "category", errors, required=kind == "spike", most=64)
    district = _text(finding, "district", errors, required=kind == "spike", most=64)
    numbers, chart = _numbers(finding, errors), _chart(finding, errors)
    term: str | None = None
    expected = ratio = previous = None
    if kind == "spike":
        since = _text(finding, "since", errors, pattern=DAY)
        until = _text(finding, "until", errors, pattern=DAY)
        observed, expected = _count(finding, "observed", errors), _count(finding, "expected", errors)
        ratio = _count(finding, "ratio", errors)
    else:
        term = _text(finding, "term", errors, required=kind == "emerging", most=100)
        since = _text(finding, "recent_from", errors, required=False, pattern=DAY)
        until = _text(finding, "to", errors, required=False, pattern=DAY)
        observed, previous = _count(finding, "recent", errors), _count(finding, "previous", errors)
    if errors:
        raise BadFinding(errors)
    named = category_name(category) if category else None  # the title is Chinese: a bilingual name's Chinese part
    what = in_language(named, "zh_CN") if named else (category or "未分类")
    place = district or "全市"
    period = f"{since} 至 {until}" if since and until else "近期"
    if kind == "spike":
        title = f"主动治理：{place}{what}诉求激增（{since} 起 {_fmt(observed)} 件）"
        baseline = ("该区该类诉求平时几乎没有（近期基线预期不足 0.5 件）" if expected is not None and expected < 0.5
                    else f"按该区该类近期基线预期约 {_fmt(expected)} 件" + (f"（{_fmt(ratio)} 倍）" if ratio else ""))
        said = f"热线数据分析发现：{period}，{place}「{what}」类诉求 {_fmt(observed)} 件，{baseline}。"
    else:
        title = f"主动治理：新出现的问题「{term}」（{place}，{_fmt(observed)} 件）"
        said = (f"热线数据分析发现：{period}，{_fmt(observed)} 件诉求提到「{term}」，"
                f"此前四周 {_fmt(previous)} 件；多见于{place}「{what}」类。")
    said += "请承办单位未诉先办，主动排查、治理，并回复办理结果。"
    lines = [said]
    if numbers:
        listed = "、".join(numbers[:LISTED_NUMBERS])
        more = f" 等 {len(numbers)} 件" if len(numbers) > LISTED_NUMBERS else f"（{len(numbers)} 件）"
        lines.append(f"相关工单：{listed}{more}")
    if chart:
        lines.append(f"趋势图：{chart}")
    request = {"title": title[:200], "description": "\n".join(lines)[:4000], "category": category,
               "district": district, "urgency": "normal", "channel": PROACTIVE, "request_type": PROACTIVE}
    evidence = {"finding": key, "kind": kind, "numbers": numbers, "chart": chart,
                "since": since, "until": until, "observed": observed}
    return ProactiveCase(request, IDEMPOTENCY_PREFIX + str(key), evidence)
