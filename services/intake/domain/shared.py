"""The platform's rules the domain uses, under the types the domain relies on.

``shared.contract`` and ``shared.platform.privacy`` are plain Python without
annotations (yet); the domain is checked strictly, so it calls them through
these typed names -- one place that says what each one takes and gives.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from shared.contract import events as _events
from shared.contract import numbering as _numbering
from shared.contract import reasons as _reasons
from shared.platform import jsonable as _jsonable
from shared.platform import privacy as _privacy

Doc = dict[str, Any]
Coded = dict[str, Any]   # a coded reason: {"code", "params"}
Event = dict[str, Any]   # an event payload: envelope and body

reason: Callable[..., Coded] = _reasons.reason
noted: Callable[..., Doc] = _reasons.noted
sentence: Callable[[Coded], str] = _reasons.sentence
scrubbed: Callable[[list[Coded], Callable[[Any], Any]], list[Coded]] = _reasons.scrubbed
scrub: Callable[[Any], Any] = _privacy.scrub
deidentify: Callable[..., Any] = _privacy.deidentify
mask_phone: Callable[[Any], Any] = _privacy.mask_phone
mask_name: Callable[[Any], Any] = _privacy.mask_name
jsonable: Callable[[Any], Any] = _jsonable.jsonable
new_event: Callable[..., Event] = _events.new_event
utcnow: Callable[[], dt.datetime] = _events.utcnow
parse_number: Callable[[str], tuple[str, int] | None] = _numbering.parse_number
format_number: Callable[[str, dt.date, int], str] = _numbering.format_number
