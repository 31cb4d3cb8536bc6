"""A request's type (诉求类型), as the national 12345 work order has it, and its words.

Every citizen's ticket is one of six types -- 咨询 consultation, 求助 help, 投诉
complaint, 举报 report, 建议 suggestion, 表扬 praise. A seventh, 主动治理
``proactive``, is the hotline's own: a case a supervisor opens from what insight
found (未诉先办), with no citizen behind it; only that door sets it
(``CITIZEN_REQUEST_TYPES`` are the ones a citizen's door takes). The events carry the
English code (``messages.RequestType``); a door may be given the code or the
Chinese word (``parse``), and the workbench shows the Chinese first.
Statistics and time limits depend on it (``shared.timelimits.deadlines``).
"""
from shared.contract.messages import CITIZEN_REQUEST_TYPES, PROACTIVE, REQUEST_TYPES, RequestType

# The Chinese word of each type, in the order of the national work order.
WORDS: dict[str, str] = {
    "consultation": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
    "proactive": "主动治理",
}
CODES: dict[str, str] = {word: code for code, word in WORDS.items()}
# How the Chinese is also written on a form: 咨询类, 投诉类 ...
SUFFIX = "类"

assert tuple(WORDS) == REQUEST_TYPES


def parse(value: object) -> str | None:
    """The code of ``value`` -- a code (any case) or the Chinese word -- or ``None`` if neither."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in REQUEST_TYPES:
        return text.lower()
    if text.endswith(SUFFIX) and len(text) > 1:
        text = text[:-1]
    return CODES.get(text)


def label(code: str | None) -> str:
    """``投诉 complaint``: the Chinese word first (for logs, exports and the CLI)."""
    if not code:
        return ""
    return f"{WORDS.get(code, '')} {code}".strip()


__all__ = ["CITIZEN_REQUEST_TYPES", "CODES", "PROACTIVE", "REQUEST_TYPES", "WORDS", "RequestType", "label",
           "parse"]
