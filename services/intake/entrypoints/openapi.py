"""The schemas intake's OpenAPI document names (``GET /openapi.json``)."""
from services.intake.domain.public import PUBLIC_STATUSES
from services.intake.entrypoints.schemas import TicketRequest
from shared.contract.request_types import REQUEST_TYPES

INFO = {"title": "hotline intake", "version": "2",
        "description": "The hotline's front door: web forms and apps (POST /tickets), a requester's "
                       "status lookup, and Open311 GeoReport v2 in JSON and XML."}

NULLABLE_STRING = {"type": "string", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": "string", "format": "date-time", "nullable": True}
OUTCOME = {"type": "string", "nullable": True,
           "enum": ["resolved", "partly_resolved", "unresolved", "untrue", "unreasonable", None],
           "description": "how a closed request ended (已解决/部分解决/未解决/不属实/不合理诉求); null while open"}

RECEIPT = {
    "type": "object", "required": ["number", "lookup_code", "status", "received_at"],
    "description": "the submitter's own ticket number and the code that proves it is theirs",
    "properties": {"number": {"type": "string"}, "lookup_code": {"type": "string", "pattern": r"^\d{8}$"},
                   "status": {"type": "string", "enum": ["received"]}, "received_at": DATE_TIME},
}
PUBLIC_STATUS = {
    "type": "object", "required": ["number", "status"],
    "properties": {"number": {"type": "string"}, "status": {"type": "string", "enum": PUBLIC_STATUSES},
                   "department": NULLABLE_STRING,
                   "request_type": {"type": "string", "nullable": True, "enum": [*REQUEST_TYPES, None]},
                   "received_at": DATE_TIME,
                   "updated_at": NULLABLE_DATE_TIME, "deadline": NULLABLE_DATE_TIME,
                   "closed_at": NULLABLE_DATE_TIME, "reply": NULLABLE_STRING, "outcome": OUTCOME},
    "additionalProperties": False,
}
HEALTH = {"type": "object", "required": ["service", "status"],
          "properties": {"service": {"type": "string"}, "status": {"type": "string"}}}

# Open311 GeoReport v2, as its spec words them.
SERVICE = {
    "type": "object", "required": ["service_code", "service_name", "type"],
    "properties": {"service_code": {"type": "string"}, "service_name": {"type": "string"},
                   "description": {"type": "string"}, "metadata": {"type": "boolean"},
                   "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                   "keywords": {"type": "string"}, "group": {"type": "string"}},
}
SERVICE_DEFINITION = {
    "type": "object", "required": ["service_code", "attributes"],
    "properties": {"service_code": {"type": "string"}, "attributes": {"type": "array", "items": {"type": "object"}}},
}
SERVICE_REQUEST = {
    "type": "object", "required": ["service_request_id", "status"],
    "properties": {
        "service_request_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": NULLABLE_STRING, "service_name": NULLABLE_STRING, "service_code": NULLABLE_STRING,
        "description": NULLABLE_STRING, "agency_responsible": NULLABLE_STRING,
        "service_notice": NULLABLE_STRING, "requested_datetime": NULLABLE_STRING,
        "updated_datetime": NULLABLE_STRING, "expected_datetime": NULLABLE_STRING,
        "address": NULLABLE_STRING, "address_id": NULLABLE_STRING, "zipcode": NULLABLE_STRING,
        "lat": {"type": "number", "nullable": True}, "long": {"type": "number", "nullable": True},
        "media_url": NULLABLE_STRING, "outcome": OUTCOME},
    "additionalProperties": False,
}
POSTED = {
    "type": "object", "required": ["service_request_id"],
    "properties": {"service_request_id": {"type": "string"}, "service_notice": NULLABLE_STRING,
                   "account_id": NULLABLE_STRING, "token": NULLABLE_STRING},
}
OPEN311_ERRORS = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}},
}
DISCOVERY = {
    "type": "object", "required": ["changeset", "endpoints"],
    "properties": {"changeset": {"type": "string"}, "contact": {"type": "string"},
                   "key_service": {"type": "string"},
                   "endpoints": {"type": "array", "items": {"type": "object"}}},
}
# Open311 clients post form fields (the spec's way) or JSON.
OPEN311_POST = {
    "type": "object",
    "properties": {
        "api_key": {"type": "string", "maxLength": 200}, "service_code": {"type": "string", "maxLength": 64},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": {"type": "string", "maxLength": 300}, "address_id": {"type": "string", "maxLength": 100},
        "description": {"type": "string", "maxLength": 4000}, "email": {"type": "string", "maxLength": 254},
        "first_name": {"type": "string", "maxLength": 50}, "last_name": {"type": "string", "maxLength": 50},
        "phone": {"type": "string", "maxLength": 40}, "device_id": {"type": "string", "maxLength": 100},
        "account_id": {"type": "string", "maxLength": 100}, "media_url": {"type": "string", "maxLength": 2000},
        "attribute[request_type]": {
            "type": "string", "description": "the request type (诉求类型): consultation, help, complaint, "
            "report, suggestion or praise, or the Chinese word (咨询 求助 投诉 举报 建议 表扬); "
            "in a JSON body also {\"attribute\": {\"request_type\": ...}}"}},
}
XML = {"type": "string", "description": "the same document in the spec's XML"}

SCHEMAS = {
    "TicketRequest": TicketRequest, "Receipt": RECEIPT, "PublicStatus": PUBLIC_STATUS, "Health": HEALTH,
    "Open311Service": SERVICE, "Open311Services": {"type": "array", "items": {"$ref": "#/components/schemas/Open311Service"}},
    "Open311ServiceDefinition": SERVICE_DEFINITION,
    "Open311ServiceRequests": {"type": "array", "items": SERVICE_REQUEST},
    "Open311Posted": {"type": "array", "items": POSTED, "minItems": 1},
    "Open311Errors": OPEN311_ERRORS, "Open311Discovery": DISCOVERY, "Open311Post": OPEN311_POST,
    "Xml": XML,
}


def open311(name):
    """An Open311 answer in both formats: JSON by the named schema, or XML."""
    return {"application/json": name, "application/xml": "Xml"}
