"""The reply quality gate over a file of past replies: what it flags, and why.

``gate_report(rows)`` runs :func:`check_reply` on each
``(title, description, reply)`` and returns the share flagged, how many
replies each finding was given, and examples of every verdict -- replies
that passed as well as those flagged -- so a person can judge whether the
gate catches perfunctory and off-topic replies without flagging good ones.
``python -m services.followup quality-report FILE`` prints it.
"""
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from services.followup.domain.quality import check_reply

PASSED = "passed"


def gate_report(rows: Sequence[tuple[str, str, str]], examples: int = 20, seed: int = 0) -> dict[str, Any]:
    """``rows``: ``(title, description, reply)``. Examples are drawn at random (``seed``), not the first ones."""
    verdicts: Counter[str] = Counter()
    by_code: dict[str, list[dict[str, Any]]] = {}
    flagged = 0
    for title, description, reply in rows:
        findings = check_reply(reply, {"title": title, "description": description})
        codes = [f["code"] for f in findings] or [PASSED]
        flagged += bool(findings)
        for code in codes:
            verdicts[code] += 1
            by_code.setdefault(code, []).append(
                {"title": title, "reply": reply, "findings": [f["code"] for f in findings]})
    pick = random.Random(seed)
    return {
        "replies": len(rows),
        "flagged": flagged,
        "share_flagged": flagged / len(rows) if rows else 0.0,
        "verdicts": dict(verdicts.most_common()),
        "examples": {code: pick.sample(items, min(examples, len(items))) for code, items in by_code.items()},
    }


def report_lines(report: dict[str, Any], width: int = 70) -> list[str]:
    def short(text: object) -> str:
        text = " ".join(str(text or "").split())
        return text if len(text) <= width else text[:width - 1] + "…"

    lines = [f"{report['replies']} replies; {report['flagged']} flagged ({report['share_flagged']:.1%})", ""]
    lines += [f"{code:<22} {n:>6}  ({n / report['replies']:.1%})" for code, n in report["verdicts"].items()]
    for code, items in report["examples"].items():
        lines += ["", f"== {code}: {len(items)} examples"]
        for item in items:
            also = [c for c in item["findings"] if c != code]
            lines.append(f"- [{short(item['title'])[:24]}] {short(item['reply'])}"
                         + (f"  (also {', '.join(also)})" if also else ""))
    return lines
