"""Publish the message contract as JSON Schema (draft 2020-12).

The marshmallow schemas (built from the typed events of ``shared.contract.messages``)
are the contract; this turns them into JSON Schema
other teams can read and validate against, in any language.
``python -m operate.schemas`` writes the files under ``docs/schemas``; a
test checks the committed files match the code.
"""
import json
from typing import Any

from marshmallow import Schema, fields, validate

Json = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _type(field: fields.Field[Any]) -> Json:
    if isinstance(field, fields.List):
        return {"type": "array", "items": _type(field.inner) | _constraints(field.inner)}
    if isinstance(field, (fields.AwareDateTime, fields.DateTime)):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, fields.Email):
        return {"type": "string", "format": "email"}
    if isinstance(field, fields.Url):
        return {"type": "string", "format": "uri"}
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Integer):
        return {"type": "integer"}
    if isinstance(field, (fields.Float, fields.Number)):
        return {"type": "number"}
    if isinstance(field, fields.Dict):
        return {"type": "object"}
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        return schema_of(nested)
    return {"type": "string"}


def _constraints(field: fields.Field[Any]) -> Json:
    out: Json = {}
    validators = field.validators if hasattr(field, "validators") else []
    for rule in validators:
        if isinstance(rule, validate.Length):
            prefix = "Items" if isinstance(field, fields.List) else "Length"
            if rule.min is not None:
                out[f"min{prefix}"] = rule.min
            if rule.max is not None:
                out[f"max{prefix}"] = rule.max
        elif isinstance(rule, validate.Range):
            if rule.min is not None:
                out["minimum"] = rule.min
            if rule.max is not None:
                out["maximum"] = rule.max
        elif isinstance(rule, validate.OneOf):
            out["enum"] = list(rule.choices)
        elif isinstance(rule, validate.Regexp):
            out["pattern"] = rule.regex.pattern
        elif not isinstance(rule, validate.Validator) and rule.__doc__:
            out.setdefault("description", " ".join(rule.__doc__.split()))
    return out


def property_of(field: fields.Field[Any]) -> Json:
    prop = _type(field) | _constraints(field)
    if field.metadata.get("description"):
        prop["description"] = field.metadata["description"]
    if field.allow_none:
        prop["type"] = [prop["type"], "null"]
        if "enum" in prop:
            prop["enum"] = prop["enum"] + [None]
    return prop


def schema_of(schema_cls: type[Schema], title: str | None = None, schema_id: str | None = None) -> Json:
    """JSON Schema for a marshmallow schema class; unknown fields are allowed (tolerant readers)."""
    instance = schema_cls()
    out: Json = {"$schema": DRAFT}
    if schema_id:
        out["$id"] = schema_id
    out["title"] = title or schema_cls.__name__
    if schema_cls.__doc__:
        out["description"] = " ".join(schema_cls.__doc__.split())
    out["type"] = "object"
    out["properties"] = {name: property_of(f) for name, f in instance.fields.items() if not f.dump_only}
    out["required"] = sorted(name for name, f in instance.fields.items() if f.required)
    out["additionalProperties"] = True
    return out


def event_files() -> dict[str, Json]:
    """``{relative path: schema}`` for each event of ``shared.contract.events.CONTRACT``."""
    from shared.contract.events import CONTRACT

    files = {}
    for (source, event_type), schema_cls in sorted(CONTRACT.items()):
        name = f"{source}.{event_type}"
        files[f"events/{name}.schema.json"] = schema_of(schema_cls, title=name,
                                                       schema_id=f"events/{name}.schema.json")
    return files


def render(schema: Json) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
