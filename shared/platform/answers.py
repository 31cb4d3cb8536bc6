"""JSON answers of the HTTP doors: ``json_body`` and ``error_body`` (re-exported by
``shared.platform.web``).

Apart from ``web`` so that the doors, which answer a refused HTTP request with
``error_body``, need not import the entrypoints that import the doors.
"""
import json

from werkzeug.wrappers import Response

JSON_TYPE = "application/json; charset=utf-8"


def json_body(status, body, headers=None):
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    headers=headers, content_type=JSON_TYPE)


def error_body(status, field, message, headers=None):
    return json_body(status, {"errors": {field: [message]}}, headers)
