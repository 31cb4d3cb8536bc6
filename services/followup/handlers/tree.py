"""The tree of a case: co-handlers, passing down, and the reviews of refusals and replies.

Each command is get -> call -> save through ``change_case`` (``cases.py``); the
verbs are in ``domain/tree.py`` (and the lead's refusal review on ``Case``).
Who acts: a unit (its token, or its signed-in staff) on its own part and on
the parts it passed down; the centre's dispatchers on the lead's and the
co-handlers' refusals and when they add a co-handler (加派); the centre's
reviewers on the co-handlers' extensions (as on the lead's).
"""
from services.followup.bootstrap import Deps
from services.followup.domain import InvalidRequest, tree
from services.followup.handlers import access
from services.followup.handlers.cases import change_case, view_after
from services.followup.handlers.views import listed, page
from shared.platform import mirror

UNIT_CODE = 64  # the longest unit code (the API's PassDown schema says so too)


def unit(deps: Deps, code) -> tree.Unit:
    """A unit as routing's directory describes it (asked of routing when not known yet)."""
    if not isinstance(code, str) or not code.strip() or len(code) > UNIT_CODE:
        raise InvalidRequest({"unit": ["the code of a unit in the directory"]})
    found = deps.directory.department(code) or mirror.department_from_routing(deps.directory, deps.routing, code)
    if not found or found.get("retired"):
        raise InvalidRequest({"unit": [f"no unit {code} in the directory"]})
    return tree.Unit(code=found["code"], name=found.get("name") or code,
                     parent=deps.directory.parent(found["code"]) or found.get("parent") or "")


def pass_down(deps: Deps, token, number, unit_code, note="", actor=""):
    """The unit hands its part on to a unit under it (下派), with a note."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    child = unit(deps, unit_code)
    now = deps.clock.now()
    return view_after(deps, change_case(
        deps, number, lambda case: case.pass_down(department, child, actor, note, now, deps.deadlines),
        department, actor_id, part=True))


def add_co_handlers(deps: Deps, number, unit_codes, note=""):
    """The centre adds co-handling units (协办, 加派) to an open case."""
    dispatcher, actor_id = access.staff(deps, "dispatcher", "supervisor")
    if not isinstance(unit_codes, list) or not unit_codes:
        raise InvalidRequest({"co_handlers": ["a list of unit codes"]})
    units = [unit(deps, code) for code in unit_codes]
    now = deps.clock.now()
    return view_after(deps, change_case(
        deps, number, lambda case: case.add_co_handlers(units, dispatcher, now, deps.deadlines, note),
        actor_id=actor_id))


def reviewer(deps: Deps, token, actor="", centre=("dispatcher", "supervisor")):
    """``(reviewing unit or tree.CENTRE, name, actor id)``: a unit (its token or staff), else the
    centre's staff holding one of the ``centre`` roles (dispatchers for refusals)."""
    person = deps.caller.person
    if token is not None or (person is not None and person.is_department_only):
        return access.department_actor(deps, token, actor)
    name, actor_id = access.staff(deps, *centre)
    return tree.CENTRE, name, actor_id


def review_refusal(deps: Deps, number, unit_code, approve, reason="", token=None, actor=""):
    """Approve a unit's refusal or send its part back with a reason (派单异议审核)."""
    by, actor, actor_id = reviewer(deps, token, actor)
    now = deps.clock.now()
    return view_after(deps, change_case(
        deps, number, lambda case: case.review_refusal(str(unit_code or ""), by, approve, reason, actor, now),
        actor_id=actor_id))


def review_assignment_reply(deps: Deps, token, number, unit_code, accept, reason="", actor=""):
    """The unit that passed the case down accepts its child's reply, or sends it back with a reason."""
    department, actor, actor_id = access.department_actor(deps, token, actor)
    now = deps.clock.now()
    return view_after(deps, change_case(
        deps, number, lambda case: case.review_assignment_reply(str(unit_code or ""), department, accept,
                                                                reason, actor, now),
        department, actor_id, part=True))


def decide_part_extension(deps: Deps, number, unit_code, grant, reason="", token=None, actor=""):
    """Grant or deny (with a reason) the extension a unit asked for its part: the unit that passed it
    down decides a child's; the centre's reviewers (who decide the lead's) a co-handler's."""
    by, actor, actor_id = reviewer(deps, token, actor, centre=EXTENSION_DECIDERS)
    now = deps.clock.now()
    return view_after(deps, change_case(
        deps, number, lambda case: case.decide_part_extension(str(unit_code or ""), by, grant, reason, actor,
                                                              now, deps.deadlines),
        None if by == tree.CENTRE else by, actor_id, part=True))


EXTENSION_DECIDERS = ("reviewer",)  # the centre's: as for the lead's extensions (cases.decide_extension)


def refusal_queue(deps: Deps, token=None, offset=0, limit=20):
    """The refusals waiting for the asker's review: a unit's (what it passed down), or the centre's."""
    by = reviewer(deps, token)[0]
    offset, limit = page(offset, limit)
    query: dict = {"assignments": {"$elemMatch": {"state": "refusal_review", "refusal.reviewer": by}}}
    if by == tree.CENTRE:
        query = {"$or": [query, {"state": "refusal_review"}]}
    return listed(*deps.cases.page(query, [("due_at", 1)], offset, limit))

