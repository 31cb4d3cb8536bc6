"""Edits to the catalogue (派单目录) and the units' keywords (职责清单) that the work proposes.

Pure Python. Refusals (退单, only those the centre approved reach routing),
re-dispatches (改派) and arbitrations (仲裁) say where the catalogue is wrong; the
co-handlers (协办) dispatchers name say what it lacks. From the stored decisions
(:func:`trail_of` reads one) :func:`mine` proposes three kinds of edit:

* ``move_category`` -- the catalogue sends category C to A, and tickets of C that
  A gave back (refused, moved away, arbitrated) ended with B;
* ``add_keyword`` -- tickets that the keywords or the model sent to the wrong
  unit ended with B, and their texts share a word B's keywords lack;
* ``add_co_handler`` -- dispatchers named D as co-handler beside the lead of
  category C again and again: D becomes the catalogue entry's standing co-handler.

Each needs ``min_cases`` tickets behind it and a ``min_share`` of the tickets it
speaks for (:class:`Thresholds`), names those tickets, and has a stable ``key``
so it is proposed once: a rejected one comes back only when its evidence grew
by ``regrowth`` (0.5: half as many tickets again) since it was rejected
(:func:`still_open`).

:func:`replay` measures an edit on the city's history (``examples``) with the
catalogue-first rule: the catalogue category its words recognise, else the
directory's keywords when they are sure; precision and the automatic share,
before and after (:func:`effect`).
"""
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.routing.domain.directory import Directory, Entry
from services.routing.domain.keywords import DEFAULT_KEYWORD_CONFIDENCE, KeywordModel
from services.routing.domain.rules import DEFAULT_THRESHOLD

KINDS = ("move_category", "add_keyword", "add_co_handler")
EVIDENCE_KEPT = 200  # ticket numbers kept on a proposal (the count is whole)
KEYWORDS_PER_UNIT = 3  # the strongest new words proposed for one unit at a time
MOVED = ("refused", "redispatch", "arbitration")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z][a-z'-]{2,}")


@dataclass(frozen=True)
class Thresholds:
    """When evidence becomes a proposal (``ROUTING_PROPOSAL_*`` in config.yaml)."""

    min_cases: int = 5       # tickets behind a proposal
    min_share: float = 0.5   # of the tickets it speaks for (see :func:`mine`)
    regrowth: float = 0.5    # a rejected proposal returns with this much more evidence

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Thresholds":
        def get(key: str, default: float) -> float:
            value = config.get(key)
            return default if value in (None, "") else float(value)
        return cls(int(get("ROUTING_PROPOSAL_MIN_CASES", cls.min_cases)),
                   get("ROUTING_PROPOSAL_MIN_SHARE", cls.min_share),
                   get("ROUTING_PROPOSAL_REGROWTH", cls.regrowth))


@dataclass(frozen=True)
class Trail:
    """What one ticket's decision says about the catalogue."""

    number: str
    text: str
    category: str | None      # the category the operator picked
    first_rule: str           # how it was dispatched the first time
    first: str | None         # the unit it went to first
    final: str | None         # the unit that holds it now
    how: tuple[str, ...]      # how it moved on: refused, redispatch, arbitration
    co_handlers: tuple[str, ...] = ()  # co-handlers a dispatcher named
    decided_category: str | None = None  # the category of the current decision (picked or recognised)

    @property
    def moved(self) -> bool:
        return bool(self.how) and self.final is not None and self.final != self.first


def trail_of(doc: Mapping[str, Any]) -> Trail | None:
    """The :class:`Trail` of a stored decision; ``None`` if it was never with a unit."""
    attempts = [a for a in doc.get("attempts") or () if isinstance(a, Mapping)]
    held = [a for a in attempts if a.get("status") == "assigned" and a.get("department_code")]
    if not held:
        return None
    how: list[str] = []
    if doc.get("refusals"):
        how.append("refused")
    rules = [a.get("rule") for a in attempts]
    if "redispatch" in rules:
        how.append("redispatch")
    if "arbitration" in rules:
        how.append("arbitration")
    ticket = doc.get("ticket") or {}
    operator = doc.get("rule") == "operator"
    return Trail(number=str(doc["number"]),
                 text=f"{ticket.get('title') or ''} {ticket.get('description') or ''}".strip(),
                 category=ticket.get("category") or None, first_rule=str(held[0].get("rule") or ""),
                 first=held[0]["department_code"],
                 final=doc.get("department_code") if doc.get("status") == "assigned" else None,
                 how=tuple(how),
                 co_handlers=tuple(c["department_code"] for c in doc.get("co_handlers") or ()
                                   if isinstance(c, Mapping) and c.get("department_code")) if operator else (),
                 decided_category=doc.get("category") or None)


@dataclass(frozen=True)
class Proposal:
    """One edit the evidence asks for, and the tickets behind it."""

    kind: str
    target: str                  # the unit that should get it (B, D)
    tickets: tuple[str, ...]     # the evidence: ticket numbers, newest kept
    cases: int                   # how many tickets
    considered: int              # of how many the proposal speaks for
    category: str | None = None  # move_category, add_co_handler
    source: str | None = None    # move_category: the unit the catalogue names now (A)
    keyword: str | None = None   # add_keyword
    how: dict[str, int] = field(default_factory=dict)  # refused / redispatch / arbitration counts

    @property
    def key(self) -> str:
        if self.kind == "move_category":
            return f"move_category:{self.category}:{self.source}>{self.target}"
        if self.kind == "add_keyword":
            return f"add_keyword:{self.target}:{self.keyword}"
        return f"add_co_handler:{self.category}:{self.target}"

    @property
    def share(self) -> float:
        return self.cases / self.considered if self.considered else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "category": self.category, "source": self.source,
                "target": self.target, "keyword": self.keyword, "tickets": list(self.tickets),
                "cases": self.cases, "considered": self.considered, "share": round(self.share, 4),
                "how": dict(self.how)}

    def applied(self, directory: Directory) -> Directory:
        """The directory with this edit made (what :func:`effect` replays)."""
        departments = [d.to_dict() for d in directory.all.values()]
        catalogue = [dict(e) for e in directory.catalogue.values()]
        if self.kind == "add_keyword":
            departments = [dict(d, keywords=[*d["keywords"], self.keyword]) if d["code"] == self.target else d
                           for d in departments]
        else:
            catalogue = [edited_entry(self, e) if e["code"] == self.category else e for e in catalogue]
        return Directory(departments, catalogue, directory.version + 1)

    def problem(self, directory: Directory) -> str | None:
        """Why the edit cannot be made on ``directory`` any more; ``None`` if it can."""
        target = directory.get(self.target)
        if target is None:
            return f"{self.target} is not in service"
        if target.kind == "community":
            return f"{self.target} is a community: routing never chooses one"
        if self.kind == "add_keyword":
            return f"{self.target} has {self.keyword} already" \
                if self.keyword in directory.all[self.target].keywords else None
        entry = directory.catalogue.get(self.category or "")
        if entry is None:
            return f"no catalogue category {self.category}"
        if self.kind == "move_category" and entry["department"] != self.source:
            return f"{self.category} goes to {entry['department']} now, not {self.source}"
        if self.kind == "add_co_handler" and self.target in (entry.get("co_handlers") or ()):
            return f"{self.target} co-handles {self.category} already"
        return None


def edited_entry(proposal: Proposal, entry: Entry) -> Entry:
    """The catalogue entry after a ``move_category`` or ``add_co_handler`` proposal."""
    if proposal.kind == "move_category":
        return dict(entry, department=proposal.target,
                    co_handlers=[c for c in entry.get("co_handlers") or () if c != proposal.target])
    return dict(entry, co_handlers=[*(entry.get("co_handlers") or ()), proposal.target])


def _evidence(trails: Sequence[Trail]) -> tuple[str, ...]:
    return tuple(t.number for t in trails[-EVIDENCE_KEPT:])


def _how(trails: Iterable[Trail]) -> dict[str, int]:
    counts = dict.fromkeys(MOVED, 0)
    for t in trails:
        for h in t.how:
            counts[h] += 1
    return {k: v for k, v in counts.items() if v}


def mine(trails: Sequence[Trail], directory: Directory, limits: Thresholds = Thresholds(),
         words: Callable[[str], set[str]] | None = None) -> list[Proposal]:
    """Every proposal the trails (oldest first) support, strongest first. ``words`` cuts a
    text into the words a keyword may be (routing passes jieba's); by default :func:`terms`."""
    found = [*_moves(trails, directory, limits), *_keywords(trails, directory, limits, words or terms),
             *_co_handlers(trails, directory, limits)]
    return sorted(found, key=lambda p: (-p.cases, p.key))


def _moves(trails: Sequence[Trail], directory: Directory, limits: Thresholds) -> Iterable[Proposal]:
    """Of the tickets of C the catalogue sent to A (its unit now), a share that ended with B."""
    by_category: dict[str, list[Trail]] = {}
    for t in trails:
        if t.first_rule == "catalogue" and t.category in directory.catalogue:
            by_category.setdefault(t.category, []).append(t)
    for code, entry in directory.catalogue.items():
        source = entry["department"]
        sent = [t for t in by_category.get(code, ()) if t.first == source]
        ended: dict[str, list[Trail]] = {}
        for t in sent:
            if t.moved and t.final is not None and directory.get(t.final) is not None:
                ended.setdefault(t.final, []).append(t)
        for target, behind in ended.items():
            if len(behind) >= limits.min_cases and len(behind) / len(sent) >= limits.min_share:
                yield Proposal("move_category", target, _evidence(behind), len(behind), len(sent),
                               category=code, source=source, how=_how(behind))


def terms(text: str) -> set[str]:
    """The candidate words of a text without a segmenter: runs of 2-4 Chinese characters,
    English words (the longest form of a word is kept, see :func:`_keywords`)."""
    found: set[str] = set()
    for run in _CJK.findall(text):
        for size in (2, 3, 4):
            found.update(run[i:i + size] for i in range(len(run) - size + 1))
    found.update(_WORD.findall(text.lower()))
    return found


def _keywords(trails: Sequence[Trail], directory: Directory, limits: Thresholds,
              terms: Callable[[str], set[str]]) -> Iterable[Proposal]:
    """Words shared by ``min_cases`` tickets that moved to B after the keywords or the model
    sent them elsewhere, where ``min_share`` of all ended tickets with the word ended with B;
    never a word that is, holds or lies within a unit's keyword."""
    ended = [t for t in trails if t.final is not None]
    missed = [t for t in ended if t.moved and t.first_rule in ("keywords", "classifier")]
    # a word some unit answers for already is a dispute for a person, not a keyword to add
    known = [k.lower() for d in directory.departments.values() for k in d.keywords]
    by_unit: dict[str, dict[str, list[Trail]]] = {}
    for t in missed:
        dept = directory.get(t.final)
        if dept is None or dept.kind == "community":
            continue
        for word in terms(t.text):
            if not any(word in k or k in word for k in known):
                by_unit.setdefault(dept.code, {}).setdefault(word, []).append(t)
    candidates = {w for unit in by_unit.values() for w, behind in unit.items() if len(behind) >= limits.min_cases}
    total: dict[str, int] = {}
    ended_with: dict[tuple[str, str | None], int] = {}
    for t in ended:  # every ended ticket with the word: how many ended with each unit
        for word in terms(t.text) & candidates:
            total[word] = total.get(word, 0) + 1
            ended_with[word, t.final] = ended_with.get((word, t.final), 0) + 1
    for code, found in by_unit.items():
        strong = [(word, behind, total[word]) for word, behind in found.items()
                  if word in candidates and len(behind) >= limits.min_cases
                  and ended_with.get((word, code), 0) / total[word] >= limits.min_share]
        numbers = {w: {t.number for t in b} for w, b, _ in strong}
        # the longest form of a word: 共享单 is dropped when 共享单车 stands on the same tickets
        kept = [s for s in strong if not any(s[0] != w and s[0] in w and numbers[w] >= numbers[s[0]]
                                             for w in numbers)]
        kept.sort(key=lambda s: (-len(s[1]), -len(s[0]), s[0]))
        for word, behind, considered in kept[:KEYWORDS_PER_UNIT]:
            yield Proposal("add_keyword", code, _evidence(behind), len(behind), considered, keyword=word,
                           how=_how(behind))


def _co_handlers(trails: Sequence[Trail], directory: Directory, limits: Thresholds) -> Iterable[Proposal]:
    """Of the tickets of C a dispatcher placed, a share with D named as co-handler."""
    placed: dict[str, list[Trail]] = {}
    for t in trails:
        category = t.category or t.decided_category
        if category in directory.catalogue and t.final is not None:
            placed.setdefault(category, []).append(t)
    for code, tickets in placed.items():
        entry = directory.catalogue[code]
        standing = {entry["department"], *(entry.get("co_handlers") or ())}
        named: dict[str, list[Trail]] = {}
        for t in tickets:
            for co in dict.fromkeys(t.co_handlers):
                if co not in standing and directory.get(co) is not None:
                    named.setdefault(co, []).append(t)
        considered = [t for t in tickets if t.co_handlers or t.first_rule == "operator"]
        for target, behind in named.items():
            if len(behind) >= limits.min_cases and len(behind) / len(considered) >= limits.min_share:
                yield Proposal("add_co_handler", target, _evidence(behind), len(behind), len(considered),
                               category=code)


def still_open(proposal: Proposal, stored: Mapping[str, Any] | None, limits: Thresholds) -> bool:
    """Whether to (re)store ``proposal`` given what is stored under its key: new or pending
    (its evidence refreshed), never once accepted, and once rejected only when its cases
    grew by ``regrowth`` since (at least one more)."""
    if stored is None or stored.get("state") == "pending":
        return True
    if stored.get("state") == "rejected":
        at_rejection = int(stored.get("rejected_cases") or stored.get("cases") or 0)
        return proposal.cases >= max(at_rejection + 1, math.ceil(at_rejection * (1 + limits.regrowth)))
    return False


# -- the effect on dispatch: the history replayed ------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """How the catalogue-first rule dispatches a history."""

    tickets: int
    dispatched: int
    right: int

    @property
    def precision(self) -> float | None:
        return self.right / self.dispatched if self.dispatched else None

    @property
    def automatic(self) -> float:
        return self.dispatched / self.tickets if self.tickets else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"tickets": self.tickets, "dispatched": self.dispatched, "right": self.right,
                "precision": None if self.precision is None else round(self.precision, 4),
                "automatic": round(self.automatic, 4)}


def dispatch_of(text: str, directory: Directory, threshold: float = DEFAULT_THRESHOLD,
                cap: float = DEFAULT_KEYWORD_CONFIDENCE) -> str | None:
    """Whom the catalogue-first rule sends ``text`` to: the catalogue category its words
    recognise, else the directory's keywords when sure; ``None``: a person decides."""
    entry, _, _ = directory.category_for({"title": text})
    if entry is not None and directory.get(entry["department"]) is not None:
        return str(entry["department"])
    suggestions = KeywordModel(directory, cap).suggest(text, top=1)
    if suggestions and suggestions[0].confidence >= threshold:
        return suggestions[0].department_code
    return None


def replay(history: Sequence[tuple[str, str]], directory: Directory, threshold: float = DEFAULT_THRESHOLD,
           cap: float = DEFAULT_KEYWORD_CONFIDENCE) -> Figures:
    """``(text, final unit)`` rows dispatched by :func:`dispatch_of`: how many, how many right."""
    dispatched = right = 0
    for text, label in history:
        chosen = dispatch_of(text, directory, threshold, cap)
        if chosen is not None:
            dispatched += 1
            right += chosen == label
    return Figures(len(history), dispatched, right)


def effect(proposal: Proposal, history: Sequence[tuple[str, str]], directory: Directory,
           threshold: float = DEFAULT_THRESHOLD, cap: float = DEFAULT_KEYWORD_CONFIDENCE,
           before: Figures | None = None) -> dict[str, Any]:
    """``{"before", "after"}`` figures of the history with and without the edit (a co-handler
    changes no lead: the same figures twice)."""
    before = before or replay(history, directory, threshold, cap)
    after = before if proposal.kind == "add_co_handler" else \
        replay(history, proposal.applied(directory), threshold, cap)
    return {"before": before.to_dict(), "after": after.to_dict()}
