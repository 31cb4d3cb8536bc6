"""Proposed edits to the catalogue and the units' keywords: mine, list, decide.

The evidence is routing's own: the decisions (refusals the centre approved,
re-dispatches, arbitrations, the co-handlers dispatchers named) and the history
it learns from (``examples``), replayed with and without each edit. The rules are
in :mod:`services.routing.domain.catalogue_proposals`. An accepted edit goes
through the directory's versioned changes, with the administrator and the why:
a keyword as an update of the unit (``department_changed``), a category's unit or
co-handler as a change of its catalogue entry.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from services.routing.domain.catalogue_proposals import (
    KINDS,
    Proposal,
    Thresholds,
    edited_entry,
    effect,
    mine,
    replay,
    still_open,
    trail_of,
)
from services.routing.domain.errors import ProposalInvalid, RoutingError
from services.routing.handlers import directory
from shared.contract import bounds
from shared.contract.events import utcnow
from shared.platform.checks import whole_number
from shared.platform.jsonable import jsonable

if TYPE_CHECKING:
    from services.routing.bootstrap import Deps

log = logging.getLogger(__name__)

MINED = 50_000     # the newest decisions read for evidence
REPLAYED = 20_000  # the newest history rows replayed for each proposal's effect
LEASE_SECONDS = 1800
STATES = ("pending", "accepted", "rejected")


def propose(deps: Deps):
    """Mine the decisions for proposals and store the new or grown ones with their effect."""
    known = deps.known()
    limits = Thresholds.from_config(deps.config)
    added = deps.learning.co_handlers_added()  # on open cases, by a person (followup's 加派)
    trails = [replace(t, co_handlers=tuple(dict.fromkeys(t.co_handlers + tuple(added.get(t.number, ())))))
              for t in map(trail_of, deps.decisions.evidence(MINED)) if t is not None]
    found = mine(trails, known.directory, limits, words)
    stored = deps.proposals.stored([p.key for p in found])
    history = deps.learning.history_rows(REPLAYED)
    threshold = float(known.setting("ROUTING_KEYWORD_THRESHOLD", 0.5))
    cap = float(known.setting("ROUTING_KEYWORD_CONFIDENCE", 0.7))
    before = replay(history, known.directory, threshold, cap)
    new = kept = 0
    now = utcnow()
    for proposal in found:
        if not still_open(proposal, stored.get(proposal.key), limits):
            continue
        measured = effect(proposal, history, known.directory, threshold, cap, before)
        kept += 1
        new += deps.proposals.propose(dict(proposal.to_dict(), effect=measured,
                                           directory_version=known.directory.version), now)
    log.info("catalogue proposals: %d found in %d decisions, %d new, %d pending", kept, len(trails), new,
             deps.proposals.count())
    return {"decisions_read": len(trails), "history_replayed": len(history), "found": kept, "new": new,
            "pending": deps.proposals.count()}


def words(text):
    """jieba's words of a text, without numbers (what a keyword may be)."""
    from services.routing.learning.classifier import WORD_PREFIX
    from services.routing.learning.classifier import words as segmented

    return {w[len(WORD_PREFIX):] for w in segmented(text) if not any(ch.isdigit() for ch in w)}


def propose_on_timer(deps: Deps):
    """The timer's mining, one instance at a time."""
    if not deps.learning.take_lease("propose", LEASE_SECONDS):
        return None
    try:
        return propose(deps)
    finally:
        deps.learning.release_lease("propose")


def listing(deps: Deps, state="pending", limit=50, offset=0):
    """The proposals in ``state`` (pending first by their evidence), and how many there are."""
    if state not in (*STATES, None, ""):
        raise ProposalInvalid({"state": [f"one of {', '.join(STATES)}"]})
    items = deps.proposals.listing(state or None, whole_number("limit", limit, 1, 200),
                                   whole_number("offset", offset or 0, 0, 10 ** 6))
    return jsonable({"items": items, "total": deps.proposals.count(state or None)})


def decide(deps: Deps, key, decision, reason):
    """An administrator accepts (the edit is made as a directory version) or rejects a proposal."""
    person = deps.caller.require("admin")
    errors = {}
    if decision not in ("accept", "reject"):
        errors["decision"] = ["accept or reject"]
    if not isinstance(reason, str) or not reason.strip() or len(reason) > bounds.REASON:
        errors["reason"] = [f"say why, in at most {bounds.REASON} characters"]
    if not isinstance(key, str) or not key:
        errors["key"] = ["required"]
    if errors:
        raise ProposalInvalid(errors)
    stored = deps.proposals.get(key)
    if stored is None:
        raise RoutingError(f"no catalogue proposal {key}")
    if stored["state"] != "pending":
        raise RoutingError(f"{key} is {stored['state']} already")
    said = {"by": person.name, "by_id": person.user_id, "reason": reason.strip(), "at": utcnow(),
            "cases": stored["cases"]}
    if decision == "reject":
        if deps.proposals.decide(key, "rejected", said) is None:
            raise RoutingError(f"{key} was decided by someone else meanwhile")
        return jsonable(deps.proposals.get(key))
    return accept(deps, stored, said)


def accept(deps: Deps, stored, said):
    proposal = proposal_of(stored)
    problem = proposal.problem(deps.known().directory)
    if problem:
        raise RoutingError(f"{proposal.key} cannot be made any more: {problem}")
    if deps.proposals.claim(proposal.key) is None:
        raise RoutingError(f"{proposal.key} was decided by someone else meanwhile")
    # The version's reason is the administrator's own words, read on the directory's history in
    # the workbench's language; the proposal keeps the version it made (``decide`` below).
    try:
        version = apply(deps, proposal, said["by"], said["reason"])
    except Exception:
        deps.proposals.release(proposal.key)
        raise
    deps.proposals.decide(proposal.key, "accepted", dict(said, version=version), expected="applying")
    log.info("catalogue proposal %s accepted by %s: directory version %d", proposal.key, said["by"], version)
    return jsonable(deps.proposals.get(proposal.key))


def apply(deps: Deps, proposal: Proposal, by, why):
    """Make the edit through the directory's versioned changes; the version."""
    known = deps.known()
    if proposal.kind == "add_keyword":
        keywords = [*known.directory.all[proposal.target].keywords, proposal.keyword]
        return directory.update_department(deps, proposal.target, {"keywords": keywords}, by, why)["version"]
    entry = edited_entry(proposal, known.directory.catalogue[proposal.category])
    return directory.change_catalogue_entry(deps, entry, by, why)["version"]


def proposal_of(doc):
    if doc.get("kind") not in KINDS:
        raise RoutingError(f"{doc.get('key')}: unknown kind {doc.get('kind')}")
    return Proposal(doc["kind"], doc["target"], tuple(doc.get("tickets") or ()), int(doc["cases"]),
                    int(doc["considered"]), category=doc.get("category"), source=doc.get("source"),
                    keyword=doc.get("keyword"), how=dict(doc.get("how") or {}))
