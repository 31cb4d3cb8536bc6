"""The event contract between the services: a marshmallow schema for each typed event.

Every event is an envelope -- ``event_id`` (unique), ``occurred_at`` (UTC,
ISO 8601) and ``schema_version`` -- followed by its body. The fields are
declared once, as typed classes in :mod:`shared.contract.messages`; this
module builds the schema of each (``TicketCreated`` here for
``messages.TicketCreated`` there), and ``docs/schemas`` is generated from
these schemas (``make schemas``, :mod:`shared.contract.jsonschema`).

Producers build events with :func:`new_event` (a body as keywords) or
:func:`payload` (a typed event), which dump *and* validate through the
schema, so nothing leaves a service that its consumers could not read.
Consumers load with ``unknown=EXCLUDE`` and require only what they use
(tolerant reader): ``@consumes(events.TicketAssigned)`` hands a handler the
loaded dict, :func:`load` a typed event. Adding a field is free; a breaking
change is a new event type.

Each schema names its source service and event type, matching nameko's
``@event_handler(SOURCE, EVENT_TYPE)``.
"""
import dataclasses
import functools
import types
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contract import messages
from shared.contract.messages import CHANNELS as CHANNELS
from shared.contract.messages import SCHEMA_VERSION as SCHEMA_VERSION
from shared.contract.messages import URGENCIES as URGENCIES
from shared.contract.messages import utcnow as utcnow

E = TypeVar("E", bound=messages.Event)


class Tolerant(Schema):
    """A schema that drops the fields it does not know (tolerant reader)."""

    typed: ClassVar[type]

    class Meta:
        unknown = EXCLUDE


class EventSchema(Tolerant):
    """What every event's schema is: its source service and event type, and its typed class."""

    source: ClassVar[str | None] = None
    event_type: ClassVar[str | None] = None
    typed: ClassVar[type[messages.Event]]


# -- from a typed class to its schema ---------------------------------------------

_SCHEMAS: dict[type, type[Schema]] = {}


def _unwrap(hint: Any) -> tuple[Any, list[validate.Validator], dict[str, Any]]:
    """``(plain type, validators, field options)`` of an annotation: ``Annotated`` gives
    rules (``messages.Length`` ...), ``X | None`` allows null, ``Literal`` the values allowed."""
    rules: list[validate.Validator] = []
    options: dict[str, Any] = {}
    while True:
        origin = get_origin(hint)
        if origin is Annotated:
            hint, *extras = get_args(hint)
            for extra in extras:
                if isinstance(extra, messages.Length):
                    rules.append(validate.Length(min=extra.min, max=extra.max))
                elif isinstance(extra, messages.Range):
                    rules.append(validate.Range(min=extra.min, max=extra.max))
                elif isinstance(extra, messages.Finite):
                    options["allow_nan"] = False
                elif isinstance(extra, messages.TextKeys):
                    options["keys"] = fields.String()
        elif origin is Union or origin is types.UnionType:
            kept = [arg for arg in get_args(hint) if arg is not type(None)]
            if len(kept) != 1:
                raise TypeError(f"an event field holds one type (or null), not {hint!r}")
            options["allow_none"] = True
            hint = kept[0]
        elif origin is Literal:
            choices = get_args(hint)
            rules.append(validate.OneOf(choices))
            hint = type(choices[0])
        else:
            return hint, rules, options


def _field(hint: Any, **options: Any) -> fields.Field[Any]:
    """The marshmallow field for a type annotation."""
    plain, rules, extra = _unwrap(hint)
    options = {**extra, **options}
    if rules:
        options["validate"] = rules[0] if len(rules) == 1 else rules
    origin = get_origin(plain)
    if plain is str:
        return fields.String(**options)
    if plain is bool:
        return fields.Boolean(**options)
    if plain is int:
        return fields.Integer(**options)
    if plain is float:
        return fields.Float(**options)
    if plain is datetime:
        return fields.AwareDateTime(default_timezone=UTC, **options)
    if origin is list:
        (inner,) = get_args(plain)
        return fields.List(_field(inner), **options)
    if plain is dict or origin is dict:
        return fields.Dict(**options)
    if isinstance(plain, type) and dataclasses.is_dataclass(plain):
        return fields.Nested(schema_class(plain), **options)
    raise TypeError(f"no schema field for {hint!r}")


def _fields_of(typed: type, inherited: set[str]) -> dict[str, fields.Field[Any]]:
    hints = get_type_hints(typed, include_extras=True)
    declared: dict[str, fields.Field[Any]] = {}
    for spec in dataclasses.fields(typed):
        if spec.name in inherited:
            continue
        options: dict[str, Any] = {}
        has_default = spec.default is not dataclasses.MISSING or spec.default_factory is not dataclasses.MISSING
        if not has_default or spec.metadata.get("required"):
            options["required"] = True
        elif spec.default_factory is not dataclasses.MISSING:
            options["load_default"] = spec.default_factory
        else:
            options["load_default"] = spec.default
        declared[spec.name] = _field(hints[spec.name], **options)
    return declared


def schema_class(typed: type) -> type[Schema]:
    """The marshmallow schema of a typed class (one per class), named as it is (``Event``'s: ``Envelope``)."""
    known = _SCHEMAS.get(typed)
    if known is not None:
        return known
    parent = next((base for base in typed.__mro__[1:] if dataclasses.is_dataclass(base)), None)
    base: type[Schema] = EventSchema if typed is messages.Event else Tolerant
    if parent is not None:
        base = schema_class(parent)
    inherited = {spec.name for spec in dataclasses.fields(parent)} if parent is not None else set()
    name = "Envelope" if typed is messages.Event else typed.__name__  # the name it always had
    attrs: dict[str, Any] = {"__doc__": typed.__doc__, "__module__": __name__, "__qualname__": name,
                             "typed": typed, **_fields_of(typed, inherited)}
    if typed is not messages.Event and issubclass(typed, messages.Event) and hasattr(typed, "event_type"):
        attrs["source"], attrs["event_type"] = typed.source, typed.event_type  # a base of events has none
    made = cast(type[Schema], type(name, (base,), attrs))
    _SCHEMAS[typed] = made
    return made


def event_schema(typed: type[messages.Event]) -> type[EventSchema]:
    return cast(type[EventSchema], schema_class(typed))


# -- the schemas (the names every service uses) --------------------------------------

Envelope = event_schema(messages.Event)
CodedReason = schema_class(messages.CodedReason)

TicketCreated = event_schema(messages.TicketCreated)
TicketAssigned = event_schema(messages.TicketAssigned)
TicketAwaitingDispatch = event_schema(messages.TicketAwaitingDispatch)
CaseOpened = event_schema(messages.CaseOpened)
DeadlineWatched = event_schema(messages.DeadlineWatched)
CaseSignedFor = event_schema(messages.CaseSignedFor)
CaseRefused = event_schema(messages.CaseRefused)
AssignmentOpened = event_schema(messages.AssignmentOpened)
AssignmentSignedFor = event_schema(messages.AssignmentSignedFor)
AssignmentRefused = event_schema(messages.AssignmentRefused)
RefusalReviewed = event_schema(messages.RefusalReviewed)
AssignmentReplied = event_schema(messages.AssignmentReplied)
AssignmentReviewed = event_schema(messages.AssignmentReviewed)
AssignmentExtensionRequested = event_schema(messages.AssignmentExtensionRequested)
AssignmentExtensionDecided = event_schema(messages.AssignmentExtensionDecided)
AssignmentEnded = event_schema(messages.AssignmentEnded)
ExtensionRequested = event_schema(messages.ExtensionRequested)
ExtensionDecided = event_schema(messages.ExtensionDecided)
ReplySubmitted = event_schema(messages.ReplySubmitted)
ReplyApproved = event_schema(messages.ReplyApproved)
ReplyRejected = event_schema(messages.ReplyRejected)
CallbackRecorded = event_schema(messages.CallbackRecorded)
CaseReopened = event_schema(messages.CaseReopened)
CaseClosed = event_schema(messages.CaseClosed)
TicketEscalated = event_schema(messages.TicketEscalated)
TicketAnswered = event_schema(messages.TicketAnswered)
TicketTransferred = event_schema(messages.TicketTransferred)
TicketLinked = event_schema(messages.TicketLinked)
TicketRebounded = event_schema(messages.TicketRebounded)
CallRinging = event_schema(messages.CallRinging)
CallEnded = event_schema(messages.CallEnded)
TicketStalled = event_schema(messages.TicketStalled)
PersonalDataErased = event_schema(messages.PersonalDataErased)
DepartmentChanged = event_schema(messages.DepartmentChanged)
CalendarYearLoaded = event_schema(messages.CalendarYearLoaded)
ClockMoved = event_schema(messages.ClockMoved)
AppealFiled = event_schema(messages.AppealFiled)
AppealDecided = event_schema(messages.AppealDecided)
CaseRaised = event_schema(messages.CaseRaised)
UnreasonableProposed = event_schema(messages.UnreasonableProposed)
UnreasonableDecided = event_schema(messages.UnreasonableDecided)
HoldProposed = event_schema(messages.HoldProposed)
HoldDecided = event_schema(messages.HoldDecided)
HoldRechecked = event_schema(messages.HoldRechecked)
HoldRecheckDue = event_schema(messages.HoldRecheckDue)
AssessmentPublished = event_schema(messages.AssessmentPublished)
KnowledgeEntryDecided = event_schema(messages.KnowledgeEntryDecided)
KnowledgeReviewDue = event_schema(messages.KnowledgeReviewDue)

# (source, event_type) -> schema, for every event of the contract.
CONTRACT: dict[tuple[str, str], type[EventSchema]] = {
    (typed.source, typed.event_type): event_schema(typed) for typed in messages.EVENTS
}


# -- producing and consuming --------------------------------------------------------

@functools.cache
def schema_for(schema_cls: type[Schema]) -> Schema:
    """One instance per event schema: building one copies every field (about 0.1 ms)."""
    return schema_cls()


def new_event(schema_cls: type[EventSchema], **body: Any) -> dict[str, Any]:
    """Build an event payload: envelope plus body, dumped and validated.

    Raises ``marshmallow.ValidationError`` if the body breaks the contract,
    so a producer bug surfaces where it is made, not in every consumer.
    """
    schema = schema_for(schema_cls)
    payload: dict[str, Any] = schema.dump({
        "event_id": messages.new_event_id(),
        "occurred_at": utcnow(),
        "schema_version": SCHEMA_VERSION,
        **body,
    })
    schema.load(payload)
    return payload


def payload(event: messages.Event) -> dict[str, Any]:
    """The payload of a typed event (its envelope included), dumped and validated."""
    return new_event(event_schema(type(event)), **dataclasses.asdict(event))


def load(typed: type[E], data: Any) -> E:
    """The typed event a payload holds, through its schema (``ValidationError`` if it breaks
    the contract; fields the class does not know are dropped)."""
    loaded: dict[str, Any] = schema_for(event_schema(typed)).load(data)
    return typed(**_typed_values(typed, loaded))


def _typed_values(typed: type, loaded: dict[str, Any]) -> dict[str, Any]:
    """Nested objects (``list[CodedReason]``) as their classes."""
    hints = get_type_hints(typed)
    out = dict(loaded)
    for name, value in loaded.items():
        origin, args = get_origin(hints.get(name)), get_args(hints.get(name))
        if origin is list and args and isinstance(args[0], type) and dataclasses.is_dataclass(args[0]) \
                and isinstance(value, list):
            inner: type = args[0]
            out[name] = [inner(**_typed_values(inner, item)) for item in value]
    return out
