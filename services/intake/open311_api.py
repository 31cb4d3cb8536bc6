"""Open311 GeoReport v2 under ``/open311/v2/``, in JSON and in XML.

A mixin of ``IntakeService``. Every endpoint answers ``.json`` or ``.xml``
(the spec's default). Services are the catalogue's categories;
``POST requests`` needs an ``api_key`` (``hotline apikeys create``; 403
without one or with a bad one), takes form-encoded bodies (what Open311
clients send) or JSON, honours an ``Idempotency-Key`` header and answers
the submitter's own ``service_request_id``, also for a repeat. ``GET
requests`` lets ``service_request_id`` override every other filter and
refuses windows over 90 days. Errors are the spec's ``[{code, description}]``.
The public listing is scrubbed (see ``open311.service_request``);
``OPEN311.descriptions: false`` withholds descriptions altogether.
"""
from services.intake import open311
from services.intake.api import open311 as both_formats
from services.intake.open311 import Open311Error
from services.intake.responses import TooManyRequests, ValidationFailed, as_json
from shared.contract import events
from shared.platform import openapi
from shared.platform.city import district_names
from shared.platform.config import city_zone
from shared.platform.doors import Public, door
from shared.platform.web import BadBody, http, read_json

BASE = "/open311/v2"
FORMAT = "<any(json, xml):fmt>"
TYPES = {"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}
ERRORS = {status: both_formats("Open311Errors") for status in (400, 403, 404, 413, 429)}
# An unknown format (``requests.html``) matches no route: the door's own JSON 404.
ERRORS[404] = {"application/json": {"oneOf": [{"$ref": "#/components/schemas/Open311Errors"},
                                              {"$ref": "#/components/schemas/Errors"}]},
               "application/xml": "Xml"}
CHANGESET = "2026-12-01T00:00:00Z"


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


def answer(fmt, status, kind, body, headers=None):
    text = open311.to_xml(kind, body) if fmt == "xml" else as_json(body)
    return status, dict({"Content-Type": TYPES[fmt]}, **(headers or {})), text


class Open311Api:

    def open311(self, fmt, kind, handler, *args):
        try:
            status, body = handler(*args)
        except Open311Error as exc:
            return answer(fmt, exc.status, "errors", exc.errors, getattr(exc, "headers", None))
        return answer(fmt, status, kind, body)

    def services_by_code(self):
        return {entry["code"]: entry for entry in self.catalogue.entries()}

    def open311_settings(self):
        return self.config.get("OPEN311") or {}

    @openapi.operation("Open311: the service list", tags=["open311"],
                       responses={200: both_formats("Open311Services")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"{BASE}/services.{FORMAT}")
    def open311_services(self, request, fmt):
        return self.open311(fmt, "services", lambda: (200, [open311.service(e) for e in self.catalogue.entries()]))

    @openapi.operation("Open311: one service's definition", tags=["open311"],
                       responses={200: both_formats("Open311ServiceDefinition")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"{BASE}/services/<string:code>.{FORMAT}")
    def open311_service_definition(self, request, code, fmt):
        def handle():
            entry = self.services_by_code().get(code)
            if entry is None:
                raise Open311Error(404, f"service_code {code} was not found")
            return 200, open311.service_definition(entry)
        return self.open311(fmt, "service_definition", handle)

    @openapi.operation("Open311: submit a service request (needs api_key)", tags=["open311"],
                       body="Open311Post", body_types=("application/x-www-form-urlencoded", "application/json"),
                       responses={201: both_formats("Open311Posted"), 200: both_formats("Open311Posted")},
                       errors=ERRORS, headers=("Idempotency-Key", "X-Api-Key"), limits=("phone",))
    @door(Public())
    @http("POST", f"{BASE}/requests.{FORMAT}", limits=("client", "submit"))
    def open311_post_request(self, request, fmt):
        return self.open311(fmt, "requests", self.open311_create, request)

    def open311_create(self, request):
        args = arguments(request)
        key = request.headers.get("X-Api-Key") or args.pop("api_key", None)
        args.pop("api_key", None)
        client = self.api_client(key) if key else None
        if client is None:
            raise Open311Error(403, "api_key is missing or not valid (unknown, expired or revoked)")
        code = args.get("service_code")
        if isinstance(code, str) and code and code not in self.services_by_code():
            raise Open311Error(404, f"service_code {code} was not found")
        ticket_request = open311.ticket_request(args, district_names(self.city))
        header = request.headers.get("Idempotency-Key")
        if header is not None and not (1 <= len(header) <= 200 and header.isprintable()):
            raise Open311Error(400, "Idempotency-Key: 1 to 200 printable characters")
        try:
            ticket = self.accept(ticket_request, idempotency=f"open311:{client}:{header}" if header else None,
                                 public=True)
        except ValidationFailed as exc:
            raise open311.field_errors(exc.errors) from None
        except TooManyRequests as exc:
            error = Open311Error(429, *[f"{field}: {'; '.join(problems)}" for field, problems in exc.errors.items()])
            error.headers = {"Retry-After": str(exc.retry_after)}
            raise error from None
        notice = "This request was received before." if ticket["outcome"] == "existing" else None
        account = args.get("account_id")
        return (200 if ticket["outcome"] == "existing" else 201,
                [{"service_request_id": ticket["received_as"], "service_notice": notice,
                  "account_id": str(account) if isinstance(account, (str, int)) else None}])

    @openapi.operation("Open311: search service requests (public, scrubbed)", tags=["open311"],
                       responses={200: both_formats("Open311ServiceRequests")}, errors=ERRORS,
                       query={"service_request_id": {"type": "string", "maxLength": 20000},
                              "service_code": {"type": "string", "maxLength": 2000},
                              "start_date": {"type": "string", "format": "date-time"},
                              "end_date": {"type": "string", "format": "date-time"},
                              "status": {"type": "string", "maxLength": 20}})
    @door(Public())
    @http("GET", f"{BASE}/requests.{FORMAT}")
    def open311_get_requests(self, request, fmt):
        def handle():
            wanted = open311.query(request.args.to_dict(), events.utcnow())
            closed = None
            if len(set(wanted["statuses"])) == 1:
                closed = wanted["statuses"][0] == "closed"
            found = self.tickets.search(wanted["numbers"], wanted["categories"], closed,
                                        wanted["start"], wanted["end"], wanted["limit"])
            names = self.service_names()
            return 200, [self.as_service_request(t, names) for t in found]
        return self.open311(fmt, "requests", handle)

    @openapi.operation("Open311: one service request (public, scrubbed)", tags=["open311"],
                       responses={200: both_formats("Open311ServiceRequests")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"{BASE}/requests/<string:number>.{FORMAT}")
    def open311_get_request(self, request, number, fmt):
        def handle():
            ticket = self.tickets.get(number) if len(number) <= 64 else None
            if ticket is None:
                raise Open311Error(404, f"service_request_id {number} was not found")
            return 200, [self.as_service_request(ticket)]
        return self.open311(fmt, "requests", handle)

    def service_names(self):
        return {code: entry.get("name") for code, entry in self.services_by_code().items()}

    def as_service_request(self, ticket, names=None):
        descriptions = self.open311_settings().get("descriptions", True) not in (False, "false", "off", "0")
        return open311.service_request(ticket, city_zone(self.config), names or self.service_names(),
                                       descriptions)

    @openapi.operation("Open311 service discovery", tags=["open311"],
                       responses={200: both_formats("Open311Discovery")}, errors=ERRORS)
    @door(Public())
    @http("GET", f"/open311/discovery.{FORMAT}")
    def open311_discovery(self, request, fmt):
        """Where this GeoReport v2 endpoint is and what it speaks."""
        city = self.config.get("CITY") or {}
        body = {
            "changeset": CHANGESET,
            "contact": f"{city.get('name', '')} 12345 hotline".strip(),
            "key_service": "ask the hotline operators for an API key (hotline apikeys create NAME)",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                           "url": request.host_url.rstrip("/") + BASE, "changeset": CHANGESET,
                           "type": "production", "formats": ["application/json", "text/xml"]}]}
        return answer(fmt, 200, "discovery", body)
