"""The dispatchers' daily review list, and the labels they give on it (:mod:`services.routing.domain.review`).

The list is computed when asked, from the newest automatic dispatches and the
newest closed tickets learned from (``ROUTING_REVIEW_SCAN`` of each, 500). A
label confirmed or corrected is stored as a learning example weighing
``ROUTING_REVIEW_WEIGHT`` (2); the next training uses it.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from services.routing.domain import review
from services.routing.domain.errors import RoutingError
from services.routing.domain.rules import ticket_text
from shared.platform.checks import whole_number
from shared.platform.jsonable import jsonable

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps

log = logging.getLogger(__name__)

SCAN = 500


def review_list(deps: Deps, limit=review.REVIEW_SIZE):
    """``{items, model_version}``: the tickets routing would most like a dispatcher to confirm or correct."""
    known = deps.known()
    limit = whole_number("limit", limit, 1, 200)
    scan = int(known.setting("ROUTING_REVIEW_SCAN", SCAN))
    low = review.low_margin_dispatches(deps.decisions.recent_automatic(scan),
                                       float(known.setting("ROUTING_REVIEW_MARGIN", review.LOW_MARGIN)))
    contradicted: list[review.ReviewItem] = []
    model = known.model
    if model is not None:  # the keyword matcher's disagreement with an outcome teaches nothing
        codes = set(known.directory.departments)

        def predict(text):
            best = model.suggest(text, top=1, known=codes)
            return (best[0].department_code, best[0].confidence) if best else None
        contradicted = review.contradicted_examples(deps.learning.recent_outcomes(scan), predict)
    numbers = {item.number for item in low + contradicted}
    chosen = review.review_list(low, contradicted, deps.learning.reviewed(numbers), limit)
    names = {code: dept.name for code, dept in known.directory.all.items()}
    items = [dict(item.to_dict(), department_name=names.get(item.department_code, item.department_code),
                  suggested_name=names.get(item.suggested or "", item.suggested)) for item in chosen]
    return jsonable({"items": items, "model_version": model.version if model else None})


def review_label(deps: Deps, number, department_code):
    """A dispatcher confirms (the same department) or corrects a ticket's label: a weighted example."""
    person = deps.caller.require("dispatcher")
    known = deps.known()
    if department_code not in known.directory.departments:
        raise RoutingError(f"no department {department_code!r} in service")
    decision = deps.decisions.get(number)
    example = deps.learning.example(number)
    if decision is None and example is None:
        raise RoutingError(f"no ticket {number} in routing")
    text = (example or {}).get("text") or ticket_text((decision or {}).get("ticket") or {})
    was = (example or {}).get("department_code") or (decision or {}).get("department_code")
    weight = float(known.setting("ROUTING_REVIEW_WEIGHT", review.REVIEW_WEIGHT))
    deps.learning.add_review(number, text, department_code, weight, person.name, was)
    confirmed = was == department_code
    log.info("ticket %s label %s by a dispatcher (%s)", number, "confirmed" if confirmed else "corrected",
             department_code)
    return {"number": number, "department_code": department_code, "was": was, "confirmed": confirmed,
            "weight": weight}
