"""What intake's entrypoints answer with: field errors and JSON bodies."""
import json


class ValidationFailed(Exception):
    """The request breaks the rules at the door.

    The message is JSON mapping each field to its errors, so RPC clients (who
    see it as ``RemoteError.value``) can read it back.
    """

    def __init__(self, errors):
        super().__init__(json.dumps(errors, ensure_ascii=False, default=str))
        self.errors = errors


def as_json(value):
    return json.dumps(value, ensure_ascii=False, default=str)


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, as_json(body)
