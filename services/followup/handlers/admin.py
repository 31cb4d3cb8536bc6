"""Department tokens (administrators), the scorecard (三率) and followup's calendar."""
import datetime as dt
import logging

from services.followup.bootstrap import Deps
from services.followup.domain import InvalidRequest
from services.followup.domain.appeal import excused_rows
from services.followup.domain.scorecard import local_day_range, scorecard, with_closures
from shared.contract import bounds, events
from shared.platform import mirror as shared_mirror
from shared.platform.jsonable import jsonable
from shared.platform.outbox import republish_stale
from shared.timelimits.calendar import readiness

log = logging.getLogger(__name__)


def create_department_token(deps: Deps, department_code, label=""):
    """A token for a department of routing's directory (one added a moment ago too)."""
    deps.caller.require("admin")
    problem = bounds.text_error(label, bounds.NAME)
    if problem:
        raise InvalidRequest({"label": [problem]})
    if not isinstance(department_code, str) or not department_code.strip():
        raise InvalidRequest({"department": ["a department code, e.g. WATER"]})
    department = deps.directory.department(department_code) or \
        shared_mirror.department_from_routing(deps.directory, deps.routing, department_code)
    if department is None:
        raise InvalidRequest({"department": [
            f"no department {department_code} in routing's directory "
            "(see hotline routing departments)"]})
    if department.get("retired"):
        raise InvalidRequest({"department": [f"{department_code} is retired"]})
    token = deps.cases.create_token(department_code, label, deps.clock.now())
    return {"department_code": department_code, "department_name": department["name"], "token": token}


def revoke_department_tokens(deps: Deps, department_code):
    deps.caller.require("admin")
    return deps.cases.revoke_tokens(department_code, deps.clock.now())


def list_department_tokens(deps: Deps):
    deps.caller.require("admin")
    return jsonable(deps.cases.list_tokens())


def department_scorecard(deps: Deps, date_from=None, date_to=None):
    """The 三率 and more per unit, rolled up for each unit with units below it (the
    directory's tree, as followup mirrors it), and for the city, over local dates (inclusive):
    raw, and after the accepted appeals' events are taken out (``*_after_appeal``); beside them
    the closures that held (``held_rate``, 防反弹)."""
    zone = deps.deadlines.zone
    now = deps.clock.now()
    start, end, period = local_day_range(date_from, date_to, zone, now.astimezone(zone).date())
    pending = with_closures(deps.cases.period_cases(start, end, now),
                            deps.cases.closures(start, end, now, deps.deadlines.rebounds))
    return scorecard(deps.cases.ledger_counts(start, end), period, pending,
                     deps.directory.tree, excused_rows(deps.appeals.accepted_between(start, end)))


def calendar_status(deps: Deps):
    """followup's calendar: city files known, readiness, deadlines over uncovered days."""
    calendar = deps.directory.calendar
    today = deps.clock.now().astimezone(deps.deadlines.zone).date()
    return jsonable({"service": "followup", "calendar": calendar.name,
                     "years": calendar.coverage(today.year, today.year + 1),
                     "readiness": readiness(calendar, today)})


def republish_outbox(deps: Deps):
    """The outbox timer: publish what an earlier worker left; copy out ledgers a crash left."""
    republish_stale(deps.cases.outbox, deps.dispatch)
    republish_stale(deps.appeals.outbox, deps.dispatch)
    stale = events.utcnow() - dt.timedelta(seconds=5)
    moved = deps.cases.move_stale_ledger(stale) + deps.appeals.move_stale_ledger(stale)
    if moved:
        log.warning("copied %d ledger entr(ies) a crash left in their cases", moved)
