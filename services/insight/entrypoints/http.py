"""insight's HTTP answers: JSON reports, PNG charts, field errors as 400."""
import json

from werkzeug.wrappers import Response

from services.insight.entrypoints.schemas import BadQuery


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, \
        json.dumps(body, ensure_ascii=False, default=str)


def png_response(data):
    return Response(data, status=200, mimetype="image/png")


def answer(render):
    """``render()``'s response, or 400 with the fields' errors of a bad query."""
    try:
        return render()
    except BadQuery as exc:
        return json_response(400, {"errors": exc.errors})
