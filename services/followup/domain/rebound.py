"""A closure that did not hold (防反弹): a request came back about a case closed as solved.

intake finds the rebound (``services/intake/domain/rebounds.py``) and publishes
``ticket_rebounded``; here the case it came back to records it -- once per
rebound, in ``rebounds`` -- and its ledger takes a ``rebounded`` entry under the
unit that closed the case (its lead at the close: the case's ``department_code``,
which a closed case keeps). The scorecard counts the case's closure as not held
(``held_rate``, ``CaseRepository.closures``).

The case checks the rebound against its own facts, since the event is intake's
view: a case not closed, closed with an outcome the city does not hold to account
(``REBOUNDS.outcomes``), or closed longer than the window before the rebound came,
records nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from services.followup.domain.change import Change, Doc
from services.followup.domain.states import CLOSED
from shared.contract.rebounds import ReboundTerms

if TYPE_CHECKING:
    from services.followup.domain.case import Case

ACTOR = "intake"  # the ledger's "who": the hotline's front door found it


def rebounded(case: Case, number: str, basis: str, reason: str, received_at: dt.datetime,
              terms: ReboundTerms, reason_codes: list[Doc] | None = None) -> Change | None:
    """The rebound ``number`` of this closed case, or ``None`` when it does not count or was
    recorded already (a redelivery). ``reason`` is intake's sentence, ``reason_codes`` the same
    coded, for the reader's language."""
    if case.state != CLOSED or case.closed_at is None or not terms.counts(case.outcome):
        return None
    if not case.closed_at <= received_at <= case.closed_at + terms.window:
        return None
    held: list[Doc] = list(case.rebounds or [])
    if number == case.number or any(r.get("number") == number for r in held):
        return None
    rebound = {"number": number, "basis": basis, "at": received_at}
    return Change(set={"rebounds": [*held, rebound]},
                  ledger=[case.entry(received_at, ACTOR, "rebounded", reason, rebound=number, basis=basis,
                                     closed_at=case.closed_at, outcome=case.outcome,
                                     reason_codes=list(reason_codes or []))])
