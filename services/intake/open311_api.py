"""Open311 GeoReport v2 (JSON) under ``/open311/v2/``.

A mixin of ``IntakeService``. Services are the catalogue's categories;
``POST requests.json`` needs an ``api_key`` (``hotline apikeys create``),
takes form-encoded bodies (what Open311 clients send) or JSON, and honours
an ``Idempotency-Key`` header. Errors are the spec's ``[{code, description}]``.
"""
import json

from nameko.web.handlers import http

from services.intake import open311
from services.intake.open311 import Open311Error
from services.intake.responses import ValidationFailed, json_response
from shared import events
from shared.city import district_names
from shared.config import city_zone

BASE = "/open311/v2"


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
            body = json.loads(utf8(request.get_data()) or "{}")
        except ValueError as exc:
            raise Open311Error(400, f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise Open311Error(400, "the JSON body must be an object of request arguments")
        args.update(body)
    else:
        args.update(request.form.to_dict())
    return args


class Open311Api:

    def open311(self, handler, *args):
        try:
            status, body = handler(*args)
        except Open311Error as exc:
            status, body = exc.status, exc.errors
        return json_response(status, body)

    def services_by_code(self):
        return {entry["code"]: entry for entry in self.catalogue.entries()}

    @http("GET", f"{BASE}/services.json")
    def open311_services(self, request):
        return self.open311(lambda: (200, [open311.service(e) for e in self.catalogue.entries()]))

    @http("GET", f"{BASE}/services/<string:code>.json")
    def open311_service_definition(self, request, code):
        def handle():
            entry = self.services_by_code().get(code)
            if entry is None:
                raise Open311Error(404, f"service_code {code} was not found")
            return 200, open311.service_definition(entry)
        return self.open311(handle)

    @http("POST", f"{BASE}/requests.json")
    def open311_post_request(self, request):
        return self.open311(self.open311_create, request)

    def open311_create(self, request):
        args = arguments(request)
        key = args.pop("api_key", None) or request.headers.get("X-Api-Key")
        if not key:
            raise Open311Error(400, "api_key was not provided")
        client = self.api_client(key)
        if client is None:
            raise Open311Error(403, "api_key is not valid (unknown or revoked)")
        code = args.get("service_code")
        if isinstance(code, str) and code and code not in self.services_by_code():
            raise Open311Error(404, f"service_code {code} was not found")
        ticket_request = open311.ticket_request(args, district_names(self.city))
        header = request.headers.get("Idempotency-Key")
        if header is not None and not (1 <= len(header) <= 200 and header.isprintable()):
            raise Open311Error(400, "Idempotency-Key: 1 to 200 printable characters")
        try:
            ticket = self.accept(ticket_request, idempotency=f"open311:{client}:{header}" if header else None)
        except ValidationFailed as exc:
            raise open311.field_errors(exc.errors) from None
        notice = None
        if ticket["outcome"] == "linked":
            notice = "This problem was reported already; your report was added to the open request."
        elif ticket["outcome"] == "existing":
            notice = "This request was received before."
        account = args.get("account_id")
        return (201 if ticket["outcome"] == "created" else 200,
                [{"service_request_id": ticket["number"], "service_notice": notice,
                  "account_id": account if isinstance(account, (str, int)) else None}])

    @http("GET", f"{BASE}/requests.json")
    def open311_get_requests(self, request):
        def handle():
            wanted = open311.query(request.args.to_dict(), events.utcnow())
            closed = None
            if len(set(wanted["statuses"])) == 1:
                closed = wanted["statuses"][0] == "closed"
            found = self.tickets.search(wanted["numbers"], wanted["categories"], closed,
                                        wanted["start"], wanted["end"], wanted["limit"])
            names = self.service_names()
            return 200, [self.as_service_request(t, names) for t in found]
        return self.open311(handle)

    @http("GET", f"{BASE}/requests/<string:number>.json")
    def open311_get_request(self, request, number):
        def handle():
            ticket = self.tickets.get(number)
            if ticket is None:
                raise Open311Error(404, f"service_request_id {number} was not found")
            return 200, [self.as_service_request(ticket)]
        return self.open311(handle)

    def service_names(self):
        return {code: entry.get("name") for code, entry in self.services_by_code().items()}

    def as_service_request(self, ticket, names=None):
        return open311.service_request(ticket, city_zone(self.config), names or self.service_names())

    @http("GET", "/open311/discovery.json")
    def open311_discovery(self, request):
        """Service discovery: where this GeoReport v2 endpoint is and what it speaks."""
        city = self.config.get("CITY") or {}
        return json_response(200, {
            "changeset": "2026-11-26T00:00:00Z",
            "contact": f"{city.get('name', '')} 12345 hotline".strip(),
            "key_service": "ask the hotline operators for an API key (hotline apikeys create NAME)",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                           "url": request.host_url.rstrip("/") + BASE, "changeset": "2026-11-26T00:00:00Z",
                           "type": "production", "formats": ["application/json"]}]})
