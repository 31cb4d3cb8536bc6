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
    "PassDown": {"type": "object", "required": ["unit"],
                 "properties": {"unit": {"type": "string", "maxLength": 64}, "note": {"type": "string", "maxLength": 2000},
                                "actor": ACTOR}},
    "RefusalReview": {"type": "object", "required": ["approve"],
                      "properties": {"approve": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 2000},
                                     "actor": ACTOR}},
    "PartReview": {"type": "object", "required": ["accept"],
                   "properties": {"accept": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 2000},
                                  "actor": ACTOR}},
    "Scorecard": {"type": "object", "required": ["period"],
                  "properties": {"period": {"type": "object", "required": ["from", "to"],
                                            "properties": {"from": {"type": "string", "format": "date"},
                                                           "to": {"type": "string", "format": "date"}}},
                                 "departments": {"type": "array", "items": {"$ref": "#/components/schemas/ScoreLine"},
                                                 "description": "each unit's own line (scope unit)"},
                                 "rolled_up": {"type": "array", "items": {"$ref": "#/components/schemas/ScoreLine"},
                                               "description": "each unit with units below it, with all of them "
                                                              "(scope rolled_up; units: whose figures it holds)"},
                                 "city": {"$ref": "#/components/schemas/ScoreLine"}}},
    "ScoreLine": {"type": "object", "required": ["department", "scope"],
                  "properties": {"department": {"type": "string"},
                                 "scope": {"type": "string", "enum": ["unit", "rolled_up", "city"]},
                                 "units": {"type": "array", "items": {"type": "string"}}},
                  "additionalProperties": True},
}
