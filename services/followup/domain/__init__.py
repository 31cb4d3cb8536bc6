"""followup's domain: the case and its rules. Plain Python: no nameko, pymongo or marshmallow.

* ``case.py``: the :class:`Case` aggregate, its transitions and the ``Change`` each returns;
* ``tree.py``: the case's other units: co-handlers (协办), passing down (下派), reviews;
* ``callback.py``: the callback (回访) and the close or reopening it leads to;
* ``timing.py``: every deadline a case meets after dispatch (``FollowupClock``);
* ``quality.py`` (and ``quality_report.py``): the reply quality gate;
* ``scorecard.py``: the 三率 per department and for the city;
* ``appeal.py``: the :class:`Appeal` of a scored event (考核申诉), which the scorecard's
  after-appeal figures leave out when accepted;
* ``attachments.py``: which files a reply may carry; ``tokens.py``: a department token's form;
* ``states.py``, ``errors.py``, ``change.py``: the words the others share.
"""
from services.followup.domain import tree
from services.followup.domain.case import Case
from services.followup.domain.change import Change
from services.followup.domain.errors import (
    CaseChanged,
    InvalidRequest,
    NotAuthorized,
    NotYourCase,
    NumberReused,
    TransitionRefused,
    UnknownCase,
)
from services.followup.domain.states import (
    APPROVED,
    ASSIGNED,
    CLOSED,
    DONE,
    OPEN_STATES,
    REFUSAL_REVIEW,
    REFUSED,
    REPLIED,
    SATISFACTIONS,
    SIGNED_FOR,
    STATES,
    WITHDRAWN,
)

# The verbs by name, for whoever holds a case: ``domain.sign_for(case, actor, now)``.
open_case = Case.open
sign_for = Case.sign_for
refuse = Case.refuse
request_extension = Case.request_extension
submit_reply = Case.submit_reply
decide_extension = Case.decide_extension
review_findings = Case.review_findings
approve_reply = Case.approve_reply
reject_reply = Case.reject_reply
record_callback = Case.record_callback
reassign = Case.reassign

__all__ = [
    "APPROVED", "ASSIGNED", "CLOSED", "DONE", "OPEN_STATES", "REFUSAL_REVIEW", "WITHDRAWN", "REFUSED", "REPLIED", "SATISFACTIONS", "SIGNED_FOR",
    "STATES", "Case", "tree", "CaseChanged", "Change", "InvalidRequest", "NotAuthorized", "NotYourCase",
    "NumberReused", "TransitionRefused", "UnknownCase", "approve_reply", "decide_extension", "open_case",
    "reassign", "record_callback", "refuse", "reject_reply", "request_extension", "review_findings",
    "sign_for", "submit_reply",
]
