"""The shape of a request at intake's door (HTTP and RPC).

Structure is checked here; errors name the field.
"""
import functools
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from shared.events import CHANNELS, URGENCIES

MOBILE = re.compile(r"^1[3-9]\d{9}$")                 # 13812345678
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")  # 0532-88886666[-123]
INTERNATIONAL = re.compile(r"^\+\d{7,15}$")            # +14155550123
SERVICE_NUMBER = re.compile(r"^\d{5}$")                # 12345-style short numbers
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def valid_phone(value):
    """A mobile (13812345678), a landline with its area code (0532-88886666), an
    international number with a leading +, or a five-digit service number."""
    compact = re.sub(r"[\s()]", "", value)
    if compact.startswith("+86"):
        compact = compact[3:].lstrip("-")
    if MOBILE.match(compact.replace("-", "")):  # 138-5321-2345
        return
    if not any(p.match(compact) for p in (MOBILE, LANDLINE, INTERNATIONAL, SERVICE_NUMBER)):
        raise ValidationError(
            "not a phone number: use a mobile (13812345678), a landline with area code "
            "(0532-88886666) or an international number with a leading +")


class TicketRequest(Schema):
    """A citizen's request as an operator, a web form or an API client sends it."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(required=True, validate=validate.Length(min=2, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    caller_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    caller_phone = fields.String(allow_none=True, load_default=None, validate=valid_phone)
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64),
                             metadata={"description": "a service code of the catalogue (Open311 services.json)"})
    district = fields.String(allow_none=True, load_default=None,
                             metadata={"description": "one of the city's districts, e.g. 市南区"})
    street = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=300))
    lat = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-90, 90))
    lng = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-180, 180))
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    channel = fields.String(load_default="phone", validate=validate.OneOf(CHANNELS))
    caller_email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    media_url = fields.Url(allow_none=True, load_default=None, schemes={"http", "https"},
                           validate=validate.Length(max=2000))
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
            raise ValidationError("unknown category; see the service catalogue (hotline services)")

    @validates("district")
    def known_district(self, value, **kwargs):
        if value is not None and self.districts and value not in self.districts:
            raise ValidationError(f"unknown district; this city has: {', '.join(sorted(self.districts))}")


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
                               ["give both lat and lng, or neither"]})
    if (request["source_system"] is None) != (request["external_id"] is None):
        raise ValidationError({"external_id" if request["external_id"] is None else "source_system":
                               ["give both source_system and external_id, or neither"]})
    return request


class InboundSubmission(TicketRequest):
    """A ticket another government system submits over AMQP (``ticket.submit``).

    The ticket fields, plus who sends it and its own id for it; the API key
    may come in the body or in the message header ``api_key``.
    """

    source_system = fields.String(required=True, validate=validate.Regexp(
        SOURCE_NAME, error="letters, digits, - and _ only (at most 64)"))
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    api_key = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    channel = fields.String(load_default="system", validate=validate.OneOf(CHANNELS))


class InboundReceipt(Schema):
    """The answer to a ticket.submit, routed back with key ticket.receipt.<source_system>.

    ``accepted`` with the ticket ``number`` the citizen can quote (for a
    repeat of an open ticket, that ticket's; ``received_as`` is this
    submission's own), or not accepted with ``errors`` by field.
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
