"""The exits of a case: 不合理诉求, 挂账 and the hold's recheck, get -> call -> save.

The department proposes (with its token, or as its signed-in staff); a reviewer
rules on an unreasonable request, a supervisor decides a hold (as the signed-in
person); notify's ``hold_recheck_due`` takes a case off hold. The rules are the
case's (``domain/exits.py``); the queues and the 挂账 list are read here too.
"""
import logging

from services.followup.bootstrap import Deps
from services.followup.domain.states import HOLD_PROPOSED, ON_HOLD, UNREASONABLE_PROPOSED
from services.followup.handlers import access
from services.followup.handlers.cases import change_case, view_after
from services.followup.handlers.files import files_named
from services.followup.handlers.views import listed, page

log = logging.getLogger(__name__)


# -- the department proposes ------------------------------------------------------------

def propose_unreasonable(deps: Deps, token, number, reason, evidence=None, actor="", file_ids=None):
    """不合理诉求: the reason, and its evidence (links, ``file_ids`` of files uploaded to the case)."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    files = files_named(deps, number, file_ids)
    return view_after(deps, change_case(deps, number, lambda case: case.propose_unreasonable(
        actor, reason, evidence, now, files), department, actor_id))


def propose_hold(deps: Deps, token, number, reason, recheck_on, actor=""):
    """挂账: the reason and the day (``YYYY-MM-DD``) it is to be looked at again."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.propose_hold(
        actor, reason, recheck_on, now, deps.deadlines), department, actor_id))


# -- the hotline decides ----------------------------------------------------------------------

def decide_unreasonable(deps: Deps, number, approve, reason=""):
    """A reviewer approves (closed as ``unreasonable``) or rejects with a reason."""
    reviewer, actor_id = access.staff(deps, "reviewer")
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.decide_unreasonable(
        reviewer, approve, reason, now), actor_id=actor_id))


def decide_hold(deps: Deps, number, approve, reason=""):
    """A supervisor approves the hold (rechecked on its day) or rejects it with a reason."""
    supervisor, actor_id = access.staff(deps, "supervisor")
    now = deps.clock.now()
    return view_after(deps, change_case(deps, number, lambda case: case.decide_hold(
        supervisor, approve, reason, now), actor_id=actor_id))


# -- notify's recheck ---------------------------------------------------------------------------

def on_hold_recheck_due(deps: Deps, due):
    """The hold's day came: the case goes back to its department; a redelivery changes nothing."""
    now = deps.clock.now()
    if change_case(deps, due["number"], lambda case: case.recheck_hold(
            due["recheck_at"], now, deps.deadlines)) is None:
        log.info("case %s is not on the hold rechecked; ignored", due["number"])
    else:
        log.info("case %s back with %s after its hold", due["number"], due["department_code"])


# -- the queues and the 挂账 list -----------------------------------------------------------------

def unreasonable_queue(deps: Deps, offset=0, limit=20):
    """Proposed 不合理诉求 waiting for a reviewer, oldest first."""
    deps.caller.require("reviewer", "supervisor")
    offset, limit = page(offset, limit)
    return listed(*deps.cases.page({"state": UNREASONABLE_PROPOSED}, [("proposal.proposed_at", 1)],
                                   offset, limit))


def hold_queue(deps: Deps, offset=0, limit=20):
    """Proposed holds waiting for a supervisor, oldest first."""
    deps.caller.require("supervisor")
    offset, limit = page(offset, limit)
    return listed(*deps.cases.page({"state": HOLD_PROPOSED}, [("proposal.proposed_at", 1)], offset, limit))


def hold_list(deps: Deps, department_code=None, offset=0, limit=50, token=None):
    """The 挂账 list: cases on hold, the soonest recheck first (a department sees its own)."""
    if token is not None:
        department = access.department(deps, token)
    else:
        deps.caller.require()
        department = access.scope(deps, department_code)
    offset, limit = page(offset, limit)
    query = {"state": ON_HOLD, **({"department_code": department} if department else {})}
    return listed(*deps.cases.page(query, [("hold.recheck_at", 1)], offset, limit))
