"""The schemas and parameters insight's OpenAPI document names (``GET /openapi.json``)."""

INFO = {"title": "hotline insight", "version": "2",
        "description": "Hot spots, emerging problems and operator staffing, from insight's own read "
                       "model. Dates are local (the city's zone), from 2000 to 2099; a report covers "
                       "at most a year."}

DATE = {"type": "string", "format": "date", "pattern": r"^20\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"}
RANGE = {"from": DATE, "to": DATE}
WEEK = {"week": DATE}
MONTH = {"month": {"type": "string", "pattern": r"^20\d{2}-(0[1-9]|1[0-2])$"}}

SCHEMAS = {
    "Health": {"type": "object", "required": ["service", "status"],
               "properties": {"service": {"type": "string"}, "status": {"type": "string"},
                              "requests": {"type": "integer"}}},
    "Report": {"type": "object"},
}
