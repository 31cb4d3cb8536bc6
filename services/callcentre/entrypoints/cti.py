"""The CTI events a PBX sends, in the shape of Zammad's generic CTI API.

``POST /cti/{token}`` with a form-encoded or JSON body: ``event`` (``newCall``,
``answer``, ``hangup``), ``from``, ``to``, ``direction`` (``in``/``out``), ``callId``,
``user[]`` (one per user it rings for or who calls), ``queue``, ``cause`` (on hangup),
``answeringNumber`` (who answered) -- Zammad's names, so the PBX integrations written
for it work unchanged. This platform adds, all optional: ``recordingUrl`` (the
call's recording), ``seat`` (the agent's seat) and ``at`` (when the event happened,
ISO 8601 with its offset; the time received when absent -- the call simulator and a
PBX that replays events send it).

The same body (JSON) is accepted from a source system's plain AMQP client on
``hotline.inbound`` with routing key ``call.event`` (see ``AMQP_QUEUE``).
"""
import datetime as dt
import json

from kombu import Exchange, Queue
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from services.callcentre.domain.calls import CAUSES, EVENTS, CallEvent
from shared.contract import field_errors
from shared.platform.nesting import too_deep_text

MAX_BODY = 16 * 1024
CALL_EVENT_KEY = "call.event"
INBOUND_EXCHANGE = Exchange("hotline.inbound", type="topic", durable=True)  # as intake declares it
AMQP_QUEUE = Queue("hotline.inbound.call_event", exchange=INBOUND_EXCHANGE, routing_key=CALL_EVENT_KEY, durable=True)
ORIGIN = "inbound.call_event"
NUMBER = validate.Length(max=64)
NAME = validate.Length(max=200)


class BadEvent(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class CtiEvent(Schema):
    class Meta:
        unknown = EXCLUDE

    event = fields.String(required=True, validate=validate.OneOf(EVENTS))
    from_ = fields.String(data_key="from", load_default="", validate=NUMBER)
    to = fields.String(load_default="", validate=NUMBER)
    direction = fields.String(load_default="in", validate=validate.OneOf(("in", "out")))
    callId = fields.String(required=True, validate=validate.Length(min=1, max=250))
    user = fields.List(fields.String(validate=NAME), load_default=list, validate=validate.Length(max=50))
    queue = fields.String(load_default="", validate=NAME)
    cause = fields.String(load_default="", validate=validate.OneOf(("",) + CAUSES))
    answeringNumber = fields.String(load_default="", validate=NAME)
    recordingUrl = fields.Url(load_default="", schemes={"http", "https"}, validate=validate.Length(max=2000))
    seat = fields.String(load_default="", validate=validate.Length(max=64))
    at = fields.AwareDateTime(load_default=None)

    @pre_load
    def users(self, data, **kwargs):
        if isinstance(data, dict) and "user[]" in data:
            data = dict(data)
            data["user"] = data.pop("user[]")
        if isinstance(data, dict) and isinstance(data.get("user"), str):
            data = dict(data, user=[data["user"]])
        if isinstance(data, dict) and data.get("recordingUrl") is None:
            data.pop("recordingUrl", None)
        return data


def form_body(request):
    """The form's fields, ``user[]`` (and ``user``) as the list it is."""
    form = request.form
    body = {key: form.get(key) for key in form.keys() if key not in ("user[]", "user")}
    users = form.getlist("user[]") + form.getlist("user")
    if users:
        body["user"] = users
    return body


def http_body(request):
    """The request's body as a dict (form or JSON), or ``BadEvent``."""
    if (request.content_length or 0) > MAX_BODY:
        raise BadEvent({"_body": [f"the body is larger than {MAX_BODY} bytes"]})
    if request.mimetype == "application/json":
        text = request.get_data(as_text=True)
        if too_deep_text(text):
            raise BadEvent({"_body": ["the body nests too deep"]})
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise BadEvent({"_body": [f"the body is not JSON: {exc}"]}) from None
        if not isinstance(body, dict):
            raise BadEvent({"_body": ["the body must be a JSON object"]})
        return body
    return form_body(request)


def call_event(body, received_at):
    """The ``CallEvent`` a body describes, or ``BadEvent`` with the errors by field."""
    try:
        data = CtiEvent().load(body)
    except ValidationError as exc:
        raise BadEvent(exc.messages) from None
    at = data["at"] or received_at
    if at > received_at + dt.timedelta(days=1):
        raise BadEvent({"at": ["the event cannot be more than a day ahead of the clock"]})
    return CallEvent(call_id=data["callId"], event=data["event"], at=at.astimezone(dt.UTC),
                     from_number=data["from_"].strip(), to_number=data["to"].strip(),
                     direction=data["direction"], users=tuple(u.strip() for u in data["user"] if u.strip()),
                     queue=data["queue"], cause=data["cause"], answering_number=data["answeringNumber"],
                     recording_url=data["recordingUrl"], seat=data["seat"])


def refusal(errors):
    """The 400 answer's body: the English by field, and the same coded for any reader's language."""
    return {"errors": errors, "error_codes": field_errors.coded(errors)}
