"""The event contract between the services.

Every event is an envelope -- ``event_id`` (unique), ``occurred_at`` (UTC,
ISO 8601) and ``schema_version`` -- followed by its body. Producers build
events with :func:`new_event`, which dumps *and* validates through the
schema, so nothing leaves a service that its consumers could not read.
Consumers load with ``unknown=EXCLUDE`` and require only what they use
(tolerant reader). Adding a field is free; a breaking change is a new
event type.

Each schema names its source service and event type, matching nameko's
``@event_handler(SOURCE, EVENT_TYPE)``.
"""
import functools
import uuid
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, fields, validate

SCHEMA_VERSION = 1

URGENCIES = ("emergency", "urgent", "normal")
CHANNELS = ("phone", "web", "wechat", "app", "email", "open311", "system")


def utcnow():
    return datetime.now(UTC)


class Envelope(Schema):
    """Fields every event carries."""

    source = None
    event_type = None

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))


class CodedReason(Schema):
    """One reason of a routing decision, coded (``shared.contract.reasons``): the workbench says it
    in the reader's language; ``reasons`` beside it holds the English sentences."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    params = fields.Dict(keys=fields.String(), load_default=dict)


class TicketCreated(Envelope):
    """intake stored a new ticket and wants it dispatched."""

    source, event_type = "intake", "ticket_created"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True)
    description = fields.String(load_default="")
    category = fields.String(allow_none=True, load_default=None)
    district = fields.String(allow_none=True, load_default=None)
    street = fields.String(allow_none=True, load_default=None)
    address = fields.String(allow_none=True, load_default=None)
    lat = fields.Float(allow_none=True, load_default=None)
    lng = fields.Float(allow_none=True, load_default=None)
    urgency = fields.String(required=True, validate=validate.OneOf(URGENCIES))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    caller_name = fields.String(allow_none=True, load_default=None)  # masked
    caller_phone = fields.String(allow_none=True, load_default=None)  # masked
    received_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class TicketAssigned(Envelope):
    """routing decided which department is responsible, and by when."""

    source, event_type = "routing", "ticket_assigned"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    department_name = fields.String(required=True)
    department_phone = fields.String(allow_none=True, load_default=None)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))  # the deadlines'
    # The urgency the ticket was recorded with; ``urgency`` is stricter when the class implies it.
    asked_urgency = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(URGENCIES))
    time_limit_class = fields.String(required=True)
    deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    sign_for_deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    assigned_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    decided_by = fields.String(required=True)  # "routing" or an operator's name
    rule = fields.String(load_default="")
    reasons = fields.List(fields.String(), load_default=list)
    reason_codes = fields.List(fields.Nested(CodedReason), load_default=list)
    directory_version = fields.Integer(load_default=1)
    # Re-dispatch after a refusal (退单): the same number, a later attempt, and
    # the department it moves away from; followup moves the case when it sees
    # an assignment for an open case whose department refused it.
    attempt = fields.Integer(load_default=1)
    previous_department_code = fields.String(allow_none=True, load_default=None)
    refused_departments = fields.List(fields.String(), load_default=list)
    confidence = fields.Float(allow_none=True, load_default=None)
    model_version = fields.Integer(load_default=0)
    # When intake received the ticket: with the number, which ticket this is
    # (a number issued twice would otherwise pass for the ticket held before).
    received_at = fields.AwareDateTime(allow_none=True, load_default=None,
                                       default_timezone=UTC)
    # What the department is told of the request (the citizen's contact is not here).
    title = fields.String(load_default="")
    # The catalogue category the time limit comes from: picked by the operator,
    # or recognised by routing in the text; null when neither.
    category = fields.String(allow_none=True, load_default=None)
    category_source = fields.String(allow_none=True, load_default=None,
                                    validate=validate.OneOf(("picked", "recognised")))
    # Days the deadlines were counted over that no official calendar covers ([[from, to]]).
    calendar_uncovered = fields.List(fields.List(fields.String()), load_default=list)
    # A dispatcher moved the ticket away from the department that holds it
    # (改派, not a refusal): followup moves the open case.
    redispatched = fields.Boolean(load_default=False)


class TicketAwaitingDispatch(Envelope):
    """routing could not decide; the ticket waits in the manual dispatch queue."""

    source, event_type = "routing", "ticket_awaiting_dispatch"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reasons = fields.List(fields.String(), load_default=list)
    reason_codes = fields.List(fields.Nested(CodedReason), load_default=list)
    queued_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    # What a dispatcher sees: up to three departments, each
    # {department_code, department_name, confidence (or null), reasons}.
    suggestions = fields.List(fields.Dict(), load_default=list)
    attempt = fields.Integer(load_default=1)
    previous_department_code = fields.String(allow_none=True, load_default=None)
    refused_departments = fields.List(fields.String(), load_default=list)


class CaseOpened(Envelope):
    """followup opened a case for an assigned ticket and now tracks it."""

    source, event_type = "followup", "case_opened"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    sign_for_deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    opened_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    # 1 for the first department; 2, 3, ... when a refused case is re-routed.
    attempt = fields.Integer(load_default=1)
    previous_department_code = fields.String(allow_none=True, load_default=None)
    received_at = fields.AwareDateTime(allow_none=True, load_default=None,
                                       default_timezone=UTC)
    time_limit_class = fields.String(allow_none=True, load_default=None)
    title = fields.String(load_default="")


class DeadlineWatched(Envelope):
    """notify recorded the deadlines of a case and will chase them."""

    source, event_type = "notify", "deadline_watched"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    next_check_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    # The assignment watched: its department and attempt (as in case_opened).
    department_code = fields.String(allow_none=True, load_default=None)
    attempt = fields.Integer(allow_none=True, load_default=None)


# -- the rest of a case's life (followup) ------------------------------------

class CaseSignedFor(Envelope):
    """The department signed for the case (签收)."""

    source, event_type = "followup", "case_signed_for"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    signed_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    actor = fields.String(load_default="")
    on_time = fields.Boolean(load_default=True)


class CaseRefused(Envelope):
    """The department says it is not responsible (退单); routing re-routes."""

    source, event_type = "followup", "case_refused"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    reason = fields.String(required=True)
    refused_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    actor = fields.String(load_default="")
    refusal_count = fields.Integer(load_default=1)
    # The assignment refused (case_opened's attempt): a refusal of an earlier one is history.
    attempt = fields.Integer(allow_none=True, load_default=None)


class ExtensionRequested(Envelope):
    """The department asked for more time (延期)."""

    source, event_type = "followup", "extension_requested"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    working_days = fields.Integer(required=True)
    reason = fields.String(load_default="")
    requested_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class ExtensionDecided(Envelope):
    """An operator granted or denied an extension; ``deadline`` is the one now in force."""

    source, event_type = "followup", "extension_decided"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    granted = fields.Boolean(required=True)
    deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    decided_by = fields.String(load_default="")
    reason = fields.String(load_default="")
    decided_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class ReplySubmitted(Envelope):
    """The department replied (回复); it awaits review."""

    source, event_type = "followup", "reply_submitted"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    text = fields.String(load_default="")
    attachments = fields.List(fields.String(), load_default=list)
    # Files uploaded to the case: {id, filename, size, content_type}; fetched from followup.
    files = fields.List(fields.Dict(), load_default=list)
    replied_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    on_time = fields.Boolean(load_default=True)


class ReplyApproved(Envelope):
    """The hotline accepted the reply (审核通过); a callback is due."""

    source, event_type = "followup", "reply_approved"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    text = fields.String(load_default="")
    reviewer = fields.String(load_default="")
    callback_due = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)
    approved_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class ReplyRejected(Envelope):
    """The reply was sent back (打回); ``rejection_count`` counts this case's rejections."""

    source, event_type = "followup", "reply_rejected"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    reason = fields.String(required=True)
    reviewer = fields.String(load_default="")
    rejection_count = fields.Integer(required=True)
    rejected_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class CallbackRecorded(Envelope):
    """An operator called the citizen back (回访)."""

    source, event_type = "followup", "callback_recorded"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    reached = fields.Boolean(required=True)
    resolved = fields.Boolean(allow_none=True, load_default=None)
    satisfaction = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(
        ("satisfied", "basically_satisfied", "dissatisfied")))
    attempt = fields.Integer(load_default=1)
    recorded_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class CaseReopened(Envelope):
    """The citizen says it is unresolved: back to the department (重办) with new deadlines."""

    source, event_type = "followup", "case_reopened"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    reason = fields.String(load_default="")
    deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    sign_for_deadline = fields.AwareDateTime(required=True, default_timezone=UTC)
    reopened_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    reopen_count = fields.Integer(load_default=1)  # this case's reopenings, this one included


class CaseClosed(Envelope):
    """The case is finished (办结); ``reply`` is what the citizen was told."""

    source, event_type = "followup", "case_closed"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    reply = fields.String(load_default="")
    resolved = fields.Boolean(allow_none=True, load_default=None)
    satisfaction = fields.String(allow_none=True, load_default=None)
    closed_at = fields.AwareDateTime(required=True, default_timezone=UTC)


# -- supervision (notify) -----------------------------------------------------

class TicketEscalated(Envelope):
    """notify took a step on the supervision ladder for a case.

    ``level``: ``sign_for_reminder``, ``yellow_card``, ``red_card``,
    ``supervision_1`` .. ``supervision_N`` (督办, rising), or ``rejections``.
    """

    source, event_type = "notify", "ticket_escalated"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_code = fields.String(required=True)
    level = fields.String(required=True)
    reason = fields.String(load_default="")
    deadline = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)
    escalated_at = fields.AwareDateTime(required=True, default_timezone=UTC)


CONTRACT = {
    (schema.source, schema.event_type): schema
    for schema in (TicketCreated, TicketAssigned, TicketAwaitingDispatch,
                   CaseOpened, DeadlineWatched, CaseSignedFor, CaseRefused,
                   ExtensionRequested, ExtensionDecided, ReplySubmitted, ReplyApproved,
                   ReplyRejected, CallbackRecorded, CaseReopened, CaseClosed,
                   TicketEscalated)
}


@functools.cache
def schema_for(schema_cls):
    """One instance per event schema: building one copies every field (about 0.1 ms)."""
    return schema_cls()


def new_event(schema_cls, **body):
    """Build an event payload: envelope plus body, dumped and validated.

    Raises ``marshmallow.ValidationError`` if the body breaks the contract,
    so a producer bug surfaces where it is made, not in every consumer.
    """
    schema = schema_for(schema_cls)
    payload = schema.dump({
        "event_id": uuid.uuid4().hex,
        "occurred_at": utcnow(),
        "schema_version": SCHEMA_VERSION,
        **body,
    })
    schema.load(payload)
    return payload


# -- intake: requests that are not dispatched ------------------------------

class TicketAnswered(Envelope):
    """An operator answered the request on the call from the knowledge base (直接答复)."""

    source, event_type = "intake", "ticket_answered"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True)
    category = fields.String(allow_none=True, load_default=None)
    district = fields.String(allow_none=True, load_default=None)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    entry_id = fields.String(required=True)
    answered_by = fields.String(allow_none=True, load_default=None)
    answered_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class TicketLinked(Envelope):
    """A request repeats an open ticket (合并工单) and is handled with it, not dispatched."""

    source, event_type = "intake", "ticket_linked"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    linked_to = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="")
    category = fields.String(allow_none=True, load_default=None)
    district = fields.String(allow_none=True, load_default=None)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    linked_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class TicketStalled(Envelope):
    """intake's reconciler found a ticket stuck and could not repair it: supervisors must look.

    ``stage``: what the ticket still waits for -- ``dispatch`` (a department or
    the dispatchers' queue), ``case`` (an open case for its assignment) or
    ``watch`` (a deadline watch for that case) -- since ``since``, after
    ``repairs`` attempts to have the services publish their part again.
    """

    source, event_type = "intake", "ticket_stalled"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    stage = fields.String(required=True, validate=validate.OneOf(("dispatch", "case", "watch")))
    attempt = fields.Integer(load_default=0)
    since = fields.AwareDateTime(required=True, default_timezone=UTC)
    repairs = fields.Integer(load_default=0)
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    department_code = fields.String(allow_none=True, load_default=None)
    title = fields.String(load_default="")  # what supervisors are told it is about


CONTRACT.update({(schema.source, schema.event_type): schema
                 for schema in (TicketAnswered, TicketLinked, TicketStalled)})


# -- privacy: personal data kept no longer than needed ----------------------

class PersonalDataErased(Envelope):
    """intake erased a closed ticket's personal data; every service scrubs its own copy.

    Sent once the ticket has been closed for ``PERSONAL_DATA_RETENTION_DAYS``:
    names, phones and e-mail addresses go, addresses and exact places go, and
    free text keeps no phone, ID-card or bank-card numbers or e-mail addresses.
    """

    source, event_type = "intake", "personal_data_erased"

    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    closed_at = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=UTC)
    erased_at = fields.AwareDateTime(required=True, default_timezone=UTC)


CONTRACT[(PersonalDataErased.source, PersonalDataErased.event_type)] = PersonalDataErased
# -- the city's directory and calendar (routing), the demo clock (notify) -----

class DepartmentChanged(Envelope):
    """routing's directory changed: a department added, updated (renamed, new
    contacts) or retired. ``version`` is the directory version of the change;
    a consumer keeps a department only if the version is newer than its own."""

    source, event_type = "routing", "department_changed"

    action = fields.String(required=True, validate=validate.OneOf(("seed", "add", "update", "retire")))
    department = fields.Dict(required=True)  # code, name, name_en, phone, kind, retired, contacts
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    changed_by = fields.String(load_default="")
    reason = fields.String(load_default="")
    changed_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class CalendarYearLoaded(Envelope):
    """An administrator loaded the city's calendar of a year (holidays and working
    weekends, see shared/timelimits/calendar_files.py); ``document`` is the year as loaded."""

    source, event_type = "routing", "calendar_year_loaded"

    year = fields.Integer(required=True, validate=validate.Range(min=1990, max=2200))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    document = fields.Dict(required=True)
    loaded_by = fields.String(load_default="")
    loaded_at = fields.AwareDateTime(required=True, default_timezone=UTC)


class ClockMoved(Envelope):
    """Demo mode only: notify moved the shared clock; every service follows."""

    source, event_type = "notify", "clock_moved"

    offset_seconds = fields.Float(required=True, allow_nan=False,
                                  validate=validate.Range(min=-400 * 86400, max=400 * 86400))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    moved_by = fields.String(load_default="")
    moved_at = fields.AwareDateTime(required=True, default_timezone=UTC)


CONTRACT.update({(schema.source, schema.event_type): schema
                 for schema in (DepartmentChanged, CalendarYearLoaded, ClockMoved)})
