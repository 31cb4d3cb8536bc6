"""A learner's proposal (:class:`Suggestion`), and the directory's keywords as a learner.

Pure Python. :class:`KeywordModel` is the fallback before any model is trained
(``services.routing.learning.classifier.TextModel``): the directory's
responsibility keywords. Nobody has measured how often it is right, so its
confidence is capped (``DEFAULT_KEYWORD_CONFIDENCE``) and shared between the
departments it matches; a tie is never confident.
"""
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from services.routing.domain.directory import Directory
from shared.contract.reasons import reason, sentences

DEFAULT_KEYWORD_CONFIDENCE = 0.7


@dataclass
class Suggestion:
    """A department a learner proposes, how sure it is, and why."""

    department_code: str
    confidence: float
    reasons: list[dict[str, Any]] = field(default_factory=list)  # coded: [shared.contract.reasons.reason(...)]

    def to_dict(self) -> dict[str, Any]:
        return {"department_code": self.department_code,
                "confidence": round(float(self.confidence), 4), "reasons": sentences(self.reasons),
                "reason_codes": list(self.reasons)}


class KeywordModel:
    """Responsibility keywords as a learner, honest that nobody measured it."""

    kind = "keywords"
    version = 0

    def __init__(self, directory: Directory, cap: float = DEFAULT_KEYWORD_CONFIDENCE) -> None:
        self.directory = directory
        self.cap = float(cap)

    def suggest(self, text: str, exclude: Collection[str] = (), top: int = 3,
                known: Collection[str] | None = None, title: str = "") -> list[Suggestion]:
        """Keywords weigh by length and by how often they occur; in the title (the operator's summary) twice."""
        matches = {code: found for code, found in self.directory.keyword_matches(text).items()
                   if code not in exclude}
        if not matches:
            return []
        lowered, title = text.lower(), (title or "").lower()
        weight = {code: sum(len(k) * (lowered.count(k.lower()) + title.count(k.lower())) for k in found)
                  for code, found in matches.items()}
        total = sum(weight.values())
        ranked = sorted(matches, key=lambda c: (weight[c], len(matches[c])), reverse=True)[:top]
        suggestions = []
        for code in ranked:
            dept = self.directory.departments[code]
            suggestions.append(Suggestion(code, self.cap * weight[code] / total, [
                reason("keywords", keywords=", ".join(matches[code]), department=dept.name)]))
        return suggestions
