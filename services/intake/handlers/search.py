"""Finding tickets: the operators' search, the caller's earlier tickets (来电弹屏)
and the open tickets a request may repeat, for the workbench.

Each call needs a signed-in member of the
hotline's staff (``shared.platform.identity``): a phone number reveals what a citizen
asked of the city, so nobody without a role may look one up. Results show the
caller masked, one page at a time, without the history (the ticket page asks
``get_ticket`` for that).
"""
import datetime as dt
import re

from services.intake.bootstrap import Deps
from services.intake.domain import ticket as domain
from services.intake.domain.duplicates import phone_key, similarity, ticket_text
from services.intake.handlers.errors import ValidationFailed
from shared.contract import request_types
from shared.contract.events import utcnow
from shared.contract.field_errors import message
from shared.platform.config import city_zone
from shared.platform.identity import STAFF_ROLES
from shared.platform.jsonable import jsonable

MAX_PAGE = 50
DEFAULT_DAYS = 90
LISTED = ("number", "title", "status", "district", "address", "urgency", "channel", "category",
          "request_type", "received_at", "department", "deadline", "linked_to", "closed_at")


def listed(ticket):
    view = domain.public_view(ticket)
    return jsonable({k: view.get(k) for k in LISTED + ("caller_phone", "caller_name")})


def _local_day(value, field, zone, errors, end=False):
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = ["a date like 2026-11-26"]
        return None
    moment = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(0), tzinfo=zone)
    return moment.astimezone(dt.UTC)


def search_query(criteria, zone, now):
    """The MongoDB query for the operators' search, or ``ValidationFailed``."""
    if not isinstance(criteria, dict):
        raise ValidationFailed({"query": ["criteria by field"]})
    errors, query = {}, {}
    number = str(criteria.get("number") or "").strip().upper()
    phone = phone_key(str(criteria.get("phone") or "")) if criteria.get("phone") else None
    text = str(criteria.get("text") or "").strip()[:100]
    address = str(criteria.get("address") or "").strip()[:100]
    start = _local_day(criteria.get("date_from"), "date_from", zone, errors)
    end = _local_day(criteria.get("date_to"), "date_to", zone, errors, end=True)
    if criteria.get("phone") and not phone:
        errors["phone"] = ["digits of a phone number"]
    kind = request_types.parse(criteria.get("request_type")) if criteria.get("request_type") else None
    if criteria.get("request_type") and kind is None:
        errors["request_type"] = [message("one_of", choices=", ".join(request_types.REQUEST_TYPES))]
    if errors:
        raise ValidationFailed(errors)
    if number:
        query["number"] = number if re.fullmatch(r"[A-Z]+-\d{8}-\d{5}", number) else \
            {"$regex": "^" + re.escape(number)}
    if phone:
        query["caller.phone_key"] = phone
    if text:
        pattern = {"$regex": re.escape(text), "$options": "i"}
        query["$or"] = [{"title": pattern}, {"description": pattern}]
    if address:
        pattern = {"$regex": re.escape(address), "$options": "i"}
        query.setdefault("$and", []).append({"$or": [{"address": pattern}, {"street": pattern}]})
    if criteria.get("district"):
        query["district"] = str(criteria["district"])
    if criteria.get("status"):
        query["status"] = str(criteria["status"])
    if kind:
        query["request_type"] = kind
    if not (number or phone) and start is None:
        start = now - dt.timedelta(days=DEFAULT_DAYS)  # a text search reads a bounded window
    window = {k: v for k, v in (("$gte", start), ("$lt", end)) if v}
    if window:
        query["received_at"] = window
    return query


def _staff(deps: Deps):
    return deps.caller.require(*STAFF_ROLES)


def search_tickets(deps: Deps, criteria, offset=0, limit=20):
    """Tickets by ``number``, ``phone``, ``text``, ``address``, ``district``,
    ``status``, ``request_type``, ``date_from``/``date_to`` (local dates), newest first."""
    _staff(deps)
    query = search_query(criteria, city_zone(deps.config), utcnow())
    try:
        offset, limit = max(0, int(offset)), max(1, min(int(limit), MAX_PAGE))
    except (TypeError, ValueError):
        raise ValidationFailed({"page": ["whole numbers"]}) from None
    found, total = deps.tickets.find_page(query, offset, limit)
    return {"items": [listed(t) for t in found], "total": total}


def caller_tickets(deps: Deps, phone, limit=10):
    """The caller's earlier tickets, newest first (来电弹屏)."""
    _staff(deps)
    key = phone_key(phone) if isinstance(phone, str) else None
    if not key or len(key) < 7:
        return {"items": [], "total": 0}
    found, total = deps.tickets.find_page({"caller.phone_key": key}, 0, max(1, min(int(limit), 20)))
    return {"items": [listed(t) for t in found], "total": total}


def repeat_candidates(deps: Deps, request, limit=5):
    """Open tickets this request may repeat: the same caller, or the same address,
    recently; each with how similar it is and why it is shown."""
    _staff(deps)
    if not isinstance(request, dict):
        raise ValidationFailed({"request": ["the ticket being typed, by field"]})
    now = utcnow()
    text = ticket_text({k: str(request.get(k) or "") for k in ("title", "description")})
    key = phone_key(str(request.get("caller_phone") or "")) if request.get("caller_phone") else None
    seen, found = set(), []
    for ticket in deps.tickets.recent_by_caller(key, now - dt.timedelta(hours=72)) if key else []:
        seen.add(ticket["number"])
        found.append((similarity(text, ticket_text(ticket)) if text.strip() else 0.0, "same_caller", ticket))
    address = str(request.get("address") or "").strip()
    if len(address) >= 4:
        for ticket in deps.tickets.recent_at_address(address, now - dt.timedelta(days=7)):
            if ticket["number"] not in seen:
                found.append((similarity(text, ticket_text(ticket)) if text.strip() else 0.0,
                              "same_address", ticket))
    found.sort(key=lambda item: (-item[0], item[2]["number"]))
    return [dict(listed(t), similarity=round(score, 2), reason=reason)
            for score, reason, t in found[:max(1, min(int(limit), 20))]]
