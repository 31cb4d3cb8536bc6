"""A knowledge entry (知识条目) with an owner, versions, a review and feedback.

GB/T 44191 and 国办发〔2020〕53号 ask for hotline knowledge that is authoritative,
owned by the responsible unit, reviewed, current and shared. So an entry here:

* is **owned** by a unit (``owner``: a department code), which maintains it; the
  entries imported from a file before owners existed have none (the centre's);
* has **versions** (text, author, when): the unit edits a ``draft``, ``submit``\\ s
  it, and a reviewer of the centre ``approve``\\ s it (it becomes the published
  version, the one operators are offered) or ``reject``\\ s it with a reason. The
  published version keeps serving while a newer one is drafted or reviewed::

      draft --submit--> submitted --approve--> published
        ^                   |
        +----- edit --------+--reject--> rejected --edit--> draft

* carries an **expiry** (``expires_at``: not offered to operators from then on)
  and a **review date** (``review_at``: its owner must look at it again);
* counts operators' **feedback** on the published version (helped / wrong /
  outdated) with the latest comments; many "wrong" or "outdated" flag it.

An entry due for review (expired, past its review date, or flagged by
feedback) is told to its owner once per version and reason
(``review_due`` -> ``knowledge_review_due``).

Documents written before owners existed (``id``, ``question``, ``answer``,
``keywords`` ... and no ``versions``) are read as published version 1 with no
owner (:meth:`KnowledgeEntry.from_doc`): they keep being offered, and the centre
maintains them. Pure Python.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from shared.contract import messages

from .knowledge import terms_of

Doc = dict[str, Any]

DRAFT, SUBMITTED, PUBLISHED, REJECTED, SUPERSEDED = "draft", "submitted", "published", "rejected", "superseded"
STATES = (DRAFT, SUBMITTED, PUBLISHED, REJECTED)
FEEDBACK = ("helped", "wrong", "outdated")
EXPIRED: messages.KnowledgeReviewReason = "expired"
REVIEW_DATE: messages.KnowledgeReviewReason = "review_date"
FEEDBACK_FLAG: messages.KnowledgeReviewReason = "feedback"
QUESTION_CHARS, ANSWER_CHARS, KEYWORDS, KEYWORD_CHARS = 500, 4000, 20, 40
COMMENT_CHARS, REASON_CHARS, COMMENTS_KEPT, ALSO_ASKED_KEPT = 500, 1000, 10, 20
FLAG_AFTER = 3  # "wrong" + "outdated" on a published version that flag it for review


class KnowledgeInvalid(ValueError):
    """A draft, a decision or a feedback that breaks the rules; ``errors`` by field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class NotYourEntry(PermissionError):
    """A unit acting on another unit's entry."""


class TransitionRefused(ValueError):
    """Not in a state that allows this (submit a published entry, approve a draft ...)."""


@dataclass(frozen=True)
class Author:
    user_id: str | None
    name: str

    def to_doc(self) -> Doc:
        return {"user_id": self.user_id, "name": self.name}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Author:
        doc = doc or {}
        return cls(doc.get("user_id"), str(doc.get("name") or ""))


IMPORT = Author(None, "import")


@dataclass(frozen=True)
class Version:
    """One version of an entry's text, by whom, in which state."""

    number: int
    question: str
    answer: str
    keywords: tuple[str, ...]
    author: Author
    at: dt.datetime | None
    state: str = DRAFT
    expires_at: dt.datetime | None = None
    review_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    decided_by: Author | None = None
    decided_at: dt.datetime | None = None
    reason: str | None = None

    def to_doc(self) -> Doc:
        doc: Doc = {f.name: getattr(self, f.name) for f in fields(self)}
        doc["keywords"] = list(self.keywords)
        doc["author"] = self.author.to_doc()
        doc["decided_by"] = self.decided_by.to_doc() if self.decided_by else None
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Version:
        named = {f.name for f in fields(cls)} - {"keywords", "author", "decided_by"}
        return cls(keywords=tuple(doc.get("keywords") or ()), author=Author.from_doc(doc.get("author")),
                   decided_by=Author.from_doc(doc["decided_by"]) if doc.get("decided_by") else None,
                   **{k: v for k, v in doc.items() if k in named})


@dataclass(frozen=True)
class Draft:
    """What a unit types: the text, keywords, expiry and review date (checked by :func:`checked`)."""

    question: str
    answer: str
    keywords: tuple[str, ...] = ()
    expires_at: dt.datetime | None = None
    review_at: dt.datetime | None = None


def _text(value: object, name: str, limit: int, errors: dict[str, list[str]]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors[name] = ["required"]
    elif len(text) > limit:
        errors[name] = [f"at most {limit} characters"]
    return text


def checked(question: object, answer: object, keywords: object, expires_at: object, review_at: object,
            now: dt.datetime) -> Draft:
    """A clean :class:`Draft`, or ``KnowledgeInvalid`` by field."""
    errors: dict[str, list[str]] = {}
    q = _text(question, "question", QUESTION_CHARS, errors)
    a = _text(answer, "answer", ANSWER_CHARS, errors)
    if isinstance(keywords, str):
        keywords = keywords.replace("；", ";").replace("，", ";").replace(",", ";").split(";")
    if not isinstance(keywords, (list, tuple)):
        keywords = []
    words = tuple(dict.fromkeys(str(k).strip() for k in keywords if str(k).strip()))
    if len(words) > KEYWORDS or any(len(w) > KEYWORD_CHARS for w in words):
        errors["keywords"] = [f"at most {KEYWORDS} keywords of at most {KEYWORD_CHARS} characters"]
    for name, value in (("expires_at", expires_at), ("review_at", review_at)):
        if value is not None and not isinstance(value, dt.datetime):
            errors[name] = ["a date"]
        elif isinstance(value, dt.datetime) and value <= now:
            errors[name] = ["a date still to come"]
    if (isinstance(expires_at, dt.datetime) and isinstance(review_at, dt.datetime)
            and review_at > expires_at):
        errors["review_at"] = ["on or before the expiry"]
    if errors:
        raise KnowledgeInvalid(errors)
    return Draft(q, a, words, expires_at if isinstance(expires_at, dt.datetime) else None,
                 review_at if isinstance(review_at, dt.datetime) else None)


@dataclass
class KnowledgeEntry:
    """One entry of the knowledge base (``knowledge`` holds one document per entry)."""

    id: str
    owner: str | None                       # the unit that maintains it; None: the centre
    versions: list[Version] = field(default_factory=list)
    category: str | None = None
    lang: str = "zh"
    feedback: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FEEDBACK, 0))
    comments: list[Doc] = field(default_factory=list)   # the latest feedback, newest first
    flagged: list[str] = field(default_factory=list)    # "<version>:<reason>" told to the owner
    # Where a proposed entry came from ({kind, ticket, closed_at}: ``knowledge_proposal.py``), and
    # the closed consultations its published answer already covered ({ticket, question, at}).
    source: Doc | None = None
    also_asked: list[Doc] = field(default_factory=list)
    revision: int = 0                                   # the document's, for a conditional save

    # -- reading ---------------------------------------------------------------------

    @property
    def published(self) -> Version | None:
        return next((v for v in reversed(self.versions) if v.state == PUBLISHED), None)

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def state(self) -> str:
        """The state of its newest version: draft, submitted, published or rejected."""
        return self.latest.state if self.latest else DRAFT

    def offered(self, now: dt.datetime) -> bool:
        """Offered to operators: a published version that has not expired."""
        version = self.published
        return version is not None and (version.expires_at is None or version.expires_at > now)

    def due(self, now: dt.datetime, flag_after: int = FLAG_AFTER) -> list[messages.KnowledgeReviewReason]:
        """Why the published version must be looked at again: expired, review date passed,
        flagged by operators' feedback (``flag_after`` wrong + outdated, more than helped)."""
        version = self.published
        if version is None:
            return []
        reasons: list[messages.KnowledgeReviewReason] = []
        if version.expires_at is not None and version.expires_at <= now:
            reasons.append(EXPIRED)
        if version.review_at is not None and version.review_at <= now:
            reasons.append(REVIEW_DATE)
        bad = self.feedback.get("wrong", 0) + self.feedback.get("outdated", 0)
        if bad >= flag_after and bad > self.feedback.get("helped", 0):
            reasons.append(FEEDBACK_FLAG)
        return reasons

    # -- the document ----------------------------------------------------------------

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> KnowledgeEntry:
        """The entry of a document; one imported before versions existed is published version 1
        of the centre (no owner), by ``import``."""
        if "versions" in doc:
            versions = [Version.from_doc(v) for v in doc.get("versions") or ()]
        else:
            versions = [Version(1, str(doc.get("question") or ""), str(doc.get("answer") or ""),
                                tuple(doc.get("keywords") or ()), IMPORT, None, PUBLISHED)]
        return cls(id=str(doc["id"]), owner=doc.get("owner"), versions=versions, category=doc.get("category"),
                   lang=str(doc.get("lang") or "zh"),
                   feedback={k: int((doc.get("feedback") or {}).get(k, 0)) for k in FEEDBACK},
                   comments=list(doc.get("comments") or ()), flagged=list(doc.get("flagged") or ()),
                   source=dict(doc["source"]) if doc.get("source") else None,
                   also_asked=list(doc.get("also_asked") or ()), revision=int(doc.get("revision") or 0))

    def to_doc(self) -> Doc:
        """The document: its fields, and the published version's text at the top (what search
        finds, by its ``terms``, and what an answer on the call quotes); none while unpublished."""
        version = self.published
        doc: Doc = {"id": self.id, "owner": self.owner, "category": self.category, "lang": self.lang,
                    "state": self.state, "versions": [v.to_doc() for v in self.versions],
                    "feedback": dict(self.feedback), "comments": list(self.comments),
                    "flagged": list(self.flagged), "revision": self.revision, "source": self.source,
                    "also_asked": list(self.also_asked),
                    "question": None, "answer": None, "keywords": [], "terms": [], "version": None,
                    "expires_at": None, "review_at": None}
        if version is not None:
            doc.update(question=version.question, answer=version.answer, keywords=list(version.keywords),
                       version=version.number, expires_at=version.expires_at, review_at=version.review_at,
                       terms=sorted(terms_of({"question": version.question,
                                              "keywords": list(version.keywords)})))
        return doc

    # -- the unit's work ----------------------------------------------------------------

    @classmethod
    def create(cls, entry_id: str, owner: str | None, draft: Draft, author: Author, now: dt.datetime,
               category: str | None = None) -> KnowledgeEntry:
        """A new entry of ``owner``, with its first version as a draft."""
        entry = cls(id=entry_id, owner=owner, category=category,
                    lang="zh" if any("\u3400" <= c <= "\u9fff" for c in draft.question) else "en")
        entry.edit(draft, author, owner, now)
        return entry

    def check_owner(self, unit: str | None) -> None:
        """``NotYourEntry`` unless ``unit`` is None (the centre) or owns the entry."""
        if unit is not None and unit != self.owner:
            raise NotYourEntry(f"{self.id} is maintained by {self.owner or 'the centre'}, not {unit}")

    def edit(self, draft: Draft, author: Author, unit: str | None, now: dt.datetime) -> None:
        """Save ``draft`` as the newest version, still a draft: a new version after a published or
        rejected one, the same one while a draft. A submitted version waits for its review."""
        self.check_owner(unit)
        latest = self.latest
        if latest is not None and latest.state == SUBMITTED:
            raise TransitionRefused(f"version {latest.number} of {self.id} waits for review: "
                                    "it cannot change until a reviewer decides")
        version = Version(number=1, question=draft.question, answer=draft.answer, keywords=draft.keywords,
                          author=author, at=now, expires_at=draft.expires_at, review_at=draft.review_at)
        if latest is not None and latest.state == DRAFT:
            self.versions[-1] = replace(version, number=latest.number)
        else:
            self.versions.append(replace(version, number=(latest.number + 1) if latest else 1))

    def submit(self, author: Author, unit: str | None, now: dt.datetime) -> None:
        """The draft, for a reviewer of the centre."""
        self.check_owner(unit)
        latest = self.latest
        if latest is None or latest.state != DRAFT:
            raise TransitionRefused(f"{self.id} has no draft to submit (it is {self.state})")
        self.versions[-1] = replace(latest, state=SUBMITTED, submitted_at=now)

    # -- the centre's review --------------------------------------------------------------

    def approve(self, reviewer: Author, now: dt.datetime,
                review_after: dt.timedelta | None = None) -> list[messages.Event]:
        """The submitted version is published (the one before it superseded): ``knowledge_entry_decided``.

        A version with no review date gets one ``review_after`` the approval. A reviewer
        does not approve a version they wrote (four eyes)."""
        latest = self._submitted()
        if latest.review_at is None and review_after is not None:
            latest = replace(latest, review_at=min(now + review_after, latest.expires_at or dt.datetime.max.replace(
                tzinfo=dt.UTC)))
        if reviewer.user_id is not None and reviewer.user_id == latest.author.user_id:
            raise TransitionRefused(f"version {latest.number} of {self.id} is {reviewer.name}'s own: "
                                    "another reviewer approves it")
        self.versions = [replace(v, state=SUPERSEDED) if v.state == PUBLISHED else v for v in self.versions]
        self.versions[-1] = replace(latest, state=PUBLISHED, decided_by=reviewer, decided_at=now)
        self.feedback, self.comments, self.flagged = dict.fromkeys(FEEDBACK, 0), [], []  # the new version's
        return [self._decided(self.versions[-1], "published", "", now)]

    def reject(self, reviewer: Author, reason: object, now: dt.datetime) -> list[messages.Event]:
        """The submitted version goes back to its unit with ``reason``: ``knowledge_entry_decided``.
        A published version before it keeps serving."""
        latest = self._submitted()
        said = reason.strip() if isinstance(reason, str) else ""
        if not said or len(said) > REASON_CHARS:
            raise KnowledgeInvalid({"reason": [f"why, in at most {REASON_CHARS} characters"]})
        self.versions[-1] = replace(latest, state=REJECTED, decided_by=reviewer, decided_at=now, reason=said)
        return [self._decided(self.versions[-1], "rejected", said, now)]

    def _submitted(self) -> Version:
        latest = self.latest
        if latest is None or latest.state != SUBMITTED:
            raise TransitionRefused(f"{self.id} has no version waiting for review (it is {self.state})")
        return latest

    def _decided(self, version: Version, outcome: messages.KnowledgeOutcome, reason: str,
                 now: dt.datetime) -> messages.Event:
        return messages.KnowledgeEntryDecided(
            entry_id=self.id, department_code=self.owner, version=version.number, outcome=outcome,
            reason=reason, question=version.question, decided_by=version.decided_by.name if version.decided_by else "",
            decided_at=now)

    def asked_again(self, number: str, question: str, now: dt.datetime) -> bool:
        """A closed consultation (ticket ``number``) that the published answer already covered, kept
        among the latest ``ALSO_ASKED_KEPT`` for the unit to read; False if it was kept before."""
        if any(seen.get("ticket") == number for seen in self.also_asked):
            return False
        self.also_asked = [{"ticket": number, "question": question, "at": now}, *self.also_asked][:ALSO_ASKED_KEPT]
        return True

    # -- operators' feedback and the review it asks for ------------------------------------

    def give_feedback(self, kind: object, comment: object, by: Author, now: dt.datetime,
                      flag_after: int = FLAG_AFTER) -> list[messages.Event]:
        """An operator's verdict on the published answer: counted, the comment kept among the latest;
        ``knowledge_review_due`` when it tips the entry over ``flag_after``."""
        version = self.published
        if version is None:
            raise TransitionRefused(f"{self.id} has no published answer to give feedback on")
        if kind not in FEEDBACK:
            raise KnowledgeInvalid({"kind": [f"one of {', '.join(FEEDBACK)}"]})
        said = comment.strip() if isinstance(comment, str) else ""
        if len(said) > COMMENT_CHARS:
            raise KnowledgeInvalid({"comment": [f"at most {COMMENT_CHARS} characters"]})
        self.feedback[str(kind)] = self.feedback.get(str(kind), 0) + 1
        self.comments = [{"kind": kind, "comment": said, "by": by.to_doc(), "at": now,
                          "version": version.number}, *self.comments][:COMMENTS_KEPT]
        return self.review_due(now, flag_after)

    def review_due(self, now: dt.datetime, flag_after: int = FLAG_AFTER) -> list[messages.Event]:
        """``knowledge_review_due`` for the reasons not told yet of the published version; none
        for an entry of the centre (no owner to tell: the centre's own pages list it)."""
        version = self.published
        fresh = [r for r in self.due(now, flag_after) if f"{version.number}:{r}" not in self.flagged] \
            if version else []
        if not fresh or version is None:
            return []
        self.flagged = [*self.flagged, *(f"{version.number}:{r}" for r in fresh)]
        if self.owner is None:
            return []
        return [messages.KnowledgeReviewDue(
            entry_id=self.id, department_code=self.owner, version=version.number, reasons=fresh,
            question=version.question, expires_at=version.expires_at, review_at=version.review_at,
            wrong=self.feedback.get("wrong", 0), outdated=self.feedback.get("outdated", 0))]


def imported(entry_id: str, question: str, answer: str, keywords: Sequence[str], now: dt.datetime,
             category: str | None, lang: str, earlier: KnowledgeEntry | None = None,
             expires_at: dt.datetime | None = None, review_at: dt.datetime | None = None) -> KnowledgeEntry:
    """An entry from an administrator's file: published at once as the centre's text (a new
    version of an entry that exists, its owner and history kept). The file's expiry and review
    date are taken as they are, past ones too: an entry that expired is kept, not offered."""
    entry = earlier or KnowledgeEntry(id=entry_id, owner=None, category=category, lang=lang)
    latest = entry.latest
    if latest is not None and latest.state == PUBLISHED and (
            latest.question, latest.answer, latest.keywords, latest.expires_at, latest.review_at) == (
            question, answer, tuple(keywords), expires_at, review_at):
        return entry  # the same file again: nothing new
    number = (latest.number + 1) if latest else 1
    entry.versions = [replace(v, state=SUPERSEDED) if v.state in (PUBLISHED, DRAFT, SUBMITTED) else v
                      for v in entry.versions]
    entry.versions.append(Version(number, question, answer, tuple(keywords), IMPORT, now, PUBLISHED,
                                  expires_at=expires_at, review_at=review_at, decided_by=IMPORT, decided_at=now))
    entry.category, entry.lang = category, lang
    entry.feedback, entry.comments, entry.flagged = dict.fromkeys(FEEDBACK, 0), [], []
    return entry
