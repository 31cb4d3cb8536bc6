"""The citizen's own rating (一事一评): links notify sends, the page the console shows, the answer.

notify registers a link when a reply is approved (``register_link``); the console's
public page asks what to show (``rating_form``) and hands in the answer
(``submit_rating``), which takes the link once (``RatingLinks.take``) and records it
as a callback on the channel ``sms_link``, attributed to the citizen by link.
Neither answer holds personal data: the case's number, category and approved reply.
"""
import datetime as dt
import logging

from services.followup.bootstrap import Deps
from services.followup.domain import TransitionRefused
from services.followup.domain import rating as rules
from services.followup.domain.states import APPROVED
from services.followup.handlers.cases import change_case, parent_of
from shared.platform.jsonable import jsonable

log = logging.getLogger(__name__)

ANSWERED = "answered"   # a callback agent recorded the callback first (已回访)
RECORDED = "recorded"


def link_days(config) -> int:
    """How long a link is good (``FOLLOWUP.rating_link_days``, 7 by default)."""
    try:
        return int(((config or {}).get("FOLLOWUP") or {}).get("rating_link_days") or rules.DEFAULT_DAYS)
    except (TypeError, ValueError):
        return rules.DEFAULT_DAYS


def register_link(deps: Deps, number, digest, approved_at):
    """Keep the digest of a link notify is sending for the case's approved reply."""
    if not isinstance(digest, str) or len(digest) != 64 or not isinstance(number, str):
        raise ValueError("a case's number and a link's sha256 digest")
    approved = approved_at if isinstance(approved_at, dt.datetime) else dt.datetime.fromisoformat(str(approved_at))
    if approved.tzinfo is None:
        approved = approved.replace(tzinfo=dt.UTC)
    expiry = rules.expires_at(approved, link_days(deps.config))
    deps.ratings.register(digest, number, approved, expiry, deps.clock.now())
    return jsonable({"number": number, "expires_at": expiry})


def _link(deps: Deps, link_id):
    """The link an id names and its state (``unknown`` for an id that could not be ours)."""
    link = deps.ratings.find(rules.link_digest(link_id)) if rules.well_formed(link_id) else None
    return link, rules.link_state(link, deps.clock.now())


def _public_case(deps: Deps, link, state):
    case = deps.cases.load(link["number"])
    if case is None:
        return None, rules.UNKNOWN
    if state == rules.GOOD and (case.state != APPROVED or not rules.same_moment(case.approved_at, link.get("approved_at"))):
        state = ANSWERED  # the callback was made (or the case moved on) before the citizen answered
    return case, state


def _checked(deps: Deps, link_id):
    """``(link, case, state)`` of a link as it is read now (``None``s when unknown)."""
    link, state = _link(deps, link_id)
    if link is None:
        return None, None, rules.UNKNOWN
    case, state = _public_case(deps, link, state)
    return link, case, state


def rating_form(deps: Deps, link_id):
    """What the page shows: ``{state, number, category, reply}``; ``state`` ``good``, ``used``,
    ``expired``, ``answered`` or ``unknown`` (then nothing else)."""
    link, case, state = _checked(deps, link_id)
    if case is None:
        return {"state": rules.UNKNOWN}
    return jsonable({"state": state, "number": case.number, "category": case.category,
                     "reply": case.approved_reply or "", "expires_at": link["expires_at"]})


def submit_rating(deps: Deps, link_id, solved, satisfaction, comment=""):
    """Record the citizen's answer once: ``{state, number[, case_state]}``; ``state``
    ``recorded`` (and the case's new state), or why not (``used``, ``expired``,
    ``answered``, ``unknown``). Bad answers raise ``InvalidRequest`` by field."""
    answer = rules.callback_answer(solved, satisfaction, comment)
    link, case, state = _checked(deps, link_id)
    if case is None or state != rules.GOOD:
        return jsonable({"state": state, "number": case.number if case else None})
    digest, now = rules.link_digest(link_id), deps.clock.now()
    if deps.ratings.take(digest, now) is None:  # taken (or expired) since it was read: one counts
        return jsonable({"state": rules.link_state(deps.ratings.find(digest), now), "number": case.number})
    try:
        saved = change_case(deps, case.number, lambda held: held.record_callback(
            rules.BY_LINK, True, None, answer["satisfaction"], answer["note"], now, deps.deadlines,
            answer["outcome"], parent_of(deps, held.department_code), channel=rules.CHANNEL))
    except TransitionRefused:
        deps.ratings.give_back(digest, now)
        return jsonable({"state": ANSWERED, "number": case.number})
    except Exception:
        deps.ratings.give_back(digest, now)
        raise
    deps.ratings.answered(digest, dict(answer, at=now))
    log.info("%s: the citizen answered the rating link (%s, %s)", case.number, answer["outcome"],
             answer["satisfaction"])
    return jsonable({"state": RECORDED, "number": case.number, "case_state": (saved or {}).get("state")})
