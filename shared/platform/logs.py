"""Log lines a machine can read, and none that carry personal data.

``LOG_FORMAT=json`` (the containers) writes one JSON object per line::

    {"time": "2026-12-01T08:00:00.123+00:00", "level": "INFO", "logger": "services.routing.service",
     "message": "ticket QD-20261201-00007 -> water (catalogue)", "service": "routing",
     "entrypoint": "on_ticket_created", "ticket": "QD-20261201-00007",
     "event_id": "5d0c...", "call_id": "routing.on_ticket_created.0b6e...",
     "call_chain": ["intake.http_submit.81f2...", "routing.on_ticket_created.0b6e..."]}

``LOG_FORMAT=plain`` (the default, for a person running ``make run``) keeps
the familiar text line. Both go through ``ContextFilter``, which

* adds what the running nameko worker is about (``shared.platform.ops.Operations``
  binds it in ``worker_setup``): the service, the entrypoint, nameko's call
  id and the chain of calls that led here (the same chain across services:
  nameko passes it on with every event and RPC), the ticket number and the
  event id of the message being handled (or the first ticket number the
  message names);
* masks personal data in the message and in tracebacks, whoever wrote them:
  mobile and landline numbers, ID-card and bank-card numbers, e-mail
  addresses (``scrub``).
"""
import logging
import re

from greenlet import getcurrent
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from shared.platform import identifiers
from shared.platform.redaction import redact_text

_process = {"service": None}
_FIELDS = "_hotline_log_fields"  # kept on the worker's own green thread


def _fields():
    return getattr(getcurrent(), _FIELDS, None) or {}


def _set_fields(fields):
    setattr(getcurrent(), _FIELDS, fields)

TICKET_NUMBER = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,10}-\d{8}-\d{5,}(?![0-9])")
_EDGE_L, _EDGE_R = r"(?<![A-Za-z0-9_.\-])", r"(?![A-Za-z0-9_\-])"
_PERSONAL = [
    # e-mail addresses: the first letter of the local part stays
    (re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+\.)+[A-Za-z]{2,}"), r"\1***@***"),
    # 18-digit ID-card numbers (the last may be X), before shorter digit runs
    (re.compile(_EDGE_L + r"\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx]" + _EDGE_R), "[id-card]"),
    # bank-card numbers: 16 to 19 digits, optionally in groups of four
    (re.compile(_EDGE_L + r"(?:\d{4}[ -]?){3}\d{4}(?:[ -]?\d{1,3})?" + _EDGE_R), "[bank-card]"),
    # mainland mobiles, with or without +86: keep the first three and last four digits
    (re.compile(_EDGE_L + r"((?:\+?86[ -]?)?1[3-9]\d)\d{4}(\d{4})" + _EDGE_R), r"\1****\2"),
    # landlines: area code 0xx(x), then 7 or 8 digits
    (re.compile(_EDGE_L + r"(0\d{2,3})[ -]?\d{3,4}(\d{4})" + _EDGE_R), r"\1-****\2"),
]


def scrub(text):
    """``text`` with phone, ID-card and bank-card numbers and e-mail addresses masked
    (in any notation), and API keys, tokens and passwords replaced (``shared.platform.redaction``)."""
    if not text:
        return text
    text = redact_text(text)
    for pattern, replacement in _PERSONAL:
        text = pattern.sub(replacement, text)
    # what the patterns above miss: 138.0532.9876, full-width digits, Chinese numerals,
    # WeChat and QQ ids (shared.platform.identifiers normalises first, as the public scrubber does)
    return identifiers.replace(text, lambda _span, kind: f"[{kind}]")


def set_process_service(name):
    """The service named on lines logged outside any worker (start-up, timers' own logs)."""
    _process["service"] = name


def _ticket_and_event(args, kwargs):
    """The ticket number and event id a worker's arguments carry, if any."""
    ticket = kwargs.get("number") if isinstance(kwargs.get("number"), str) else None
    event_id = None
    first = args[0] if args else None
    if isinstance(first, dict):
        ticket = ticket or (first.get("number") if isinstance(first.get("number"), str) else None)
        event_id = first.get("event_id") if isinstance(first.get("event_id"), str) else None
    elif isinstance(first, str) and TICKET_NUMBER.fullmatch(first):
        ticket = ticket or first
    return ticket, event_id


def enter(worker_ctx):
    """Bind what the worker is about, for every line it logs."""
    ticket, event_id = _ticket_and_event(worker_ctx.args or (), worker_ctx.kwargs or {})
    _set_fields({
        "service": worker_ctx.service_name,
        "entrypoint": worker_ctx.entrypoint.method_name,
        "call_id": worker_ctx.call_id,
        "call_chain": list(worker_ctx.call_id_stack),
        "ticket": ticket,
        "event_id": event_id,
    })


def bind(**fields):
    """Add to the current worker's fields (e.g. ``bind(ticket=number)`` once a ticket is numbered)."""
    _set_fields(dict(_fields(), **fields))


def leave():
    _set_fields(None)


class ContextFilter(logging.Filter):
    """Adds the worker's fields to each record and masks personal data in its message."""

    def filter(self, record):
        fields = _fields()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what was given
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
        record.service = fields.get("service") or _process["service"]
        record.entrypoint = fields.get("entrypoint")
        record.call_id = fields.get("call_id")
        record.call_chain = fields.get("call_chain")
        record.event_id = fields.get("event_id")
        ticket = fields.get("ticket")
        if not ticket:
            found = TICKET_NUMBER.search(record.msg)
            ticket = found.group(0) if found else None
        record.ticket = ticket
        return True


class PlainFormatter(logging.Formatter):
    """The text line for people, tracebacks masked too."""

    def formatException(self, ei):
        return scrub(super().formatException(ei))

    def formatStack(self, stack_info):
        return scrub(super().formatStack(stack_info))


CONTEXT_FIELDS = ("service", "entrypoint", "ticket", "event_id", "call_id", "call_chain")


class JsonFormatter(_JsonFormatter):
    """One JSON object per line; fields without a value are left out."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value in (None, [], ""):
                log_data.pop(key, None)
            else:
                log_data[key] = value

    def formatException(self, ei):
        return scrub(super().formatException(ei))

    def formatStack(self, stack_info):
        return scrub(super().formatStack(stack_info))


def route_uncaught_to_logging():
    """Exceptions nobody caught go through logging too (so JSON stays JSON, masked).

    Python prints an uncaught exception, and eventlet's hub one a green
    thread raised, straight to stderr as text; with ``LOG_FORMAT=json`` that
    would break the one-object-per-line stream.
    """
    import sys

    from eventlet.hubs import hub

    logger = logging.getLogger("uncaught")

    def log_exception(*exc_info):
        logger.error("uncaught %s", exc_info[0].__name__, exc_info=exc_info)

    sys.excepthook = log_exception
    hub.BaseHub.squelch_exception = lambda self, fileno, exc_info: log_exception(*exc_info)
    hub.BaseHub.squelch_generic_exception = lambda self, exc_info: log_exception(*exc_info)
    hub.BaseHub.squelch_timer_exception = lambda self, timer, exc_info: log_exception(*exc_info)
