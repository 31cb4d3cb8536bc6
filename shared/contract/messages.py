"""The events between the services as typed classes: the one place each event's fields are declared.

Every event is a frozen dataclass deriving from :class:`Event`, which holds what
every event carries -- ``event_id`` (unique), ``occurred_at`` (UTC) and
``schema_version`` -- and names its ``source`` service and ``event_type``
(nameko's ``@event_handler(SOURCE, EVENT_TYPE)``). A field's type says what
it holds; a field with a default is optional for a consumer (tolerant reader),
one without is required; ``Annotated`` adds a rule (:class:`Length`, :class:`Range`,
:class:`Finite`, :class:`TextKeys`) and ``Literal`` the values allowed.

:mod:`shared.contract.events` builds the marshmallow schema of each class
(``events.TicketCreated`` for ``messages.TicketCreated``): producers validate
and consumers load through it, and ``docs/schemas`` is generated from it
(``make schemas``). So a field added here is in the schema, in the published
JSON Schema and in the typed class at once.

Typed use (the dict-based ``events.new_event(events.TicketCreated, **body)``
stays for the handlers that build dicts)::

    event = messages.TicketCreated(number=..., title=..., urgency="normal", ...)
    payload = events.payload(event)            # validated, ready to publish
    again = events.load(messages.TicketCreated, payload)

Pure Python (no marshmallow, nameko or pymongo): a domain package can build and return
these events.
"""
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

SCHEMA_VERSION = 1


# -- rules a field's type carries (``Annotated``), read by shared.contract.events ------

@dataclass(frozen=True)
class Length:
    """Text (or a list) of ``min`` to ``max`` characters (items)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Range:
    """A number from ``min`` to ``max``."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Finite:
    """A number that is not NaN (nor infinite)."""


@dataclass(frozen=True)
class TextKeys:
    """An object whose keys are text."""


Urgency = Literal["emergency", "urgent", "normal"]
# ``proactive``: no citizen asked; a supervisor opened the case from what insight found (未诉先办).
Channel = Literal["phone", "web", "wechat", "app", "email", "open311", "system", "proactive"]
URGENCIES: tuple[str, ...] = get_args(Urgency)
CHANNELS: tuple[str, ...] = get_args(Channel)
PROACTIVE = "proactive"  # the channel and the request type of a proactive case (主动治理)
CITIZEN_CHANNELS: tuple[str, ...] = tuple(c for c in CHANNELS if c != PROACTIVE)
# What the citizen asks for (诉求类型): 咨询 求助 投诉 举报 建议 表扬, and the hotline's own
# 主动治理 (``proactive``: staff set it, never a citizen's door) (shared.contract.request_types).
RequestType = Literal["consultation", "help", "complaint", "report", "suggestion", "praise", "proactive"]
REQUEST_TYPES: tuple[str, ...] = get_args(RequestType)
CITIZEN_REQUEST_TYPES: tuple[str, ...] = tuple(t for t in REQUEST_TYPES if t != PROACTIVE)

Number = Annotated[str, Length(min=1, max=64)]  # a ticket number (shared.contract.numbering)
Version = Annotated[int, Range(min=1)]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]
CallbackOutcome = Literal["resolved", "partly_resolved", "unresolved", "untrue"]
CallbackChannel = Literal["phone", "sms_link"]
CaseOutcome = Literal["resolved", "partly_resolved", "unresolved", "untrue", "unreasonable"]
Document = dict[str, Any]  # a JSON object the event carries as it is
CallId = Annotated[str, Length(min=1, max=128)]  # a PBX's callId
RecordingUrl = Annotated[str, Length(min=1, max=2048)]  # an http(s) link to a call's recording


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    return uuid.uuid4().hex


REQUIRED = {"required": True}  # a field with a default for producers that consumers still require


@dataclass(frozen=True, kw_only=True)
class Event:
    """Fields every event carries."""

    source: ClassVar[str]
    event_type: ClassVar[str]

    event_id: Annotated[str, Length(min=1, max=64)] = field(default_factory=new_event_id, metadata=REQUIRED)
    occurred_at: datetime = field(default_factory=utcnow, metadata=REQUIRED)
    schema_version: Version = field(default=SCHEMA_VERSION, metadata=REQUIRED)


@dataclass(frozen=True, kw_only=True)
class CodedReason:
    """One reason of a routing decision, coded (``shared.contract.reasons``): the workbench says it
    in the reader's language; ``reasons`` beside it holds the English sentences."""

    code: Annotated[str, Length(min=1, max=64)]
    params: Annotated[dict[str, Any], TextKeys()] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TicketCreated(Event):
    """intake stored a new ticket and wants it dispatched."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "ticket_created"

    number: Number
    title: str
    description: str = ""
    category: str | None = None
    district: str | None = None
    street: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    urgency: Urgency
    channel: Channel
    caller_name: str | None = None  # masked
    caller_phone: str | None = None  # masked
    received_at: datetime
    # Chosen by the operator or given by the door; null when nobody said (routing suggests one).
    request_type: RequestType | None = None
    # Recorded during a call: the PBX's callId and the recording's link (the citizen's voice).
    call_id: CallId | None = None
    recording_url: RecordingUrl | None = None


@dataclass(frozen=True, kw_only=True)
class CoHandler:
    """A co-handling unit (协办) dispatched with the lead."""

    department_code: Annotated[str, Length(min=1, max=64)]
    department_name: Annotated[str, Length(max=200)] = ""


@dataclass(frozen=True, kw_only=True)
class CoHandlerProposal:
    """A co-handling unit (协办) routing's learner proposes beside the lead it ranks best:
    ranked ``rank`` at ``confidence``, at or above the co-handler threshold."""

    department_code: Annotated[str, Length(min=1, max=64)]
    department_name: Annotated[str, Length(max=200)] = ""
    confidence: float
    rank: int
    reasons: list[str] = field(default_factory=list)
    reason_codes: list[CodedReason] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class TicketAssigned(Event):
    """routing decided which department is responsible, and by when."""

    source: ClassVar[str] = "routing"
    event_type: ClassVar[str] = "ticket_assigned"

    number: Number
    department_code: str
    department_name: str
    department_phone: str | None = None
    urgency: Urgency = "normal"  # the deadlines'
    # The urgency the ticket was recorded with; ``urgency`` is stricter when the class implies it.
    asked_urgency: Urgency | None = None
    time_limit_class: str
    deadline: datetime
    sign_for_deadline: datetime
    assigned_at: datetime
    decided_by: str  # "routing" or an operator's name
    decided_by_id: str | None = None  # the dispatcher's user id, when a person decided
    rule: str = ""
    reasons: list[str] = field(default_factory=list)
    reason_codes: list[CodedReason] = field(default_factory=list)
    directory_version: int = 1
    # Re-dispatch after a refusal (退单): the same number, a later attempt, and
    # the department it moves away from; followup moves the case when it sees
    # an assignment for an open case whose department refused it.
    attempt: int = 1
    previous_department_code: str | None = None
    refused_departments: list[str] = field(default_factory=list)
    confidence: float | None = None
    model_version: int = 0
    # When intake received the ticket: with the number, which ticket this is
    # (a number issued twice would otherwise pass for the ticket held before).
    received_at: datetime | None = None
    # What the department is told of the request (the citizen's contact is not here).
    title: str = ""
    # The catalogue category the time limit comes from: picked by the operator,
    # or recognised by routing in the text; null when neither.
    category: str | None = None
    category_source: Literal["picked", "recognised"] | None = None
    # Days the deadlines were counted over that no official calendar covers ([[from, to]]).
    calendar_uncovered: list[list[str]] = field(default_factory=list)
    # Units that work on the case beside the lead (协办); each gets an assignment of its own.
    co_handlers: list[CoHandler] = field(default_factory=list)
    # The request type the time limit also depends on: as given at intake ("given"),
    # suggested by routing's rules ("suggested") or set by a dispatcher ("dispatcher").
    request_type: RequestType | None = None
    request_type_source: Literal["given", "suggested", "dispatcher"] | None = None
    # A dispatcher moved the ticket away from the department that holds it
    # (改派, not a refusal): followup moves the open case.
    redispatched: bool = False


@dataclass(frozen=True, kw_only=True)
class TicketAwaitingDispatch(Event):
    """routing could not decide; the ticket waits in the manual dispatch queue."""

    source: ClassVar[str] = "routing"
    event_type: ClassVar[str] = "ticket_awaiting_dispatch"

    number: Number
    reasons: list[str] = field(default_factory=list)
    reason_codes: list[CodedReason] = field(default_factory=list)
    queued_at: datetime
    # What a dispatcher sees: up to three departments, each
    # {department_code, department_name, confidence (or null), reasons}.
    suggestions: list[Document] = field(default_factory=list)
    attempt: int = 1
    previous_department_code: str | None = None
    refused_departments: list[str] = field(default_factory=list)
    request_type: RequestType | None = None  # as in ticket_assigned
    request_type_source: Literal["given", "suggested", "dispatcher"] | None = None
    # Co-handlers (协办) the learner proposes beside its best: the dispatcher keeps or drops each.
    co_handler_proposals: list[CoHandlerProposal] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CaseOpened(Event):
    """followup opened a case for an assigned ticket and now tracks it."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "case_opened"

    number: Number
    department_code: str
    urgency: Urgency = "normal"
    deadline: datetime
    sign_for_deadline: datetime
    opened_at: datetime
    # 1 for the first department; 2, 3, ... when a refused case is re-routed.
    attempt: int = 1
    previous_department_code: str | None = None
    received_at: datetime | None = None
    time_limit_class: str | None = None
    title: str = ""
    request_type: RequestType | None = None  # from ticket_assigned


@dataclass(frozen=True, kw_only=True)
class DeadlineWatched(Event):
    """notify recorded the deadlines of a case and will chase them."""

    source: ClassVar[str] = "notify"
    event_type: ClassVar[str] = "deadline_watched"

    number: Number
    deadline: datetime
    next_check_at: datetime
    # The assignment watched: its department and attempt (as in case_opened).
    department_code: str | None = None
    attempt: int | None = None


# -- the rest of a case's life (followup) ------------------------------------

@dataclass(frozen=True, kw_only=True)
class CaseSignedFor(Event):
    """The department signed for the case (签收)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "case_signed_for"

    number: Number
    department_code: str
    signed_at: datetime
    actor: str = ""
    on_time: bool = True


@dataclass(frozen=True, kw_only=True)
class CaseRefused(Event):
    """The department says it is not responsible (退单); routing re-routes."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "case_refused"

    number: Number
    department_code: str
    reason: str
    refused_at: datetime
    actor: str = ""
    refusal_count: int = 1
    # The assignment refused (case_opened's attempt): a refusal of an earlier one is history.
    attempt: int | None = None


@dataclass(frozen=True, kw_only=True)
class AssignmentEvent(Event):
    """What every step of one unit's part of a case (tree of assignments) carries."""

    number: Number
    department_code: str  # the lead unit
    unit_code: str  # the unit whose part this is
    role: Literal["lead", "co", "down"]
    parent_unit_code: str = ""  # who passed it down (down), the lead (co)


@dataclass(frozen=True, kw_only=True)
class AssignmentOpened(AssignmentEvent):
    """A co-handling unit (协办) was added, or a unit passed the case down (下派) to a child."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_opened"

    unit_name: str = ""
    assigned_at: datetime
    sign_for_deadline: datetime
    deadline: datetime
    urgency: Urgency = "normal"
    time_limit_class: str = "general"
    title: str = ""
    assigned_by: str = ""
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AssignmentSignedFor(AssignmentEvent):
    """A co-handler or a child unit signed for its part."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_signed_for"

    signed_at: datetime
    actor: str = ""
    on_time: bool = True


@dataclass(frozen=True, kw_only=True)
class AssignmentRefused(AssignmentEvent):
    """A unit refused its part; the refusal waits for review by ``reviewer`` (the parent unit's
    code, or "centre" for the lead and co-handlers: the hotline's dispatchers)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_refused"

    reason: str
    refused_at: datetime
    actor: str = ""
    reviewer: str


@dataclass(frozen=True, kw_only=True)
class RefusalReviewed(AssignmentEvent):
    """A refusal approved (the part ends; the lead's goes to routing as ``case_refused``) or
    rejected with a reason (the unit works on)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "refusal_reviewed"

    approved: bool
    reason: str = ""
    reviewer: str
    actor: str = ""
    reviewed_at: datetime


@dataclass(frozen=True, kw_only=True)
class AssignmentReplied(AssignmentEvent):
    """A co-handler replied (to the lead) or a child unit replied up to its parent."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_replied"

    replied_at: datetime
    on_time: bool = True
    actor: str = ""
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class AssignmentReviewed(AssignmentEvent):
    """The parent unit accepted its child's reply (the part is done) or sent it back."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_reviewed"

    accepted: bool
    reason: str = ""
    reviewer: str
    actor: str = ""
    reviewed_at: datetime


@dataclass(frozen=True, kw_only=True)
class AssignmentExtensionRequested(AssignmentEvent):
    """A co-handler or a child unit asked for more time (延期) for its part's reply; ``reviewer``
    decides (the parent unit's code, or "centre" for a co-handler)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_extension_requested"

    working_days: int
    reason: str = ""
    requested_at: datetime
    actor: str = ""
    reviewer: str
    deadline: datetime  # the part's reply deadline when it asked


@dataclass(frozen=True, kw_only=True)
class AssignmentExtensionDecided(AssignmentEvent):
    """The part's extension granted or denied; ``deadline`` is the part's reply deadline now in
    force (a granted one never passes its parent's)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_extension_decided"

    granted: bool
    working_days: int
    deadline: datetime
    reason: str = ""
    reviewer: str
    actor: str = ""
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class AssignmentEnded(AssignmentEvent):
    """A unit's part is over: ``done`` (a co-handler replied, a child's reply was accepted),
    ``refused`` (its refusal approved) or ``withdrawn`` (the lead changed: what was passed
    down goes with it). Nobody chases the part any more."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "assignment_ended"

    outcome: Literal["done", "refused", "withdrawn"]
    ended_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExtensionRequested(Event):
    """The department asked for more time (延期)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "extension_requested"

    number: Number
    department_code: str
    working_days: int
    reason: str = ""
    requested_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExtensionDecided(Event):
    """An operator granted or denied an extension; ``deadline`` is the one now in force."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "extension_decided"

    number: Number
    department_code: str
    granted: bool
    deadline: datetime
    decided_by: str = ""
    reason: str = ""
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReplySubmitted(Event):
    """The department replied (回复); it awaits review."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "reply_submitted"

    number: Number
    department_code: str
    text: str = ""
    attachments: list[str] = field(default_factory=list)
    # Files uploaded to the case: {id, filename, size, content_type}; fetched from followup.
    files: list[Document] = field(default_factory=list)
    replied_at: datetime
    on_time: bool = True


@dataclass(frozen=True, kw_only=True)
class ReplyApproved(Event):
    """The hotline accepted the reply (审核通过); a callback is due (unless ``callback`` is false)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "reply_approved"

    number: Number
    department_code: str
    text: str = ""
    reviewer: str = ""
    callback_due: datetime | None = None
    approved_at: datetime
    # False: no callback, nothing to tell a citizen -- a proactive case (主动治理) has none,
    # and this approval closes it (case_closed follows).
    callback: bool = True


@dataclass(frozen=True, kw_only=True)
class ReplyRejected(Event):
    """The reply was sent back (打回); ``rejection_count`` counts this case's rejections."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "reply_rejected"

    number: Number
    department_code: str
    reason: str
    reviewer: str = ""
    rejection_count: int
    rejected_at: datetime


@dataclass(frozen=True, kw_only=True)
class CallbackRecorded(Event):
    """An operator called the citizen back (回访)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "callback_recorded"

    number: Number
    department_code: str
    reached: bool
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    attempt: int = 1
    recorded_at: datetime
    # what the callback found (已解决/部分解决/未解决/不属实); absent from older events
    outcome: CallbackOutcome | None = None
    # sms_link: the citizen answered the rating link sent by SMS; absent: a callback agent called
    channel: CallbackChannel | None = None


@dataclass(frozen=True, kw_only=True)
class CaseReopened(Event):
    """The citizen says it is unresolved: back to the department (重办) with new deadlines."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "case_reopened"

    number: Number
    department_code: str
    reason: str = ""
    deadline: datetime
    sign_for_deadline: datetime
    reopened_at: datetime
    reopen_count: int = 1  # this case's reopenings, this one included


@dataclass(frozen=True, kw_only=True)
class CaseClosed(Event):
    """The case is finished (办结); ``reply`` is what the citizen was told."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "case_closed"

    number: Number
    department_code: str
    reply: str = ""
    resolved: bool | None = None
    satisfaction: str | None = None
    closed_at: datetime
    # how it ended: a callback's outcome, or ``unreasonable`` (不合理诉求); None: not reached
    outcome: CaseOutcome | None = None


@dataclass(frozen=True, kw_only=True)
class CaseRaised(Event):
    """Reopened ``reopen_limit`` times, the case is raised a level (提级办理): to
    ``to_department_code`` (the unit's parent), or -- ``None`` -- to the centre's
    leadership, through the dispatchers. routing moves it."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "case_raised"

    number: Number
    department_code: str  # the unit it is raised from
    reason: Annotated[str, Length(max=2000)] = ""
    to_department_code: str | None = None
    reopen_count: int = 0
    attempt: int = 1  # the assignment raised from
    raised_at: datetime


@dataclass(frozen=True, kw_only=True)
class UnreasonableProposed(Event):
    """The department asks the hotline to rule the request unreasonable (不合理诉求)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "unreasonable_proposed"

    number: Number
    department_code: str
    reason: str
    evidence: list[str] = field(default_factory=list)  # links
    files: list[Document] = field(default_factory=list)  # {id, filename, size, content_type}
    actor: str = ""
    proposed_at: datetime


@dataclass(frozen=True, kw_only=True)
class UnreasonableDecided(Event):
    """A reviewer ruled on a proposed 不合理诉求: approved (the case closes,
    ``case_closed`` with outcome ``unreasonable``) or rejected with a reason."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "unreasonable_decided"

    number: Number
    department_code: str
    approved: bool
    reason: str = ""
    decided_by: str = ""
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class HoldProposed(Event):
    """The department asks to put the case on hold (挂账) until ``recheck_on`` (a local day)."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "hold_proposed"

    number: Number
    department_code: str
    reason: str
    recheck_on: Annotated[str, Length(min=10, max=10)]
    recheck_at: datetime  # the day's first moment
    actor: str = ""
    proposed_at: datetime


@dataclass(frozen=True, kw_only=True)
class HoldDecided(Event):
    """A supervisor decided a proposed hold: approved -- on hold, not chased, rechecked
    at ``recheck_at`` -- or rejected with a reason."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "hold_decided"

    number: Number
    department_code: str
    approved: bool
    reason: str = ""
    recheck_on: str | None = None
    recheck_at: datetime | None = None
    decided_by: str = ""
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class HoldRechecked(Event):
    """The hold's day came: the case is back with the department, a reply due by ``deadline``."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "hold_rechecked"

    number: Number
    department_code: str
    deadline: datetime
    sign_for_deadline: datetime | None = None
    recheck_on: str | None = None
    attempt: int = 1
    rechecked_at: datetime


# -- appeals (考核申诉) ---------------------------------------------------------

AppealOutcome = Literal["accepted", "rejected"]


@dataclass(frozen=True, kw_only=True)
class AppealFiled(Event):
    """A department contests a scored event of one of its cases (考核申诉).

    ``entry_id`` names the ledger entry contested (``NUMBER:VERSION:N``); ``scored``
    what it counts against the unit: ``late_sign_for``, ``late_reply``,
    ``reply_rejected`` or ``callback_unsatisfied``."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "appeal_filed"

    appeal_id: Annotated[str, Length(min=1, max=64)]
    number: Number
    entry_id: Annotated[str, Length(min=1, max=200)]
    scored: str
    department_code: str
    reason: str
    links: list[str] = field(default_factory=list)
    files: list[Document] = field(default_factory=list)
    filed_by: str = ""
    filed_at: datetime


@dataclass(frozen=True, kw_only=True)
class AppealDecided(Event):
    """A supervisor accepted (the event leaves the after-appeal figures) or rejected an appeal."""

    source: ClassVar[str] = "followup"
    event_type: ClassVar[str] = "appeal_decided"

    appeal_id: Annotated[str, Length(min=1, max=64)]
    number: Number
    entry_id: Annotated[str, Length(min=1, max=200)]
    scored: str
    department_code: str
    outcome: AppealOutcome
    reason: str
    decided_by: str = ""
    decided_at: datetime


# -- supervision (notify) -----------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class TicketEscalated(Event):
    """notify took a step on the supervision ladder for a case.

    ``level``: ``sign_for_reminder``, ``yellow_card``, ``red_card``,
    ``supervision_1`` .. ``supervision_N`` (督办, rising), or ``rejections``.
    """

    source: ClassVar[str] = "notify"
    event_type: ClassVar[str] = "ticket_escalated"

    number: Number
    department_code: str
    level: str
    reason: str = ""
    deadline: datetime | None = None
    escalated_at: datetime


# -- intake: requests that are not dispatched ------------------------------

@dataclass(frozen=True, kw_only=True)
class TicketAnswered(Event):
    """An operator answered the request on the call from the knowledge base (直接答复)."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "ticket_answered"

    number: Number
    title: str
    category: str | None = None
    district: str | None = None
    channel: Channel
    entry_id: str
    answered_by: str | None = None
    answered_at: datetime


@dataclass(frozen=True, kw_only=True)
class TicketLinked(Event):
    """A request repeats an open ticket (合并工单) and is handled with it, not dispatched."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "ticket_linked"

    number: Number
    linked_to: Number
    reason: str = ""
    category: str | None = None
    district: str | None = None
    channel: Channel
    linked_at: datetime


@dataclass(frozen=True, kw_only=True)
class TicketRebounded(Event):
    """A new ticket comes back to a case closed as solved within the rebound window (防反弹):
    from the same caller about the same matter, or the same category at the same place. It
    is dispatched as usual (``ticket_created``); followup counts the rebound against the unit
    that closed ``rebound_of``. No caller data."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "ticket_rebounded"

    number: Number
    rebound_of: Number
    basis: Literal["caller", "place"]
    reason: str = ""
    reason_codes: list[CodedReason] = field(default_factory=list)
    category: str | None = None
    district: str | None = None
    channel: Channel
    received_at: datetime
    closed_at: datetime  # when ``rebound_of`` closed, as intake's status view has it


@dataclass(frozen=True, kw_only=True)
class TicketTransferred(Event):
    """An operator handed the caller to another line (110, 119, 120, 122, 12315 ...): recorded as
    a ticket of its own, closed at once, never dispatched. No caller data."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "ticket_transferred"

    number: Number
    title: str
    category: str | None = None
    district: str | None = None
    channel: Channel
    urgency: Urgency = "normal"
    line: Annotated[str, Length(min=1, max=32)]  # the line's code: 110, 119, 12315 ...
    line_name: str = ""
    reason: Annotated[str, Length(max=500)] = ""
    reference: Annotated[str, Length(max=128)] | None = None  # the other centre's own reference
    source_system: str | None = None  # when that centre is a source system: it is told too
    call_id: CallId | None = None
    transferred_by: str | None = None
    transferred_at: datetime


@dataclass(frozen=True, kw_only=True)
class TicketStalled(Event):
    """intake's reconciler found a ticket stuck and could not repair it: supervisors must look.

    ``stage``: what the ticket still waits for -- ``dispatch`` (a department or
    the dispatchers' queue), ``case`` (an open case for its assignment),
    ``watch`` (a deadline watch for that case) or ``parts`` (a watch for each
    open part of the case other units hold, and none for a part that is over)
    -- since ``since``, after ``repairs`` attempts to have the services publish
    their part again.
    """

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "ticket_stalled"

    number: Number
    stage: Literal["dispatch", "case", "watch", "parts"]
    attempt: int = 0
    since: datetime
    repairs: int = 0
    reason: Annotated[str, Length(max=1000)] = ""
    department_code: str | None = None
    title: str = ""  # what supervisors are told it is about


# -- the knowledge base (intake) ----------------------------------------------

KnowledgeOutcome = Literal["published", "rejected"]
KnowledgeReviewReason = Literal["expired", "review_date", "feedback"]
EntryId = Annotated[str, Length(min=1, max=64)]


@dataclass(frozen=True, kw_only=True)
class KnowledgeEntryDecided(Event):
    """A reviewer of the centre published a knowledge entry's submitted version, or sent it
    back to the unit that maintains it (``department_code``; None: the centre's) with a reason."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "knowledge_entry_decided"

    entry_id: EntryId
    department_code: str | None = None
    version: Version
    outcome: KnowledgeOutcome
    reason: Annotated[str, Length(max=1000)] = ""
    question: Annotated[str, Length(max=500)] = ""
    decided_by: str = ""
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class KnowledgeReviewDue(Event):
    """A published knowledge entry must be looked at again by its unit: ``reasons`` --
    ``expired`` (no longer offered to operators), ``review_date`` (its review date came),
    ``feedback`` (operators said wrong or outdated ``wrong`` + ``outdated`` times). Once
    per version and reason."""

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "knowledge_review_due"

    entry_id: EntryId
    department_code: str
    version: Version
    reasons: Annotated[list[KnowledgeReviewReason], Length(min=1, max=3)]
    question: Annotated[str, Length(max=500)] = ""
    expires_at: datetime | None = None
    review_at: datetime | None = None
    wrong: int = 0
    outdated: int = 0


@dataclass(frozen=True, kw_only=True)
class HoldRecheckDue(Event):
    """notify: the recheck day of a case on hold (挂账) has come; followup takes it back."""

    source: ClassVar[str] = "notify"
    event_type: ClassVar[str] = "hold_recheck_due"

    number: Number
    department_code: str
    recheck_at: datetime  # the hold's, as followup announced it
    due_at: datetime


# -- the phone floor (callcentre) --------------------------------------------

@dataclass(frozen=True, kw_only=True)
class CallRinging(Event):
    """An inbound call rings for operators (a PBX's ``newCall`` naming ``user[]``): the
    workbench pops the caller's history; the full number is asked of callcentre
    (``ringing_for``) by the operator it rings for."""

    source: ClassVar[str] = "callcentre"
    event_type: ClassVar[str] = "call_ringing"

    call_id: Annotated[str, Length(min=1, max=250)]
    caller_phone: str | None = None  # masked
    queue: str | None = None
    users: list[str] = field(default_factory=list)
    ringing_at: datetime


@dataclass(frozen=True, kw_only=True)
class CallEnded(Event):
    """A call ended, with its record folded from every event known so far. Sent again when a
    late event changes an ended call's record: keep the one with the most ``events``."""

    source: ClassVar[str] = "callcentre"
    event_type: ClassVar[str] = "call_ended"

    call_id: Annotated[str, Length(min=1, max=250)]
    direction: Literal["in", "out"]
    caller_phone: str | None = None  # masked
    queue: str | None = None
    agent: str | None = None
    outcome: Literal["answered", "abandoned", "unanswered", "forwarded"]
    cause: str | None = None
    ringing_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    recording_url: str | None = None
    events: int


# -- privacy: personal data kept no longer than needed ----------------------

@dataclass(frozen=True, kw_only=True)
class PersonalDataErased(Event):
    """intake erased a closed ticket's personal data; every service scrubs its own copy.

    Sent once the ticket has been closed for ``PERSONAL_DATA_RETENTION_DAYS``:
    names, phones and e-mail addresses go, addresses and exact places go, and
    free text keeps no phone, ID-card or bank-card numbers or e-mail addresses.
    """

    source: ClassVar[str] = "intake"
    event_type: ClassVar[str] = "personal_data_erased"

    number: Number
    closed_at: datetime | None = None
    erased_at: datetime


# -- the city's directory and calendar (routing), the demo clock (notify) -----

@dataclass(frozen=True, kw_only=True)
class DepartmentChanged(Event):
    """routing's directory changed: a department added, updated (renamed, new
    contacts, moved in the tree, new duties) or retired. ``version`` is the
    directory version of the change; a consumer keeps a department only if the
    version is newer than its own. ``department`` carries ``parent`` (the code of
    the unit it belongs to, "" at the top; see shared/contract/units.py) and
    ``duties`` (its 职责清单); an older event without them means "" and []."""

    source: ClassVar[str] = "routing"
    event_type: ClassVar[str] = "department_changed"

    action: Literal["seed", "add", "update", "retire"]
    department: Document  # code, name, name_en, phone, kind, retired, contacts, parent, duties
    version: Version
    changed_by: str = ""
    reason: str = ""
    changed_at: datetime


@dataclass(frozen=True, kw_only=True)
class CalendarYearLoaded(Event):
    """An administrator loaded the city's calendar of a year (holidays and working
    weekends, see shared/timelimits/calendar_files.py); ``document`` is the year as loaded."""

    source: ClassVar[str] = "routing"
    event_type: ClassVar[str] = "calendar_year_loaded"

    year: Annotated[int, Range(min=1990, max=2200)]
    version: Version
    document: Document
    loaded_by: str = ""
    loaded_at: datetime


@dataclass(frozen=True, kw_only=True)
class ClockMoved(Event):
    """Demo mode only: notify moved the shared clock; every service follows."""

    source: ClassVar[str] = "notify"
    event_type: ClassVar[str] = "clock_moved"

    offset_seconds: Annotated[float, Range(min=-400 * 86400, max=400 * 86400), Finite()]
    version: Version
    moved_by: str = ""
    moved_at: datetime


@dataclass(frozen=True, kw_only=True)
class AssessmentPublished(Event):
    """insight generated a month's assessment of the units (考核通报): notify mails the
    supervisors a link to it (``path``, in the workbench)."""

    source: ClassVar[str] = "insight"
    event_type: ClassVar[str] = "assessment_published"

    month: Annotated[str, Length(min=7, max=7)]  # YYYY-MM
    path: Annotated[str, Length(min=1, max=200)]
    units: int = 0
    cases: int = 0
    below_city: list[str] = field(default_factory=list)  # units whose adjusted score is really below
    generated_at: datetime


# Every event of the contract, in the order the contract grew.
EVENTS: tuple[type[Event], ...] = (
    TicketCreated, TicketAssigned, TicketAwaitingDispatch, CaseOpened, DeadlineWatched, CaseSignedFor,
    CaseRefused, AssignmentOpened, AssignmentSignedFor, AssignmentRefused, RefusalReviewed, AssignmentReplied,
    AssignmentReviewed, ExtensionRequested, ExtensionDecided, ReplySubmitted, ReplyApproved, ReplyRejected,
    CallbackRecorded, CaseReopened, CaseClosed, TicketEscalated, TicketAnswered, TicketLinked,
    TicketStalled, PersonalDataErased, DepartmentChanged, CalendarYearLoaded, ClockMoved,
    AppealFiled, AppealDecided, CaseRaised, UnreasonableProposed, UnreasonableDecided, HoldProposed,
    HoldDecided, HoldRechecked, HoldRecheckDue, AssignmentExtensionRequested, AssignmentExtensionDecided,
    AssignmentEnded, TicketTransferred, CallRinging, CallEnded, AssessmentPublished, TicketRebounded,
    KnowledgeEntryDecided, KnowledgeReviewDue,
)
