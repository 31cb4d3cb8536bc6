"""The city's calendar and the deadlines a case would get.

Routing keeps the city's calendar files (one per year, see
:mod:`shared.timelimits.calendar_files`) as it keeps the directory: an
administrator loads a year (``hotline calendar load``), routing stores it as
the next calendar version and announces it (``calendar_year_loaded``) after the
unit of work; every routing instance reloads it on its refresh timer, followup
and notify from the event (or their catch-up).
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from services.routing.domain.errors import CalendarInvalid
from shared.contract.messages import REQUEST_TYPES
from shared.contract.request_types import parse as parse_request_type
from shared.platform.jsonable import jsonable
from shared.timelimits.calendar import readiness
from shared.timelimits.calendar_files import BadCalendarFile, parse

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps

CLASSES = ("emergency", "urgent", "utilities", "general", "complex")
URGENCIES = ("normal", "urgent", "emergency")


def parse_moment(value, zone):
    """An ISO date-time (city time when it has no offset), or ``CalendarInvalid``."""
    try:
        moment = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise CalendarInvalid({"from": ["an ISO date-time such as 2027-02-05T09:00"]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not 1990 <= moment.year <= 2200:
        raise CalendarInvalid({"from": ["a year from 1990 to 2200"]})
    return moment.astimezone(dt.UTC)


def load_calendar_year(deps: Deps, document, by="", reason=""):
    """Store the city's calendar of a year; every service counts with it from then on."""
    known = deps.known()
    if not (by or "").strip():
        raise CalendarInvalid({"by": ["say who loads it"]})
    try:
        year = parse(document)
    except BadCalendarFile as exc:
        raise CalendarInvalid(exc.errors) from None
    version, _ = deps.uow.run(lambda: deps.calendar.load_calendar_year(
        year.to_document(), by.strip(), (reason or "").strip(), uow=deps.uow))
    known.refresh(deps.decisions)
    [coverage] = known.calendar.coverage(year.year, year.year)
    return jsonable({"year": year.year, "version": version, "coverage": coverage})


def calendar_years(deps: Deps):
    """The city's calendar files as loaded, one per year."""
    deps.known()
    return jsonable(deps.calendar.calendar_documents())


def calendar_coverage(deps: Deps, first_year=None, last_year=None):
    """Which source covers which year, and the days no official source covers."""
    known = deps.known()
    today = deps.clock.now().astimezone(known.policy.zone).date()
    first = int(first_year or today.year - 1)
    last = int(last_year or today.year + 1)
    if not 0 <= last - first <= 10 or not 1990 <= first <= 2200:
        raise CalendarInvalid({"years": ["at most ten years, from 1990"]})
    return jsonable({"service": "routing", "calendar": known.calendar.name,
                     "calendar_version": known.calendar_state,
                     "years": known.calendar.coverage(first, last),
                     "readiness": readiness(known.calendar, today)})


def preview_terms(deps: Deps, start, time_limit_class, urgency="normal", *, request_type=None):
    """The deadlines a case (of ``request_type``, if given) dispatched at ``start`` (ISO) would
    get; nothing stored."""
    known = deps.known()
    kind = parse_request_type(request_type) if request_type else None
    if request_type and kind is None:
        raise CalendarInvalid({"request_type": [f"one of {', '.join(REQUEST_TYPES)}"]})
    if time_limit_class not in known.policy.time_limits:
        raise CalendarInvalid({"limit": [f"one of {', '.join(sorted(known.policy.time_limits))}"]})
    if urgency not in URGENCIES:
        raise CalendarInvalid({"urgency": [f"one of {', '.join(URGENCIES)}"]})
    moment = parse_moment(start, known.policy.zone)
    terms = known.policy.terms(moment, time_limit_class, urgency, report=False, request_type=kind)
    return jsonable({"start": moment, "asked_class": time_limit_class, "asked_urgency": urgency,
                     "request_type": kind, "request_type_limit": terms.request_type is not None,
                     "time_limit_class": terms.time_limit_class, "urgency": terms.urgency,
                     "sign_for_deadline": terms.sign_for_deadline, "deadline": terms.deadline,
                     "calendar_uncovered": terms.uncovered_ranges})
