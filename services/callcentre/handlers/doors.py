"""The CTI doors: HTTP (``POST /cti/{token}``) and a source's AMQP client (``call.event``)."""
import logging
from urllib.parse import urlsplit

from services.callcentre.bootstrap import Deps
from services.callcentre.entrypoints.cti import ORIGIN, BadEvent, call_event, http_body, refusal
from services.callcentre.handlers.events import received
from shared.platform.answers import json_body
from shared.platform.rawqueue import decode
from shared.platform.redaction import redact

log = logging.getLogger(__name__)
NOT_FOUND = {"errors": {"token": ["not found"]}}


def http_event(deps: Deps, request, token):
    """Zammad's answers: 200 with an empty JSON object; 404 for a token that is not the door's."""
    if not deps.calls.tokens.valid(token):
        return json_body(404, NOT_FOUND)
    try:
        event = call_event(http_body(request), deps.now())
    except BadEvent as exc:
        return json_body(400, refusal(exc.errors))
    received(deps, event)
    return json_body(200, {})


def redacted(payload):
    """A dead letter's copy: no token or key, and no caller's number in full."""
    from shared.platform.privacy import mask_text

    payload = redact(payload)
    if isinstance(payload, dict):
        return {k: mask_text(v) if isinstance(v, str) else v for k, v in payload.items()}
    return mask_text(payload) if isinstance(payload, str) else payload


def publisher(deps: Deps, user_id):
    """The source that published (or ``"platform"``), or ``None`` for one that may not."""
    from shared.platform.broker_admin import USER_PREFIX  # (it imports requests: only when asked)

    if not isinstance(user_id, str) or not user_id:
        return None
    if user_id == urlsplit(deps.config.get("AMQP_URI") or "").username:
        return "platform"
    name = user_id[len(USER_PREFIX):] if user_id.startswith(USER_PREFIX) else None
    return name if name in deps.settings.call_sources else None


def amqp_event(deps: Deps, body, properties):
    """A call event from a source's own AMQP client; a dead letter with the reason if refused."""
    payload, problem = decode(body)
    source = publisher(deps, properties.get("user_id"))
    if source is None:
        deps.dead_letters(redacted(payload), "rejected call.event: the publisher is no source of calls "
                          f"(user_id {properties.get('user_id')!r})", ORIGIN)
        return
    if problem:
        deps.dead_letters(redacted(payload), f"rejected call.event: {problem}", ORIGIN)
        return
    try:
        event = call_event(payload, deps.now())
    except BadEvent as exc:
        deps.dead_letters(redacted(payload), f"rejected call.event: {exc.errors}", ORIGIN)
        return
    received(deps, event)
