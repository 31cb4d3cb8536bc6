"""The life of a case: assignments from routing and every transition, get -> call -> save.

Each command loads the :class:`~services.followup.domain.Case`, calls its verb
(which checks the transition and returns the ``Change``), and saves the change
with its events through the unit of work, which runs it again on a lost race
and publishes after. What it answers is the case as it now is, with its ledger.
"""
import logging
from collections.abc import Callable
from typing import Any

from services.followup.bootstrap import Deps
from services.followup.domain import Case, CaseChanged, Change, UnknownCase
from services.followup.domain.states import REPLIED
from services.followup.handlers import access
from services.followup.handlers.files import files_named
from services.followup.handlers.tickets import ticket_of
from services.followup.handlers.views import case_view
from shared.platform.jsonable import jsonable
from shared.platform.unit_of_work import LostRace

log = logging.getLogger(__name__)


def change_case(deps: Deps, number: str, verb: Callable[[Case], Change | None],
                department: str | None = None, actor_id: str | None = None,
                part: bool = False) -> dict[str, Any] | None:
    """Load the case, ``verb(case) -> Change | None``, save; the saved document (or ``None``).

    ``department``: the case must be with it as its lead -- or, with ``part``, the unit may
    hold a part of it (co-handling, passed down: the verbs of ``domain/tree.py``).
    ``actor_id`` (the signed-in person's id, or ``token:DEPT``) goes into every ledger
    entry the change appends."""
    def work():
        case = deps.cases.load(number)
        if case is None:
            raise UnknownCase(f"no case {number}")
        case.held_by(department, part)
        change = verb(case)
        return None if change is None else deps.cases.save(deps.uow, case, change.by(actor_id))
    try:
        return deps.uow.run(work)
    except LostRace as exc:
        raise CaseChanged(str(exc)) from None


def view_after(deps: Deps, doc):
    """What a verb answers: the case as it now is, with its ledger."""
    return case_view(deps.cases.get(doc["number"]))


# -- assignments from routing ------------------------------------------------------

def on_ticket_assigned(deps: Deps, assignment):
    """Open a case, or move a refused (or redispatched) one; a redelivery changes nothing."""
    now = deps.clock.now()
    case = Case.open(assignment, now)
    if deps.uow.run(lambda: deps.cases.add(deps.uow, case, case.opened())) is not None:
        log.info("case %s opened for %s", case.number, case.department_code)
    elif change_case(deps, case.number, lambda held: held.reassign(assignment, now, deps.deadlines)) is None:
        log.info("case %s is open already; redelivery ignored", case.number)
    else:
        log.info("case %s moved to %s", case.number, assignment["department_code"])
    if assignment.get("co_handlers"):  # once the case is open: also on a redelivery after a crash
        # (a re-route took its co-handlers with the move: ``co_handlers_at_open`` knows)
        change_case(deps, case.number, lambda held: held.co_handlers_at_open(assignment, deps.deadlines)
                    if held.assignment_event == assignment["event_id"] else None)


def on_ticket_rebounded(deps: Deps, event):
    """A request came back after the case closed as solved (防反弹): counted against the unit
    that closed it; a redelivery, or a rebound the case does not count, changes nothing."""
    number = event["rebound_of"]
    try:
        done = change_case(deps, number, lambda case: case.rebound(
            event["number"], event["basis"], event.get("reason") or "", event["received_at"],
            deps.deadlines.rebounds, event.get("reason_codes")))
    except UnknownCase:
        log.info("rebound %s of %s: no case here; nothing to count", event["number"], number)
        return
    if done is not None:
        log.info("case %s rebounded: %s came back after it closed", number, event["number"])


def erase_personal_data(deps: Deps, event, scrub):
    """intake erased a closed ticket's personal data: scrub this service's copy too."""
    deps.cases.erase_personal_data(event["number"], scrub)
    deps.appeals.erase_personal_data(event["number"], scrub)
    deps.ratings.erase_personal_data(event["number"], scrub)


# -- the department's verbs (with its token, or as its signed-in staff) -------------

def sign_for(deps: Deps, token, number, actor=""):
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.sign_for(actor, now, department),
                                        department, actor_id, part=True))


def refuse_case(deps: Deps, token, number, reason, actor=""):
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    return view_after(deps, change_case(
        deps, number, lambda case: case.refuse(actor, reason, now, deps.deadlines, department),
        department, actor_id, part=True))


def request_extension(deps: Deps, token, number, working_days, reason, actor=""):
    """More time (延期) for the unit's reply: the lead's asks the hotline, a co-handler's or a
    child's asks whoever reviews its part (``handlers/tree.py`` decides those)."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.request_extension(
        actor, working_days, reason, now, deps.deadlines, department), department, actor_id, part=True))


def submit_reply(deps: Deps, token, number, text, attachments=None, actor="", file_ids=None):
    """The reply: text, links, and ``file_ids`` of files uploaded to the case (``add_attachment``)."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    files = files_named(deps, number, file_ids)
    return view_after(deps, change_case(
        deps, number, lambda case: case.submit_reply(actor, text, attachments, now, files, department),
        department, actor_id, part=True))


# -- the operators' verbs (as the signed-in person) -------------------------------------

def check_reply(deps: Deps, number):
    """The reply waiting for review and what the quality gate found in it."""
    case = deps.cases.load(number)
    if case is None:
        raise UnknownCase(f"no case {number}")
    ticket = ticket_of(deps, number, case.ticket) if case.state == REPLIED else None
    findings = case.review_findings(ticket)
    return jsonable({"number": number, "department_code": case.department_code, "reply": case.reply,
                     "ticket": ticket, "findings": findings, "rejection_count": case.rejection_count})


def review_reply(deps: Deps, number, approve, reason=""):
    """Approve the reply (a callback becomes due) or send it back with a reason."""
    reviewer, actor_id = access.staff(deps, "reviewer")
    now = deps.clock.now()

    def verb(case):
        ticket = ticket_of(deps, number, case.ticket) if case.state == REPLIED else None
        if approve:
            return case.approve_reply(reviewer, ticket, now, deps.deadlines, reason)
        return case.reject_reply(reviewer, reason, ticket, now)
    return view_after(deps, change_case(deps, number, verb, actor_id=actor_id))


def decide_extension(deps: Deps, number, grant, reason=""):
    """Grant or deny (with a reason) an extension, as the signed-in reviewer."""
    operator, actor_id = access.staff(deps, "reviewer")
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.decide_extension(
        operator, grant, reason, now, deps.deadlines), actor_id=actor_id))


def record_callback(deps: Deps, number, reached, resolved=None, satisfaction=None, note="", outcome=None):
    """The callback (回访), recorded as the signed-in callback agent.

    ``outcome``: resolved, partly_resolved, unresolved or untrue (older callers say
    ``resolved`` true or false). A case raised a level goes to the parent unit the
    directory knows for its department (``parent``), else to the centre."""
    operator, actor_id = access.staff(deps, "callback")
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.record_callback(
        operator, reached, resolved, satisfaction, note, now, deps.deadlines, outcome,
        parent_of(deps, case.department_code)), actor_id=actor_id))


def parent_of(deps: Deps, department_code):
    """The code of the unit above ``department_code`` in routing's directory, or ``None``."""
    department = deps.directory.department(department_code) or {}
    parent = department.get("parent")
    return parent if isinstance(parent, str) and parent and parent != department_code else None
