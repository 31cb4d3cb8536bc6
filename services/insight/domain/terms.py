"""Emerging problems from the text of the requests themselves.

Chinese has no spaces between words, so each request's title and
description is segmented with jieba; the terms of a request are its words
of two or more characters (not stop words, not numbers) and the pairs of
adjacent words, which catch phrases such as 电动自行车 + 充电.

A term is emerging when the share of recent requests that use it is higher
than in the previous period by more than chance: Dunning's log-likelihood
ratio G^2 on the 2x2 table (recent/previous x with/without the term), with
its chi-square(1) p-value corrected over all candidate terms by
Benjamini-Hochberg. Terms are ranked by G^2; a term whose requests (80% or more) also use a
stronger term is part of that problem, and is listed as related to it, with example tickets.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from services.insight.domain.spikes import benjamini_hochberg, chi2_sf_1df
from shared.platform.segmenter import segmenter as _segmenter

# jieba, loaded once (``shared.platform.segmenter``): ``segmenter().lcut(text)`` -> words
segmenter: Callable[[], Any] = _segmenter

STOP_WORDS = frozenset("""
反映 市民 来电 来电人 希望 要求 问题 处理 相关 部门 相关部门 帮忙 帮助 现在 一直 没有 已经 我们 他们
这个 那个 情况 解决 尽快 附近 每天 一下 可以 不能 还是 但是 因为 所以 如果 这里 那里 时候 目前 进行
请求 诉求 表示 称其 称 反应 咨询 投诉 举报 联系 工作人员 有关 关于 导致 造成 出现 发现 存在 严重
非常 特别 很多 多次 经常 今天 昨天 前天 最近 近期 一个 一些 两个 几个 什么 怎么 为什么 是否 以及
""".split())

_WORDISH = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")
def _keep(word: str) -> bool:
    return len(word) >= 2 and word not in STOP_WORDS and bool(_WORDISH.match(word))


def terms_of(text: str | None) -> list[str]:
    """The distinct terms of one request: words, and phrases of two adjacent words."""
    words = segmenter().lcut(text or "")
    found = set()
    previous = None
    for word in words:
        word = word.strip()
        if not word:
            previous = None
            continue
        if _keep(word):
            found.add(word.lower())
            if previous is not None:
                found.add(previous + word.lower())
            previous = word.lower()
        elif len(word) >= 2 and _WORDISH.match(word):
            previous = None  # a stop word breaks a phrase
        else:
            previous = None
    return sorted(found)


def log_likelihood_ratio(k_recent: int, n_recent: int, k_before: int, n_before: int) -> float:
    """Dunning's G^2 for a term used by ``k`` of ``n`` requests in two periods."""
    table = np.array([[k_recent, n_recent - k_recent], [k_before, n_before - k_before]], float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    mask = table > 0
    return float(2.0 * np.sum(table[mask] * np.log(table[mask] / expected[mask])))


def emerging_terms(recent: Sequence[Mapping[str, Any]], previous: Sequence[Mapping[str, Any]], limit: int = 10,
                   min_docs: int = 8, fdr: float = 0.01, examples: int = 3,
                   evidence: int = 50) -> list[dict[str, Any]]:
    """Terms rising in ``recent`` requests against ``previous`` ones.

    Each request is a dict with ``terms`` (from :func:`terms_of`), ``number``,
    ``title`` and ``received_at`` (``category`` and ``district`` when known). Returns the
    terms, strongest first, each with its examples, the numbers of up to ``evidence`` of its
    recent requests (latest first), and the category and district most of them have.
    """
    n_recent, n_before = len(recent), len(previous)
    if n_recent == 0 or n_before == 0:
        return []
    recent_docs: dict[str, list[Mapping[str, Any]]] = {}
    for doc in recent:
        for term in doc.get("terms") or ():
            recent_docs.setdefault(term, []).append(doc)
    before_counts: dict[str, int] = {}
    for doc in previous:
        for term in doc.get("terms") or ():
            before_counts[term] = before_counts.get(term, 0) + 1
    candidates: list[tuple[str, int, int, float, float]] = []
    for term, docs in recent_docs.items():
        k1, k0 = len(docs), before_counts.get(term, 0)
        if k1 < min_docs or k1 / n_recent <= k0 / n_before:
            continue
        g2 = log_likelihood_ratio(k1, n_recent, k0, n_before)
        candidates.append((term, k1, k0, g2, chi2_sf_1df(g2)))
    if not candidates:
        return []
    q_values = benjamini_hochberg([c[4] for c in candidates])
    significant = [(c, q) for c, q in zip(candidates, q_values) if q < fdr]
    significant.sort(key=lambda item: (item[0][3], len(item[0][0])), reverse=True)
    chosen: list[dict[str, Any]] = []
    for (term, k1, k0, g2, _p), q in significant:
        numbers = {d["number"] for d in recent_docs[term]}
        same = next((c for c in chosen if _overlap(numbers, c["_numbers"]) >= 0.8), None)
        if same is not None:
            same["related"].append(term)
            continue
        if len(chosen) >= limit:
            continue
        latest = sorted(recent_docs[term], key=lambda d: d["received_at"], reverse=True)
        chosen.append({
            "term": term, "related": [], "recent": k1, "previous": k0,
            "recent_share": round(k1 / n_recent, 4), "previous_share": round(k0 / n_before, 4),
            "rate_ratio": round((k1 / n_recent) / (k0 / n_before), 1) if k0 else None,
            "g2": round(g2, 1), "q_value": float(q), "_numbers": numbers,
            "examples": [{"number": d["number"], "title": d.get("title", ""),
                          "district": d.get("district")} for d in latest[:examples]],
            "numbers": [str(d["number"]) for d in latest[:evidence]],
            "category": _most(d.get("category") for d in latest),
            "district": _most(d.get("district") for d in latest),
        })
    for term in chosen:
        del term["_numbers"]
        term["related"] = term["related"][:8]
    return chosen


def _most(values: Iterable[Any]) -> str | None:
    """The value most requests share (the first seen of the most common), or ``None``."""
    counted = Counter(str(v) for v in values if v)
    return counted.most_common(1)[0][0] if counted else None


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller set of requests also in the other: a term used
    (almost) only by requests that use another describes the same problem."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0
