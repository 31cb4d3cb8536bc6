"""The schemas followup's OpenAPI document names (``GET /openapi.json``)."""

INFO = {"title": "hotline followup", "version": "2",
        "description": "Departments act on their cases with their token (Authorization: Bearer TOKEN); "
                       "the scorecard (三率) is public."}

DATE = {"type": "string", "format": "date", "pattern": r"^20\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
        "description": "a local date from 2000 to 2099"}
ACTOR = {"type": "string", "maxLength": 100, "description": "who in the department acts"}
SCHEMAS = {
    "Health": {"type": "object", "required": ["service", "status"],
               "properties": {"service": {"type": "string"}, "status": {"type": "string"}}},
    "Case": {"type": "object", "required": ["number", "state", "department_code"],
             "properties": {"number": {"type": "string"}, "state": {"type": "string"},
                            "department_code": {"type": "string"}}},
    "SignFor": {"type": "object", "properties": {"actor": ACTOR}},
    "Refusal": {"type": "object", "required": ["reason"],
                "properties": {"reason": {"type": "string", "maxLength": 2000}, "actor": ACTOR}},
    "ExtensionRequest": {"type": "object", "required": ["working_days", "reason"],
                         "properties": {"working_days": {"type": "integer", "minimum": 1, "maximum": 10},
                                        "reason": {"type": "string", "maxLength": 2000}, "actor": ACTOR}},
    "Reply": {"type": "object", "required": ["text"],
              "properties": {"text": {"type": "string", "maxLength": 4000},
                             "attachments": {"type": "array", "maxItems": 10,
                                             "items": {"type": "string", "format": "uri"}},
                             "actor": ACTOR}},
    "AppealFiling": {"type": "object", "required": ["entry_id", "reason"],
                     "properties": {"entry_id": {"type": "string", "maxLength": 200,
                                                 "description": "the ledger entry contested (a case's ledger "
                                                                "shows each entry's entry_id)"},
                                    "reason": {"type": "string", "maxLength": 1000},
                                    "links": {"type": "array", "maxItems": 10,
                                              "items": {"type": "string", "format": "uri"}},
                                    "files": {"type": "array", "maxItems": 10, "items": {"type": "string"}},
                                    "actor": ACTOR}},
    "Appeal": {"type": "object", "required": ["appeal_id", "number", "entry_id", "state"],
               "properties": {"appeal_id": {"type": "string"}, "number": {"type": "string"},
                              "entry_id": {"type": "string"}, "scored": {"type": "string"},
                              "state": {"type": "string", "enum": ["open", "accepted", "rejected"]}}},
    "Scorecard": {"type": "object", "required": ["period"],
                  "properties": {"period": {"type": "object", "required": ["from", "to"],
                                            "properties": {"from": {"type": "string", "format": "date"},
                                                           "to": {"type": "string", "format": "date"}}}}},
}
