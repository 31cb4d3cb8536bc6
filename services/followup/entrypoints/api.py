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
    "Unreasonable": {"type": "object", "required": ["reason"],
                     "description": "不合理诉求: the reason and at least one piece of evidence (a link or a file "
                                    "uploaded to the case)",
                     "properties": {"reason": {"type": "string", "maxLength": 2000},
                                    "evidence": {"type": "array", "maxItems": 10,
                                                 "items": {"type": "string", "format": "uri"}},
                                    "files": {"type": "array", "maxItems": 10, "items": {"type": "string"}},
                                    "actor": ACTOR}},
    "Hold": {"type": "object", "required": ["reason", "recheck_on"],
             "description": "挂账: why it cannot be solved now, and the local day to look at it again",
             "properties": {"reason": {"type": "string", "maxLength": 2000}, "recheck_on": DATE,
                            "actor": ACTOR}},
    "Scorecard": {"type": "object", "required": ["period"],
                  "properties": {"period": {"type": "object", "required": ["from", "to"],
                                            "properties": {"from": {"type": "string", "format": "date"},
                                                           "to": {"type": "string", "format": "date"}}}}},
}
