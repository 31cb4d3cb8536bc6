"""What the Open311 endpoints do: the service list, a submission, a search, one request.

Each handler returns ``(status, body)`` in the spec's shapes or raises
``Open311Error``; ``entrypoints/open311.py`` answers it in JSON or XML.
The public listing is scrubbed (``open311.service_request``).
"""
from services.intake.bootstrap import Deps
from services.intake.entrypoints import open311
from services.intake.entrypoints.open311 import Open311Error
from services.intake.handlers.errors import TooManyRequests, ValidationFailed
from services.intake.handlers.keys import api_client
from services.intake.handlers.tickets import accept
from shared.contract import events
from shared.platform.city import district_names
from shared.platform.config import city_zone


def services_by_code(deps: Deps):
    return {entry["code"]: entry for entry in deps.catalogue.entries()}


def services(deps: Deps):
    return 200, [open311.service(e) for e in deps.catalogue.entries()]


def service_definition(deps: Deps, code):
    entry = services_by_code(deps).get(code)
    if entry is None:
        raise Open311Error(404, f"service_code {code} was not found")
    return 200, open311.service_definition(entry)


def create(deps: Deps, args, key, header):
    """A service request from ``args`` (``open311.submission``), with the client's API key."""
    client = api_client(deps, key) if key else None
    if client is None:
        raise Open311Error(403, "api_key is missing or not valid (unknown, expired or revoked)")
    code = args.get("service_code")
    if isinstance(code, str) and code and code not in services_by_code(deps):
        raise Open311Error(404, f"service_code {code} was not found")
    ticket_request = open311.ticket_request(args, district_names(deps.city))
    if header is not None and not (1 <= len(header) <= 200 and header.isprintable()):
        raise Open311Error(400, "Idempotency-Key: 1 to 200 printable characters")
    try:
        ticket = accept(deps, ticket_request, idempotency=f"open311:{client}:{header}" if header else None,
                        public=True, viewed=False)
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


def search(deps: Deps, args):
    wanted = open311.query(args, events.utcnow())
    closed = None
    if len(set(wanted["statuses"])) == 1:
        closed = wanted["statuses"][0] == "closed"
    found = deps.tickets.search(wanted["numbers"], wanted["categories"], closed,
                                wanted["start"], wanted["end"], wanted["limit"])
    names = service_names(deps)
    return 200, [as_service_request(deps, t, names) for t in found]


def one(deps: Deps, number):
    ticket = deps.tickets.get(number) if len(number) <= 64 else None
    if ticket is None:
        raise Open311Error(404, f"service_request_id {number} was not found")
    return 200, [as_service_request(deps, ticket)]


def service_names(deps: Deps):
    return {code: entry.get("name") for code, entry in services_by_code(deps).items()}


def as_service_request(deps: Deps, ticket, names=None):
    settings = deps.config.get("OPEN311") or {}
    descriptions = settings.get("descriptions", True) not in (False, "false", "off", "0")
    return open311.service_request(ticket, city_zone(deps.config), names or service_names(deps), descriptions)
