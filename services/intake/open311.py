"""Open311 GeoReport v2: this hotline's tickets in the spec's words.

Pure Python. The spec (open311/open311.github.io, ``GeoReport_v2``) knows
services and service requests; a request is ``open`` or ``closed``. Here a
service is a catalogue category and a service request is a ticket, its
``service_request_id`` the ticket number.
"""
from datetime import datetime, timedelta

CLOSED = ("closed", "answered")
# History entries that are bookkeeping between services, not news for the citizen.
QUIET = ("case_opened", "deadline_watched")
DEFAULT_DAYS = 90
MAX_ROWS = 1000

# Our field -> the Open311 argument a client sent, to name fields in errors.
FIELD_NAMES = {"lng": "long", "address": "address_string", "caller_phone": "phone",
               "caller_name": "first_name", "caller_email": "email",
               "category": "service_code", "title": "description"}


class Open311Error(Exception):
    """An error the spec's way: an HTTP status and ``[{code, description}]``."""

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
    return request


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


def service_request(ticket, zone, service_names):
    """A ticket (intake's stored view) as an Open311 service request."""
    history = [h for h in ticket.get("history") or [] if h.get("status") not in QUIET]
    department = ticket.get("department") or {}
    status = ticket.get("status")
    notice = None
    if ticket.get("linked_to"):
        notice = f"reported before as {ticket['linked_to']}; handled together with it"
    return {
        "service_request_id": ticket["number"],
        "status": "closed" if status in CLOSED else "open",
        "status_notes": ticket.get("reply") or (history[-1].get("note") if history else None),
        "service_name": service_names.get(ticket.get("category")),
        "service_code": ticket.get("category"),
        "description": ticket.get("description") or ticket.get("title"),
        "agency_responsible": department.get("name"),
        "service_notice": notice,
        "requested_datetime": iso(ticket.get("received_at"), zone),
        "updated_datetime": iso(ticket.get("updated_at"), zone),
        "expected_datetime": iso(ticket.get("deadline"), zone),
        "address": ticket.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": ticket.get("lat"),
        "long": ticket.get("lng"),
        "media_url": ticket.get("media_url"),
    }


def parse_datetime(name, value):
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time with a time zone") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must include a time zone (Z or +08:00)")
    return parsed


def query(args, now):
    """The search GET requests.json asks for, with the spec's defaults."""
    ids = [i.strip() for i in (args.get("service_request_id") or "").split(",") if i.strip()]
    codes = [c.strip() for c in (args.get("service_code") or "").split(",") if c.strip()]
    statuses = [s.strip() for s in (args.get("status") or "").split(",") if s.strip()]
    for status in statuses:
        if status not in ("open", "closed"):
            raise Open311Error(400, "status must be open or closed")
    end = parse_datetime("end_date", args["end_date"]) if args.get("end_date") else None
    start = parse_datetime("start_date", args["start_date"]) if args.get("start_date") else None
    if not ids:  # the spec: without ids, the last 90 days by default
        end = end or now
        start = start or end - timedelta(days=DEFAULT_DAYS)
    if start and end and start > end:
        raise Open311Error(400, "start_date is after end_date")
    return {"numbers": ids[:MAX_ROWS], "categories": codes, "statuses": statuses,
            "start": start, "end": end, "limit": MAX_ROWS}
