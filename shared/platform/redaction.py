"""Secrets out of dead letters and logs: API keys, tokens, passwords.

Pure Python. A dead letter keeps the message for replay, but never the
credentials it carried; a log line never holds one. ``redact(value)`` walks
dicts and lists (a key named like a secret gets ``***``) and rewrites text by
pattern, so a body that could not be parsed -- ``{"api_key": "hk_…",`` cut
short, a form, a header line -- is redacted too.
"""
import re

MASK = "***"
SECRET_NAME = re.compile(r"(?:api[_-]?key|apikey|x-api-key|token|password|passwd|pwd|secret|authorization"
                         r"|credentials?)", re.IGNORECASE)
# name = value, name: value, "name": "value" -- in JSON, forms, headers, query strings.
_NAMED = re.compile(
    r"""(?P<name>["']?\b[\w-]*(?:api[_-]?key|apikey|token|password|passwd|pwd|secret|authorization)\b["']?)"""
    r"""(?P<sep>\s*[:=]\s*)(?P<value>"(?:[^"\\]|\\.)*"?|'[^']*'?|(?:Bearer|Basic)\s+[^\s,;&}\]]+|[^\s,;&{}\[\]"']+)""",
    re.IGNORECASE)
_PATTERNS = (
    (re.compile(r"\bhk_[A-Za-z0-9_-]{8,}"), "hk_" + MASK),                        # intake's API keys
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 " + MASK),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+@", re.IGNORECASE), r"\1" + MASK + "@"),  # URIs
)


def _named(match):
    value = match.group("value")
    quote = value[0] if value[:1] in "\"'" else ""
    return f"{match.group('name')}{match.group('sep')}{quote}{MASK}{quote}"


def redact_text(text):
    """``text`` with every credential it names or holds replaced by ``***``."""
    if not isinstance(text, str) or not text:
        return text
    text = _NAMED.sub(_named, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value, depth=0):
    """``value`` (JSON-like: dicts, lists, text) with its secrets replaced by ``***``."""
    if depth > 100:
        return value
    if isinstance(value, dict):
        return {key: MASK if isinstance(key, str) and SECRET_NAME.search(key) and value[key] not in (None, "")
                else redact(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item, depth + 1) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
