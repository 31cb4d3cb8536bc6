"""What the workbench's screens and the departments read, each as the one who asks.

Who may see what is decided here (``access.py``), not by the screens.

* ``case_detail``: the case, its ledger, what the citizen said, the files;
* ``case_contact``: the citizen's full contact, every read recorded;
* ``department_cases``, ``department_inbox``: a department's open cases, most urgent first;
* ``review_queue``, ``extension_requests``, ``callbacks_due``: the hotline's queues;
* ``overview``, ``search_cases``, ``list_cases``: the city at a glance, and the cases behind each number.
"""
import logging
from datetime import timedelta

from services.followup.adapters import intake
from services.followup.bootstrap import Deps
from services.followup.domain import InvalidRequest, tree
from services.followup.domain.case import Case
from services.followup.domain.rating import GOOD, link_state, same_moment
from services.followup.domain.states import (
    APPROVED,
    ASSIGNED,
    HOLD_PROPOSED,
    OPEN_STATES,
    REPLIED,
    SIGNED_FOR,
    STATES,
    UNREASONABLE_PROPOSED,
)
from services.followup.handlers import access, appeals
from services.followup.handlers.files import load
from services.followup.handlers.tickets import ticket_of
from services.followup.handlers.views import case_view, listed, page
from shared.contract import events
from shared.platform.identity import STAFF_ROLES, NotAllowed
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)

# Late once past the deadline: with the department, or an exit it proposed still waiting
# (a case on hold is not late while the hold stands).
CHASED = (ASSIGNED, SIGNED_FOR, UNREASONABLE_PROPOSED, HOLD_PROPOSED)
CONTACT_ROLES = ("department", "callback", "operator", "reviewer", "supervisor")

def _refuse_by(deps: Deps, case):
    """Until when the department may still refuse the case (退单), while that makes sense."""
    return deps.deadlines.refusal_deadline(case["assigned_at"]) \
        if case["state"] in (ASSIGNED, SIGNED_FOR) else None

# -- one case -----------------------------------------------------------------------

def case_detail(deps: Deps, number, token=None):
    """The case with its ledger, what the citizen said (caller masked), its files and
    its appeals; each scored ledger entry says whether the one asking may appeal it."""
    case = load(deps, number)
    if token is None:
        deps.caller.require()
    _name, _actor_id, unit = access.may_see(deps, case, token)
    view = {k: v for k, v in case.items() if k not in ("outbox", "_id", "ticket")}
    view["ledger"] = (deps.cases.get(number) or {}).get("ledger") or []  # its own collection
    view["ticket"] = ticket_of(deps, number, case.get("ticket"), content=True)
    view["files"] = deps.cases.files_of(number)
    view["refuse_by"] = _refuse_by(deps, case)
    person = deps.caller.person if token is None else None
    if unit is None and person is not None and person.has("department") and person.department:
        unit = person.department  # staff of a unit who hold a hotline role too
    view["appeals"] = appeals.mark_ledger(deps, number, view["ledger"], unit)
    return jsonable(view)

def department_case(deps: Deps, token, number):
    """The case with what the citizen said (see ``case_detail``)."""
    return case_detail(deps, number, token)

def case_contact(deps: Deps, number, token=None, purpose=""):
    """The citizen's name, phone and email, unmasked; the read is recorded."""
    case = load(deps, number)
    name, actor_id, _department = access.may_see(deps, case, token, () if token is not None else CONTACT_ROLES)
    try:
        contact = deps.intake.contact(number)
    except intake.IntakeAway as exc:
        log.warning("intake did not give the contact for %s (%s)", number, exc)
        raise InvalidRequest({"contact": ["intake is not answering; try again"]}) from None
    deps.cases.record_contact_access({
        "number": number, "at": events.utcnow(), "actor": name, "actor_id": actor_id,
        "department_code": case["department_code"], "purpose": str(purpose or "")[:200],
        "via": "token" if token is not None else "console"})
    log.info("contact of %s read by %s", number, actor_id)
    # The citizen's own lookup code (for notify's receipt) is not the department's to see.
    return {key: contact.get(key) for key in ("name", "phone", "email")} if contact else None

def get_case(deps: Deps, number):
    case = deps.cases.get(number) if isinstance(number, str) else None  # with its ledger
    if case is not None:
        access.may_see(deps, case)
    return case_view(case) if case else None

# -- a department's cases --------------------------------------------------------------

def department_cases(deps: Deps, token=None):
    """The department's open cases, soonest deadline first, with every deadline."""
    department = access.department_actor(deps, token)[0]
    found = []
    for case in deps.cases.open_cases(department):
        case["refuse_by"] = _refuse_by(deps, case)
        found.append(jsonable(with_part(case, department)))
    return found

def department_inbox(deps: Deps, token=None, offset=0, limit=20, state=None):
    """The department's open cases, the next deadline first (sign-for, reply, callback)."""
    department = access.department_actor(deps, token)[0]
    offset, limit = page(offset, limit)
    lead = {"department_code": department, "state": state if state in OPEN_STATES else {"$in": list(OPEN_STATES)}}
    part = {"assignments": {"$elemMatch": {"unit_code": department, "state": state if state in tree.LIVE
                                           else {"$in": list(tree.LIVE)}}}}
    cases, total = deps.cases.page({"$or": [lead, part]}, [("due_at", 1)], offset, limit)
    return listed([with_part(case, department) for case in cases], total)


def with_part(case, department):
    """The case with ``part``: what ``department`` holds of it (its role, state and deadlines)."""
    if case.get("department_code") == department:
        return dict(case, part={"role": "lead", "unit_code": department, "state": case.get("state"),
                                "sign_for_deadline": case.get("sign_for_deadline"),
                                "deadline": case.get("deadline")})
    mine = [a for a in case.get("assignments") or () if a.get("unit_code") == department]
    live = [a for a in mine if a.get("state") in tree.LIVE]
    return dict(case, part=(live or mine or [None])[-1])

# -- the hotline's queues ------------------------------------------------------------------

def review_queue(deps: Deps, offset=0, limit=10):
    """Replies waiting for review, oldest first, each with the quality gate's findings."""
    deps.caller.require("reviewer", "supervisor")
    offset, limit = page(offset, limit)
    cases, total = deps.cases.page({"state": REPLIED}, [("reply.replied_at", 1)], offset, limit,
                                   with_ticket=True)
    for case in cases:
        ticket = ticket_of(deps, case["number"], case.get("ticket"))
        case["findings"] = Case.from_doc(case).review_findings(ticket)
        case["ticket"] = ticket
    return listed(cases, total)

def extension_requests(deps: Deps, offset=0, limit=20):
    """Extensions waiting for the centre: the leads', and the co-handlers' of their parts (tree.py)."""
    deps.caller.require("reviewer", "supervisor")
    offset, limit = page(offset, limit)
    lead = {"state": {"$in": [SIGNED_FOR, REPLIED]}, "extension": {"$ne": None}}
    parts = {"assignments": {"$elemMatch": {"state": {"$in": [SIGNED_FOR, REPLIED]},
                                            "extension.reviewer": tree.CENTRE}}}
    return listed(*deps.cases.page({"$or": [lead, parts]}, [("extension.requested_at", 1)], offset, limit))

def callbacks_due(deps: Deps, offset=0, limit=20):
    """Approved replies whose citizen is to be called back, the most overdue first.

    Each says whether the citizen has a rating link waiting (``rating_link``: its expiry),
    and ``answered_by_link`` lists the cases citizens rated by link in the last week:
    those need no call."""
    deps.caller.require("callback", "supervisor")
    offset, limit = page(offset, limit)
    found = listed(*deps.cases.page({"state": APPROVED}, [("callback_due", 1)], offset, limit))
    now = deps.clock.now()
    links = deps.ratings.of_cases(item["number"] for item in found["items"])
    for item in found["items"]:
        waiting = [link for link in links.get(item["number"], []) if link_state(link, now) == GOOD
                   and same_moment(link.get("approved_at"), item.get("approved_at"))]  # this approval's
        item["rating_link"] = jsonable({"expires_at": waiting[-1]["expires_at"]}) if waiting else None
    found["answered_by_link"] = jsonable([
        {"number": link["number"], "at": link["used_at"], "outcome": link["answer"].get("outcome"),
         "satisfaction": link["answer"].get("satisfaction")}
        for link in deps.ratings.answered_since(now - timedelta(days=7))])
    return found

# -- the city at a glance ---------------------------------------------------------------------

def overview(deps: Deps):
    """Open cases by department and state, and the late ones, for supervisors."""
    deps.caller.require(*STAFF_ROLES)
    now = deps.clock.now()
    open_states = {"state": {"$in": list(OPEN_STATES)}}
    late = {"state": {"$in": list(CHASED)}, "deadline": {"$lt": now}}
    sign_late = {"state": ASSIGNED, "sign_for_deadline": {"$lt": now}}
    callbacks_late = {"state": APPROVED, "callback_due": {"$lt": now}}
    departments: dict[str, dict] = {}
    for key, count in deps.cases.count_by(open_states, ["department_code", "state"]):
        row = departments.setdefault(key["department_code"], {"states": {}, "overdue": 0, "sign_for_late": 0})
        row["states"][key["state"]] = count
    for match, field in ((late, "overdue"), (sign_late, "sign_for_late")):
        for key, count in deps.cases.count_by(match, ["department_code"]):
            departments.setdefault(key["department_code"], {"states": {}, "overdue": 0,
                                                            "sign_for_late": 0})[field] = count
    totals = {state: sum(r["states"].get(state, 0) for r in departments.values()) for state in OPEN_STATES}
    return jsonable({
        "at": now, "totals": totals, "open": sum(totals.values()),
        "overdue": sum(r["overdue"] for r in departments.values()),
        "sign_for_late": sum(r["sign_for_late"] for r in departments.values()),
        "callbacks_late": deps.cases.count_where(callbacks_late),
        "departments": [dict(row, code=code, name=deps.directory.name(code))
                        for code, row in sorted(departments.items())]})

def list_cases(deps: Deps, department_code=None, state=None):
    return jsonable(deps.cases.open_cases(access.scope(deps, department_code), state))

def search_cases(deps: Deps, filters=None, offset=0, limit=20):
    """Cases by ``department``, ``state`` (or ``open``), ``overdue``, ``numbers``; one page."""
    filters = filters if isinstance(filters, dict) else {}
    person = deps.caller.require()
    offset, limit = page(offset, limit)
    query = {}
    department = access.scope(deps, filters.get("department") or None)
    if department:
        query["department_code"] = department
    state = filters.get("state") or "open"
    if state == "open":
        query["state"] = {"$in": list(OPEN_STATES)}
    elif state in STATES:
        query["state"] = state
    else:
        raise InvalidRequest({"state": [f"open or one of {', '.join(STATES)}"]})
    if filters.get("overdue"):
        query.update(state={"$in": list(CHASED)}, deadline={"$lt": deps.clock.now()})
    numbers = filters.get("numbers")
    if numbers is not None:
        if not isinstance(numbers, list) or len(numbers) > 500 or not all(isinstance(n, str) for n in numbers):
            raise InvalidRequest({"numbers": ["up to 500 ticket numbers"]})
        query["number"] = {"$in": numbers}
    if not person.has(*STAFF_ROLES) and not department:
        raise NotAllowed(f"{person.name} may not list cases")
    return listed(*deps.cases.page(query, [("due_at", 1)], offset, limit))

def contact_accesses(deps: Deps, number=None, offset=0, limit=50):
    """Who read which citizen's contact, newest first (administrators, supervisors)."""
    deps.caller.require("admin", "supervisor")
    offset, limit = page(offset, limit)
    return listed(*deps.cases.contact_accesses(number, offset, limit))
