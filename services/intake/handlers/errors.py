"""What intake's handlers refuse with: errors by field, a key used twice, a rate limit.

Each carries ``errors`` by field; over RPC a client reads them back from
``RemoteError.value`` (JSON), over HTTP the entrypoints answer them.
"""
import json


class ValidationFailed(Exception):
    """The request breaks the rules at the door.

    The message is JSON mapping each field to its errors, so RPC clients (who
    see it as ``RemoteError.value``) can read it back.
    """

    def __init__(self, errors):
        super().__init__(json.dumps(errors, ensure_ascii=False, default=str))
        self.errors = errors


class IdempotencyConflict(Exception):
    """An ``Idempotency-Key`` used before for a different request."""

    def __init__(self):
        super().__init__("Idempotency-Key used before")
        self.errors = {"Idempotency-Key": ["used before for a different request; use a new key"]}


class TooManyRequests(Exception):
    """A rate limit is reached; ``retry_after`` seconds until it lifts."""

    def __init__(self, errors, retry_after):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors
        self.retry_after = retry_after
