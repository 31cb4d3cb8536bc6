"""How a case and a page of cases are answered."""
from services.followup.domain import InvalidRequest
from shared.platform.jsonable import jsonable

INTERNAL = ("outbox", "_id", "ticket", "ledger_pending", "last_events", "co_handlers_event")
MAX_PAGE = 100


def case_view(doc):
    """A case document as callers see it: without what only followup uses."""
    return jsonable({k: v for k, v in doc.items() if k not in INTERNAL})


def page(offset, limit):
    """``(offset, limit)`` asked for, within bounds."""
    try:
        offset, limit = int(offset or 0), int(limit or 20)
    except (TypeError, ValueError):
        raise InvalidRequest({"page": ["whole numbers"]}) from None
    return max(0, offset), max(1, min(limit, MAX_PAGE))


def listed(cases, total):
    return {"items": jsonable(cases), "total": total}
