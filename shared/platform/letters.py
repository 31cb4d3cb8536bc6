"""What a dead letter keeps of a message: its body as JSON, else raw.

Apart from ``shared.platform.messaging`` so that the doors (which dead-letter a
refused event) and the consumers (which import the doors) share it without an
import cycle.
"""
import base64
import json

from shared.platform.redaction import redact


def raw_body(message):
    """The undecoded body as text when it is UTF-8, else base64."""
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def serializable_letter(letter, message=None):
    """``letter``, or -- when its payload cannot be written as JSON (nested too deeply,
    not JSON at all) -- the same letter carrying the raw body instead."""
    try:
        json.dumps(letter, default=str)
        return letter
    except (RecursionError, ValueError, TypeError) as exc:
        raw = redact(raw_body(message)) if message is not None else {"text": repr(letter["payload"])[:100000]}
        return dict(letter, payload=raw, reason=f"{letter['reason']} (payload kept raw: {exc.__class__.__name__})")
