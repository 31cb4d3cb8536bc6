"""Which type a request is (诉求类型) when nobody said: simple rules anyone can check.

Pure Python. A type given at intake (the operator's choice, a door's field)
stands. Otherwise a model learned from the tickets people typed decides, where
routing has one (a :class:`TypeLearner`: ``services.routing.learning.request_type_model``,
trained only when it is measured better than the rules); else the first rule
below whose words occur wins -- in the title first (the operator's summary),
then in the description -- and a request that matches none is a request for
help (求助). Each answer says why, as a coded reason
(``shared.contract.reasons``): ``request_type_given``, ``request_type_learned``,
``request_type_words`` or ``request_type_default``.

The order settles mixed texts: a complaint that ends with a suggestion is a
complaint; a question that thanks in advance is a consultation (thanks alone
come last).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.contract.messages import REQUEST_TYPES
from shared.contract.reasons import Coded, reason

DEFAULT = "help"

# (type, words): the first rule that matches decides. English is matched in lower case.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("complaint", ("投诉", "complain")),
    ("report", ("举报", "检举", "whistleblow", "tip-off", "tip off")),
    ("praise", ("表扬", "点赞", "锦旗", "表彰", "praise", "commend")),
    ("suggestion", ("建议", "提议", "suggest", "propose")),
    ("consultation", ("咨询", "请问", "如何", "是否", "能否", "可否", "怎么办理", "想问", "问一下", "enquir", "inquir",
                      "how do i", "how can i", "how to", "whether", "is it possible")),
    ("praise", ("感谢", "thank")),
)

assert all(kind in REQUEST_TYPES for kind, _ in RULES)


@dataclass(frozen=True)
class TypeChoice:
    """The request type of a ticket, where it comes from (``given``, ``suggested``, ``dispatcher``)
    and why; a learned suggestion also how sure the model is (its probability)."""

    request_type: str
    source: str
    reason: Coded
    confidence: float | None = None


class Learned(Protocol):
    request_type: str
    confidence: float
    words: str


class TypeLearner(Protocol):
    """A model of the types people gave (``request_type_model.TypeModel``)."""

    def suggest_type(self, title: str, description: str = "") -> Learned | None: ...


def words_in(text: str) -> tuple[str, list[str]] | None:
    """The first rule's type and the words of it that ``text`` holds, or ``None``."""
    lowered = text.lower()
    for kind, words in RULES:
        found = [w for w in words if w in lowered]
        if found:
            return kind, found
    return None


def suggest(title: str, description: str = "", learner: TypeLearner | None = None) -> TypeChoice:
    """The type routing suggests for a request that has none: the learned model's, else the rules'."""
    learned = learner.suggest_type(title or "", description or "") if learner is not None else None
    if learned is not None:
        return TypeChoice(learned.request_type, "suggested",
                          reason("request_type_learned", request_type=learned.request_type,
                                 confidence=learned.confidence, words=learned.words),
                          learned.confidence)
    for text in (title, description):
        found = words_in(text or "")
        if found is not None:
            kind, words = found
            return TypeChoice(kind, "suggested", reason("request_type_words", request_type=kind,
                                                         words=", ".join(words)))
    return TypeChoice(DEFAULT, "suggested", reason("request_type_default", request_type=DEFAULT))


def choose(ticket: Mapping[str, Any], learner: TypeLearner | None = None) -> TypeChoice:
    """The type of ``ticket`` (a ``ticket_created`` body): as given, else suggested."""
    given = ticket.get("request_type")
    if given in REQUEST_TYPES:
        return TypeChoice(str(given), "given", reason("request_type_given", request_type=given))
    return suggest(str(ticket.get("title") or ""), str(ticket.get("description") or ""), learner)


def changed(request_type: str, by: str) -> TypeChoice:
    """A dispatcher sets the type (``RoutingError`` for the handler if it is none)."""
    return TypeChoice(request_type, "dispatcher", reason("request_type_set", request_type=request_type,
                                                         person=by))
