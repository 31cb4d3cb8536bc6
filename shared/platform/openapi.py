"""OpenAPI 3 documents built from the HTTP entrypoints themselves.

Each route says what it takes and answers beside its ``@http``::

    @openapi.operation("A ticket's status", tags=["tickets"], responses={200: "PublicStatus"},
                       errors=(401, 404))
    @http("GET", "/tickets/<string:number>")
    def http_status(self, request, number): ...

and the service serves the document at ``GET /openapi.json`` (``ops.Operable``,
the one base of every service class) from its ``openapi_info`` (title, version, description)
and ``openapi_schemas`` (name -> a marshmallow schema class or a JSON Schema
dict). ``document(ServiceClass)`` walks the class's entrypoints, so a route
without an ``operation`` is an error, path parameters come from the werkzeug
rule (``<string:x>``, ``<int:x>``, ``<any(json, xml):format>``), and what the
door adds to every route is written in once: 413 for a route with a body, 429
(with ``Retry-After``) for a rate-limited one, 404 where a path parameter may
name nothing. apispec with its marshmallow plugin turns the schemas into
JSON Schema. ``docs/openapi/<service>.json`` holds the committed copy
(``make schemas``); a test keeps it in step with the code.
"""
import functools
import inspect
import json
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

OPENAPI_VERSION = "3.0.3"
ATTRIBUTE = "__openapi__"
RULE_PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
JSON_TYPE = "application/json"

ERRORS = {"type": "object", "required": ["errors"], "description": "what was wrong, by field",
          "properties": {"errors": {"type": "object", "additionalProperties": True}}}
STANDARD_ERRORS = {400: "the request is invalid", 401: "no valid credentials", 403: "not allowed",
                   404: "not found", 409: "conflicts with the current state", 413: "the body is too large",
                   429: "too many requests: wait Retry-After seconds",
                   503: "busy for now: wait Retry-After seconds"}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
HEADERS = {
    "Idempotency-Key": {"type": "string", "minLength": 1, "maxLength": 200},
    "X-Api-Key": {"type": "string", "maxLength": 200},
    "X-Lookup-Code": {"type": "string", "maxLength": 64},
    "X-Phone-Last4": {"type": "string", "maxLength": 16},
    "Authorization": {"type": "string", "maxLength": 500},
}


def operation(summary, *, tags=(), body=None, body_types=(JSON_TYPE,), responses=None, errors=(400,),
              query=None, headers=(), limits=None, description=None):
    """Describe the HTTP entrypoint it decorates (the function itself is returned unchanged).

    ``responses``: ``{status: spec}`` where a spec is a schema name, a JSON
    Schema dict, ``{media type: schema name or dict}``, or None (no body). ``errors``: the
    statuses answered with the ``{"errors": {...}}`` body (or a mapping like
    ``responses``). ``query``: ``{name: JSON Schema}``, ``"required"`` listed
    in a schema's ``x-required``. ``limits``: the rate limits counted beyond
    the route's own (a handler may count more, such as ``phone``).
    """
    def mark(fn):
        setattr(fn, ATTRIBUTE, {"summary": summary, "tags": list(tags), "body": body,
                                "body_types": tuple(body_types), "responses": responses or {},
                                "errors": errors, "query": query or {}, "headers": tuple(headers),
                                "limits": limits, "description": description})
        return fn
    return mark


def http_entrypoints(service_cls):
    """``[(function, entrypoint)]`` for every HTTP entrypoint of the class."""
    found = []
    for _, fn in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(fn, "nameko_entrypoints", ()):
            if hasattr(entrypoint, "url") and hasattr(entrypoint, "method"):
                found.append((fn, entrypoint))
    return sorted(found, key=lambda item: (item[1].url, item[1].method))


def path_of(rule):
    """``/x/<string:a>.<any(json, xml):f>`` -> ``("/x/{a}.{f}", [parameter, ...])``."""
    params = []
    for match in RULE_PARAM.finditer(rule):
        converter = match.group("converter") or "string"
        schema = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer"}
        elif converter == "any":
            schema = {"type": "string", "enum": [a.strip().strip("'\"") for a in match.group("args").split(",")]}
        params.append({"name": match.group("name"), "in": "path", "required": True, "schema": schema})
    return RULE_PARAM.sub(lambda m: "{" + m.group("name") + "}", rule), params


def _schema(spec, schemas):
    """A schema name, dict or marshmallow class -> a JSON Schema (a $ref for named ones)."""
    if isinstance(spec, str):
        if spec not in schemas:
            raise KeyError(f"schema {spec!r} is not in the service's openapi_schemas")
        return {"$ref": f"#/components/schemas/{spec}"}
    return spec


def _content(spec, schemas):
    if isinstance(spec, dict) and spec and all("/" in key for key in spec):
        return {media: {"schema": _schema(value, schemas)} for media, value in spec.items()}
    return {JSON_TYPE: {"schema": _schema(spec, schemas)}}


def _operation(fn, entrypoint, schemas, path_params):
    described = getattr(fn, ATTRIBUTE, None)
    if described is None:
        raise ValueError(f"{entrypoint.method} {entrypoint.url} ({fn.__name__}) has no openapi.operation")
    method = entrypoint.method.split(",")[0].upper()
    op = {"summary": described["summary"], "operationId": fn.__name__, "responses": {}}
    if described["tags"]:
        op["tags"] = described["tags"]
    if described["description"] or fn.__doc__:
        op["description"] = described["description"] or inspect.cleandoc(fn.__doc__)
    params = list(path_params)
    for name, schema in described["query"].items():
        schema = dict(schema)
        required = schema.pop("x-required", False)
        params.append({"name": name, "in": "query", "required": required, "schema": schema})
    for name in described["headers"]:
        params.append({"name": name, "in": "header", "required": False, "schema": HEADERS[name]})
    if params:
        op["parameters"] = params
    if described["body"] is not None:
        op["requestBody"] = {"required": False, "content": {
            media: {"schema": _schema(described["body"], schemas)} for media in described["body_types"]}}
    for status, spec in described["responses"].items():
        if spec is None:  # no body to speak of: a redirect, say
            op["responses"][str(status)] = {"description": "see the Location header" if 300 <= status < 400
                                            else "no content"}
            continue
        op["responses"][str(status)] = {"description": "success", "content": _content(spec, schemas)}
    errors = described["errors"]
    errors = dict(errors) if isinstance(errors, dict) else {status: "Errors" for status in errors}
    limits = tuple(getattr(entrypoint, "limits", ())) + tuple(described["limits"] or ())
    if limits:
        errors.setdefault(429, "Errors")
    if method in ("POST", "PUT", "PATCH"):
        errors.setdefault(413, "Errors")
        errors.setdefault(400, "Errors")
    if path_params:
        errors.setdefault(404, "Errors")
    for status, spec in sorted(errors.items()):
        response = {"description": STANDARD_ERRORS.get(status, "error"), "content": _content(spec, schemas)}
        if status in (429, 503):
            response["headers"] = RETRY_AFTER
        op["responses"][str(status)] = response
    # The web server itself refuses a request line over 8 KB, with no body.
    op["responses"]["414"] = {"description": "the URL is longer than the server reads"}
    return method.lower(), op


def document(service_cls):
    """The OpenAPI 3 document of ``service_cls``'s HTTP entrypoints, as a dict."""
    info = dict(getattr(service_cls, "openapi_info", {}))
    schemas = dict(getattr(service_cls, "openapi_schemas", {}), Errors=ERRORS)
    spec = APISpec(title=info.pop("title", service_cls.name), version=info.pop("version", "1"),
                   openapi_version=OPENAPI_VERSION, plugins=[MarshmallowPlugin()], info=info)
    for name, schema in sorted(schemas.items()):
        if isinstance(schema, dict):
            spec.components.schema(name, component=schema)
        else:
            spec.components.schema(name, schema=schema)
    paths = {}
    for fn, entrypoint in http_entrypoints(service_cls):
        path, params = path_of(entrypoint.url)
        method, op = _operation(fn, entrypoint, schemas, params)
        paths.setdefault(path, {})[method] = op
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def render(doc):
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@functools.cache
def served(service_cls):
    return render(document(service_cls))
