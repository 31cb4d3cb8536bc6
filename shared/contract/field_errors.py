"""What is wrong with a field: each a code with its facts, and its English sentence.

Services refuse a request with errors by field, in English:
``{"caller_phone": ["not a phone number: use a mobile ..."]}`` -- marshmallow's
own messages ("Missing data for required field.") and the services' (intake's
schemas, followup's checks, the workbench's rules about people). Those stay as
they are for every client that reads them (HTTP's ``errors``, an RPC's
``RemoteError.value``, the CLI). Beside them travels the same thing coded,
``{"caller_phone": [{"code": "phone", "params": {}}]}``: intake's HTTP doors
answer ``{"errors": ..., "error_codes": ...}`` (``coded(errors)``), and a client
of the RPCs gets the codes of a ``value`` with the same ``coded``. The workbench
says each code's sentence in the reader's language (its catalogues extract
``SENTENCES`` from here, as they do ``shared.contract.reasons``) with the facts filled in.

A few refusals that are no field's (routing's to a dispatcher) are sentences
here too: the workbench's refusal page says them the same way.

Every sentence is a ``%``-format string with named facts; a message is
recognised as the sentence it was made from (``message(code, **facts)``), so
a service raises ``message(...)`` and its English is what it always was. A
message no sentence makes is ``{"code": "said", "params": {"text": ...}}``:
shown as it is.
"""
import re
from collections.abc import Mapping
from typing import Any

from shared.contract import reasons


def N_(message: str) -> str:
    """Mark a sentence for the workbench's catalogues; it is translated where it is shown."""
    return message


SENTENCES: dict[str, str] = {
    "said": "%(text)s",
    # marshmallow's own messages (marshmallow 3: fields and validators)
    "required": N_("Missing data for required field."),
    "null": N_("Field may not be null."),
    "not_text": N_("Not a valid string."),
    "not_number": N_("Not a valid number."),
    "not_email": N_("Not a valid email address."),
    "not_url": N_("Not a valid URL."),
    "not_integer": N_("Not a valid integer."),
    "not_date": N_("Not a valid date."),
    "not_boolean": N_("Not a valid boolean."),
    "invalid_input": N_("Invalid input type."),
    "length_between": N_("Length must be between %(min)s and %(max)s."),
    "length_min": N_("Shorter than minimum length %(min)s."),
    "length_max": N_("Longer than maximum length %(max)s."),
    "range_between": N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    "one_of": N_("Must be one of: %(choices)s."),
    # intake: a ticket at the door (services/intake/entrypoints/schemas.py)
    "phone": N_("not a phone number: use a mobile (11 digits: 138 1234 5678), a landline with area code "
                "(0532-88886666) or an international number with a leading +"),
    "phone_00": N_("an international number is written with + (+14155550123)"),
    "unreadable": N_("the text is not readable (sent in an encoding other than UTF-8?)"),
    "control": N_("control characters are not text"),
    "blank": N_("must not be blank"),
    "unknown_category": N_("unknown category; see the service catalogue (hotline services)"),
    "unknown_district": N_("unknown district; this city has: %(districts)s"),
    "both_coordinates": N_("give both lat and lng, or neither"),
    "not_open": N_("%(number)s is not an open ticket to link to"),
    "no_entry": N_("no knowledge entry %(entry)s"),
    # followup: what a person types on a case (services/followup/domain/case.py)
    "is_required": N_("is required"),
    "must_be_text": N_("must be text"),
    "at_most_characters": N_("at most %(max)s characters"),
    "working_days": N_("a whole number of working days, at least 1"),
    "extension_left": N_("at most %(max)s working days in all; %(left)s left for this case"),
    "date": N_("a date like 2026-11-26"),
    # the workbench's people (services/console/domain/people.py)
    "login": N_("2 to 32 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"),
    "roles": N_("one or more of %(roles)s"),
    "department_needed": N_("department staff need the department they work for"),
    "unknown_department": N_("unknown department code"),
    "not_department_staff": N_("only department staff are bound to a department"),
    "password_short": N_("at least %(min)s characters"),
    "password_login": N_("must not contain the login name"),
    "user_exists": N_("%(login)s exists already"),
    "no_user": N_("no user %(login)s"),
    # routing: what a dispatcher is refused (services/routing/service.py), said on the refusal page
    "not_waiting": N_("%(number)s is not waiting for a dispatcher: it is with %(department)s"),
    "dispatched_meanwhile": N_("%(number)s was dispatched by someone else meanwhile"),
    "moved_meanwhile": N_("%(number)s was moved by someone else meanwhile"),
    "not_with_department": N_("%(number)s is not with a department: assign it from the queue"),
    "with_already": N_("%(number)s is with %(department)s already"),
    "no_department": N_("no department %(department)s in service"),
    "no_ticket": N_("no ticket %(number)s in routing"),
    "say_why": N_("say why the ticket moves (the reason is recorded)"),
    # routing: a department's place in the directory's tree (services/routing/domain/directory.py)
    "parent_unknown": N_("the parent unit %(department)s is not in the directory"),
    "parent_retired": N_("the parent unit %(department)s is retired"),
    "parent_cycle": N_("%(department)s is this unit or lies below it: a unit cannot be inside itself"),
    "parent_top": N_("a city bureau or a district is at the top of the tree: leave its parent unit empty"),
    "parent_needed": N_("a community belongs to a street office: give its parent unit"),
    "units_below": N_("%(department)s still has units in service below it: move or retire them first"),
    "duties": N_("a list of at most %(max)s lines of at most %(length)s characters"),
}


def message(code: str, **facts: object) -> str:
    """The English sentence of ``code`` with its facts: what a service raises."""
    return SENTENCES[code] % facts


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)[sd]", template)
    regex = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts))
    return re.compile(regex, re.DOTALL)


PATTERNS = [(code, _pattern(template)) for code, template in SENTENCES.items() if code != "said"]


def recognised(text: object) -> reasons.Coded:
    """The coded error a message was made from: ``{"code": ..., "params": {...}}``."""
    said = str(text)
    for code, pattern in PATTERNS:
        found = pattern.fullmatch(said)
        if found:
            return {"code": code, "params": found.groupdict()}
    return {"code": "said", "params": {"text": said}}


def coded(errors: object) -> dict[str, list[reasons.Coded]]:
    """Errors by field (``{"title": ["Missing data for required field."]}``) coded:
    ``{"title": [{"code": "required", "params": {}}]}``. Nested messages (a list
    in a list, a dict of a nested schema) are flattened into their field's list."""
    if not isinstance(errors, dict):
        return {"_": [recognised(m) for m in _flat(errors)]}
    return {str(field): [recognised(m) for m in _flat(messages)] for field, messages in errors.items()}


def _flat(messages: object) -> list[object]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, (list, tuple)):
        return [m for value in messages for m in _flat(value)]
    return [messages]


def sentence(error: Mapping[str, Any], template: str | None = None) -> str:
    """The sentence of a coded error (``template``: its translation, if any); a
    template that does not fit the facts falls back to the English, then the code."""
    return reasons.fill(error, template, SENTENCES)
