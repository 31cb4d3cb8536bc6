"""Make stored documents safe for JSON (RPC replies, HTTP bodies, CLI output)."""
from datetime import date, datetime

from bson import ObjectId


def jsonable(value):
    """Datetimes as ISO 8601 strings, ObjectIds as strings, recursively."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, ObjectId):
        return str(value)
    return value
