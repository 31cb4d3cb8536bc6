"""Open311 GeoReport v2 under ``/open311/v2/``: this hotline's tickets in the spec's words.

The door's translation, both ways: arguments (query string, form-encoded or
JSON body) into a ticket request or a search, and tickets, services and
errors into the spec's JSON or XML. What each endpoint does is
``handlers/open311.py``; the routes are in ``service.py``.

Every endpoint answers ``.json`` or ``.xml`` (the spec's default).
``POST requests`` needs an ``api_key`` (``hotline apikeys create``; 403
without one or with a bad one), takes form-encoded bodies (what Open311
clients send) or JSON, honours an ``Idempotency-Key`` header and answers
the submitter's own ``service_request_id``, also for a repeat. ``GET
requests`` lets ``service_request_id`` override every other filter and
refuses windows over 90 days. Errors are the spec's ``[{code, description}]``.
``OPEN311.descriptions: false`` withholds descriptions altogether.

The spec (open311/open311.github.io, ``GeoReport_v2``) knows
services and service requests; a request is ``open`` or ``closed``. Here a
service is a catalogue category and a service request is a ticket, its
``service_request_id`` the ticket number.

The listing is public (the spec asks no key to read it), so a service
request shows what the spec shows and no more: descriptions, addresses and
notes with phone, ID-card and bank-card numbers, e-mail addresses, WeChat and
QQ ids scrubbed in any notation and addresses cut to the street and number
(``shared.platform.privacy``), descriptions withheld entirely where the city says so,
no history and no other system's ids; a repeat never names the ticket it
repeats. Every answer exists in JSON and in the spec's XML (``xml``).
"""
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from services.intake.domain.ticket import CLOSED
from services.intake.entrypoints.openapi import open311 as both_formats
from shared.platform.privacy import coarse_address, scrub
from shared.platform.web import BadBody, read_json

BASE = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"
TYPES = {"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}
ERRORS = {status: both_formats("Open311Errors") for status in (400, 403, 404, 413, 429)}
# An unknown format (``requests.html``) matches no route: the door's own JSON 404.
ERRORS[404] = {"application/json": {"oneOf": [{"$ref": "#/components/schemas/Open311Errors"},
                                              {"$ref": "#/components/schemas/Errors"}]},
               "application/xml": "Xml"}
CHANGESET = "2026-12-01T00:00:00Z"
# History entries that are bookkeeping between services, not news for the citizen.
QUIET = ("case_opened", "deadline_watched")
DEFAULT_DAYS = 90
MAX_DAYS = 90          # the spec: a window "may not span more than 90 days"
MAX_ROWS = 1000
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)   # dates outside are refused, not computed with
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# Our field -> the Open311 argument a client sent, to name fields in errors.
FIELD_NAMES = {"lng": "long", "address": "address_string", "caller_phone": "phone",
               "caller_name": "first_name", "caller_email": "email",
               "category": "service_code", "title": "description",
               "request_type": "attribute[request_type]"}


class Open311Error(Exception):
    """An error the spec's way: an HTTP status and ``[{code, description}]``."""

    headers: dict[str, str] | None = None  # e.g. Retry-After

    def __init__(self, status, *descriptions):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.errors = [{"code": status, "description": d} for d in descriptions]


def service(entry):
    keywords = entry.get("keywords") or []
    return {
        "service_code": entry["code"],
        "service_name": entry.get("name") or entry["code"],
        "description": entry.get("description") or entry.get("name") or "",
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(keywords) if isinstance(keywords, list) else str(keywords),
        "group": entry.get("group") or "",
    }


def service_definition(entry):
    """No service asks for extra attributes yet (``metadata: false``)."""
    return {"service_code": entry["code"], "attributes": []}


def ticket_request(args, districts):
    """A ticket request (as ``schemas.TicketRequest`` reads it) from POST arguments.

    Open311 has no title: the first line of the description (or the service
    name) stands in. The district is found in ``address_string`` when it names one.
    """
    if not args.get("service_code"):
        raise Open311Error(400, "service_code was not provided")
    has_point = args.get("lat") not in (None, "") and args.get("long") not in (None, "")
    if not (has_point or args.get("address_string") or args.get("address_id")):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    description = args.get("description")
    title = None
    if isinstance(description, str) and description.strip():
        title = description.strip().splitlines()[0][:60]
    name = " ".join(str(args[k]) for k in ("first_name", "last_name")
                    if isinstance(args.get(k), str) and args[k].strip()) or None
    address = args.get("address_string") or None
    if args.get("address_id") and not address:
        address = f"address id {args['address_id']}"
    district = None
    if isinstance(address, str):
        district = next((d for d in districts if d in address), None)
    request = {
        "title": title or args.get("service_name") or str(args["service_code"]),
        "description": description if description is not None else "",
        "category": args["service_code"],
        "caller_name": name,
        "caller_phone": args.get("phone") or None,
        "caller_email": args.get("email") or None,
        "address": address,
        "district": district,
        "media_url": args.get("media_url") or None,
        "channel": "open311",
    }
    if has_point:
        request.update(lat=args["lat"], lng=args["long"])
    request_type = attribute(args, "request_type")
    if request_type is not None:
        request["request_type"] = request_type
    return request


def attribute(args, name):
    """A service request attribute: ``attribute[name]`` (form-encoded, the spec's way) or
    ``{"attribute": {name: ...}}`` (JSON); ``None`` when not sent."""
    value = args.get(f"attribute[{name}]")
    if value is None and isinstance(args.get("attribute"), dict):
        value = args["attribute"].get(name)
    return value


def field_errors(messages):
    """marshmallow's ``{field: [messages]}`` as Open311 errors naming Open311 fields."""
    descriptions = []
    for field, problems in sorted(messages.items(), key=lambda item: str(item[0])):
        name = FIELD_NAMES.get(field, field)
        if isinstance(problems, dict):
            problems = [str(p) for p in problems.values()]
        for problem in problems if isinstance(problems, list) else [problems]:
            descriptions.append(f"{name}: {problem}")
    return Open311Error(400, *descriptions)


def iso(value, zone):
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(zone).isoformat(timespec="seconds")


def service_request(ticket, zone, service_names, descriptions=True):
    """A ticket (intake's stored view) as a public Open311 service request."""
    status = ticket.get("status")
    department = ticket.get("department") or {}
    notice = None
    if ticket.get("linked_to"):
        notice = "this problem was reported before; it is handled together with the earlier report"
    description = ticket.get("description") or ticket.get("title")
    return {
        "service_request_id": ticket["number"],
        "status": "closed" if status in CLOSED else "open",
        "status_notes": scrub(ticket.get("reply")) or None,
        "service_name": service_names.get(ticket.get("category")),
        "service_code": ticket.get("category"),
        "description": scrub(description) if descriptions else None,
        "agency_responsible": department.get("name"),
        "service_notice": notice,
        "requested_datetime": iso(ticket.get("received_at"), zone),
        "updated_datetime": iso(ticket.get("updated_at"), zone),
        "expected_datetime": iso(ticket.get("deadline"), zone) if status not in CLOSED else None,
        "address": scrub(coarse_address(ticket.get("address"))) or None,
        "address_id": None,
        "zipcode": None,
        "lat": ticket.get("lat"),
        "long": ticket.get("lng"),
        "media_url": ticket.get("media_url"),
        # beside GeoReport v2: how a closed request ended (resolved ... untrue, unreasonable)
        "outcome": ticket.get("outcome") if status in CLOSED else None,
    }


def parse_datetime(name, value):
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time with a time zone") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +08:00)")
    try:
        in_range = EARLIEST <= parsed <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise Open311Error(400, f"{name} must lie between {EARLIEST.year} and {LATEST.year}")
    return parsed


def listed(args, name):
    return [item.strip() for item in str(args.get(name) or "").split(",") if item.strip()]


def query(args, now):
    """The search GET requests.json asks for, with the spec's defaults.

    ``service_request_id`` overrides every other filter. Otherwise the window
    is the last 90 days, or 90 days from the one end given, and may not be
    longer.
    """
    ids = listed(args, "service_request_id")
    if ids:
        return {"numbers": ids[:MAX_ROWS], "categories": [], "statuses": [],
                "start": None, "end": None, "limit": MAX_ROWS}
    codes = listed(args, "service_code")
    statuses = listed(args, "status")
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, "status must be open or closed")
    end = parse_datetime("end_date", args["end_date"]) if args.get("end_date") else None
    start = parse_datetime("start_date", args["start_date"]) if args.get("start_date") else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    if end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > timedelta(days=MAX_DAYS):
        raise Open311Error(400, f"start_date and end_date may not span more than {MAX_DAYS} days")
    return {"numbers": [], "categories": codes[:200], "statuses": statuses,
            "start": start, "end": end, "limit": MAX_ROWS}


# -- XML, the spec's default format -------------------------------------------

NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Each list answer's root and item elements, as the spec's examples name them.
XML_LISTS = {"services": ("services", "service"), "requests": ("service_requests", "request"),
             "errors": ("errors", "error")}


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML_CHARS.sub("", str(value))


def _element(parent, tag, value):
    child = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _element(child, key, item)
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "endpoints": "endpoint", "formats": "format",
                    "values": "value"}.get(tag, "item")
        for item in value:
            _element(child, singular, item)
    else:
        child.text = _text(value)
    return child


def to_xml(kind, body):
    """An answer as the spec's XML: a list under ``XML_LISTS[kind]``, else one document."""
    if kind in XML_LISTS:
        root_tag, item_tag = XML_LISTS[kind]
        root = ET.Element(root_tag)
        for item in body:
            _element(root, item_tag, item)
    else:
        root = ET.Element(kind)
        for key, item in body.items():
            _element(root, key, item)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


# -- the door: arguments in, answers out ---------------------------------------------

def utf8(data, what="the body"):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Open311Error(400, f"{what} is not UTF-8 text (byte {exc.start})") from None


def form_arguments(data):
    """A form-encoded body, every value decoded strictly as UTF-8 (werkzeug would guess)."""
    from urllib.parse import parse_qsl

    args = {}  # latin-1 maps each byte to one character and back: the bytes as sent
    for key, value in parse_qsl(data.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        name = utf8(key.encode("latin-1"), "a field name")
        args[name] = utf8(value.encode("latin-1"), name)
    return args


def arguments(request):
    """Query string plus form-encoded or JSON body, as one mapping."""
    args = request.args.to_dict()
    if request.mimetype == "application/x-www-form-urlencoded":
        args.update(form_arguments(request.get_data()))
    elif request.mimetype == "application/json":
        try:
            body = read_json(request, default={})
        except BadBody as exc:
            raise Open311Error(exc.status, f"the body: {exc}") from None
        if not isinstance(body, dict):
            raise Open311Error(400, "the JSON body must be an object of request arguments")
        args.update(body)
    else:
        args.update(request.form.to_dict())
    return args


def submission(request):
    """``(arguments, api key, Idempotency-Key)`` of a ``POST requests``; the key is no argument."""
    args = arguments(request)
    key = request.headers.get("X-Api-Key") or args.pop("api_key", None)
    args.pop("api_key", None)
    return args, key, request.headers.get("Idempotency-Key")


def answer(fmt, status, kind, body, headers=None):
    text = to_xml(kind, body) if fmt == "xml" else as_json(body)
    return status, dict({"Content-Type": TYPES[fmt]}, **(headers or {})), text


def answered(fmt, kind, handler, *args):
    """``handler(*args)`` -> ``(status, body)`` answered in ``fmt``; an ``Open311Error`` the spec's way."""
    try:
        status, body = handler(*args)
    except Open311Error as exc:
        return answer(fmt, exc.status, "errors", exc.errors, getattr(exc, "headers", None))
    return answer(fmt, status, kind, body)


def discovery(host_url, city):
    """Where this GeoReport v2 endpoint is and what it speaks."""
    return {
        "changeset": CHANGESET,
        "contact": f"{city.get('name', '')} 12345 hotline".strip(),
        "key_service": "ask the hotline operators for an API key (hotline apikeys create NAME)",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": host_url.rstrip("/") + BASE, "changeset": CHANGESET,
                       "type": "production", "formats": ["application/json", "text/xml"]}]}


def as_json(value):
    import json

    return json.dumps(value, ensure_ascii=False, default=str)
