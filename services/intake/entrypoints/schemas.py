"""The shape of a request at intake's door (HTTP and RPC).

Structure is checked here; errors name the field. Text is trimmed, must be
text (a ``�`` means the sender's bytes were not UTF-8: refused, never
stored), and titles and descriptions must say something. A phone number must
be one China's numbering plan allows (a mobile, or a landline with its area
code), or an international number with ``+`` -- checked with ``phonenumbers``,
Google's libphonenumber metadata.
"""
import functools
import re

import phonenumbers
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from shared.contract import request_types
from shared.contract.events import URGENCIES
from shared.contract.field_errors import message
from shared.contract.messages import CITIZEN_CHANNELS, PROACTIVE

SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
EXTENSION = re.compile(r"^(.*\d)\s*(?:-|转|ext\.?|x)\s*(\d{1,6})$", re.IGNORECASE)
CALLER_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE, phonenumbers.PhoneNumberType.VOIP,
                phonenumbers.PhoneNumberType.PERSONAL_NUMBER}
# Over HTTP a request comes from a form or an app; phone calls are recorded by the
# operators who take them (RPC, the workbench), Open311 and AMQP have their own doors.
HTTP_CHANNELS = ("web", "wechat", "app", "email", "system")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _caller_number(text):
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in CALLER_TYPES:
        return number
    return None


def valid_phone(value):
    """A mobile (11 digits: 138 1234 5678), a landline with its area code (0532-88886666, an
    extension -123 allowed), or an international number with a leading +."""
    text = value.strip()
    if text.startswith("00"):  # 00 is the international prefix, not part of a caller's number
        if _caller_number("+" + text[2:]) is not None:
            raise ValidationError(message("phone_00"))
    elif _caller_number(text) is not None:
        return
    else:
        extension = EXTENSION.match(text)
        base = _caller_number(extension.group(1)) if extension else None
        if base is not None and phonenumbers.number_type(base) == phonenumbers.PhoneNumberType.FIXED_LINE:
            return
    raise ValidationError(message("phone"))


def printable(value):
    """Printable characters only (a PBX's call id: no tabs, line breaks or control codes)."""
    if value is not None and not value.isprintable():
        raise ValidationError("printable characters only")


class Text(fields.String):
    """Text a person typed: trimmed, decoded (no ``�``), no control characters.

    ``blank=False`` refuses text that is empty once trimmed; ``blank="absent"``
    takes ``""`` as not given but refuses spaces alone (a description of
    nothing); otherwise an optional field given only spaces is not given.
    """

    def __init__(self, *args, blank=True, **kwargs):
        self.blank = blank
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        text = raw.strip()
        if "\ufffd" in text:
            raise ValidationError(message("unreadable"))
        if CONTROL.search(text):
            raise ValidationError(message("control"))
        if not text and (self.blank is False or (self.blank == "absent" and raw)):
            raise ValidationError(message("blank"))
        return text if text or self.required or self.load_default == "" else None

    def _validate(self, value):
        if value is not None:  # spaces alone, on an optional field: not given
            super()._validate(value)


class RequestType(fields.String):
    """A citizen's request type (诉求类型): its code or its Chinese word (``投诉`` is ``complaint``);
    empty is not given. 主动治理 (``proactive``) is no citizen's: only the supervisors' door sets it."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = super()._deserialize(value, attr, data, **kwargs)
        code = request_types.parse(text)
        if code is None or code == PROACTIVE:
            raise ValidationError(message("one_of", choices=", ".join(request_types.CITIZEN_REQUEST_TYPES)))
        return code


class TicketRequest(Schema):
    """A citizen's request as an operator, a web form or an API client sends it."""

    class Meta:
        unknown = EXCLUDE

    title = Text(required=True, blank=False, validate=validate.Length(min=2, max=200))
    description = Text(load_default="", blank="absent", validate=validate.Length(max=4000))
    caller_name = Text(allow_none=True, load_default=None, validate=validate.Length(max=100))
    caller_phone = Text(allow_none=True, load_default=None, validate=valid_phone)
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64),
                             metadata={"description": "a service code of the catalogue (Open311 services.json)"})
    district = fields.String(allow_none=True, load_default=None,
                             metadata={"description": "one of the city's districts, e.g. 市南区"})
    street = Text(allow_none=True, load_default=None, validate=validate.Length(max=100))
    address = Text(allow_none=True, load_default=None, validate=validate.Length(max=300))
    lat = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-90, 90))
    lng = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-180, 180))
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    channel = fields.String(load_default="phone", validate=validate.OneOf(CITIZEN_CHANNELS))
    request_type = RequestType(allow_none=True, load_default=None, metadata={
        "enum": list(request_types.CITIZEN_REQUEST_TYPES),
        "description": "咨询 consultation, 求助 help, 投诉 complaint, 举报 report, 建议 suggestion or "
                       "表扬 praise (the Chinese word is accepted too); routing suggests one when not given"})
    caller_email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    media_url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"},
                           validate=validate.Length(max=2000))
    # The call it was recorded during (a screen pop fills them in): staff see them, citizens never.
    call_id = Text(allow_none=True, load_default=None, validate=[validate.Length(min=1, max=128), printable],
                   metadata={"description": "the PBX's callId of the call the request was taken on"})
    recording_url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"}, require_tld=False,
                               validate=validate.Length(max=2048),
                               metadata={"description": "a link to the call's recording (http or https)"})
    # Another system's own id for the request: the pair is accepted once.
    source_system = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(
        SOURCE_NAME, error="letters, digits, - and _ only (at most 64)"))
    external_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=128))

    def __init__(self, districts=(), categories=(), **kwargs):
        super().__init__(**kwargs)
        self.districts = set(districts)
        self.categories = set(categories)

    @validates("category")
    def known_category(self, value, **kwargs):
        if value is not None and self.categories and value not in self.categories:
            raise ValidationError(message("unknown_category"))

    @validates("district")
    def known_district(self, value, **kwargs):
        if value is not None and self.districts and value not in self.districts:
            raise ValidationError(message("unknown_district", districts=", ".join(sorted(self.districts))))


@functools.lru_cache(maxsize=16)
def _schema(schema_cls, districts, categories):
    # Building a schema copies every field (about 0.07 ms); the city and catalogue rarely change.
    return schema_cls(districts=districts, categories=categories)


def load_request(data, districts, categories=(), schema_cls=None):
    """Validated request, or ``ValidationError`` with ``messages`` by field."""
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["the request must be a JSON object"]})
    schema = _schema(schema_cls or TicketRequest, tuple(districts), tuple(categories))
    request = schema.load(data)
    if (request["lat"] is None) != (request["lng"] is None):
        raise ValidationError({"lat" if request["lat"] is None else "lng":
                               [message("both_coordinates")]})
    if (request["source_system"] is None) != (request["external_id"] is None):
        raise ValidationError({"external_id" if request["external_id"] is None else "source_system":
                               ["give both source_system and external_id, or neither"]})
    return request


class HttpTicketRequest(TicketRequest):
    """``POST /tickets``: a web form or an app. ``channel`` says which (``web`` if
    not given), and never ``phone``: a call is recorded by the operator who takes it."""

    channel = fields.String(load_default="web", validate=validate.OneOf(
        HTTP_CHANNELS, error="one of " + ", ".join(HTTP_CHANNELS) +
        " (phone calls are recorded by the operators who take them)"))


class InboundSubmission(TicketRequest):
    """A ticket another government system submits over AMQP (``ticket.submit``).

    The ticket fields, plus who sends it and its own id for it; the API key
    may come in the body or in the message header ``api_key``.
    """

    source_system = fields.String(required=True, validate=validate.Regexp(
        SOURCE_NAME, error="letters, digits, - and _ only (at most 64)"))
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    api_key = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    channel = fields.String(load_default="system", validate=validate.OneOf(CITIZEN_CHANNELS))


class InboundReceipt(Schema):
    """The answer to a ticket.submit, routed back with key ticket.receipt.<source_system>.

    ``accepted`` with the ticket ``number`` the citizen can quote -- this
    submission's own, also when it repeats an open ticket (``outcome:
    linked``; ``received_as`` is the same number) -- or not accepted with
    ``errors`` by field.
    """

    source_system = fields.String(required=True)
    external_id = fields.String(allow_none=True)
    accepted = fields.Boolean(required=True)
    at = fields.AwareDateTime(required=True)
    outcome = fields.String(validate=validate.OneOf(("created", "existing", "linked")))
    number = fields.String()
    received_as = fields.String()
    status = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ReceiptDepartment(Schema):
    code = fields.String(required=True)
    name = fields.String(allow_none=True)


class ProgressReceipt(Schema):
    """What became of a ticket another system submitted, routed to it with key
    ``ticket.receipt.<source_system>`` (beside the receipt of its submission, which has
    ``accepted`` where this has ``kind``): once per step, ``receipt_id`` the same if the
    step is ever sent again.

    ``dispatched``: to which department, by when (``deadline``); ``replied``: the reply the
    hotline approved (``reply``); ``closed``: ``outcome`` and the reply the citizen was given.
    ``transferred``: a call the hotline's operator handed to this system's line, with what
    the caller said. Never the caller's name or phone.
    """

    receipt_id = fields.String(required=True, metadata={"description": "the same for a step sent again"})
    kind = fields.String(required=True, validate=validate.OneOf(("dispatched", "replied", "closed", "transferred")))
    source_system = fields.String(required=True)
    external_id = fields.String(allow_none=True, metadata={
        "description": "the submitter's own id for it (for a transfer: the line's reference, if given)"})
    number = fields.String(required=True, metadata={"description": "the hotline's ticket number"})
    at = fields.AwareDateTime(required=True, metadata={"description": "when the step happened"})
    department = fields.Nested(ReceiptDepartment, allow_none=True)
    deadline = fields.AwareDateTime(allow_none=True)
    reply = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    line = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    call_id = fields.String(allow_none=True)


class ProactiveType(RequestType):
    """主动治理 (``proactive``) and nothing else."""

    def _deserialize(self, value, attr, data, **kwargs):
        if request_types.parse(value) != PROACTIVE:
            raise ValidationError(message("one_of", choices=PROACTIVE))
        return PROACTIVE


class ProactiveRequest(TicketRequest):
    """A proactive case (主动治理) a supervisor opens from insight's finding (``domain/proactive.py``,
    which gives no caller): its own channel and type, which no citizen's door takes."""

    channel = fields.String(load_default=PROACTIVE, validate=validate.OneOf([PROACTIVE]))
    request_type = ProactiveType(load_default=PROACTIVE)
