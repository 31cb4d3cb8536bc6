"""Knowledge drafted from closed consultations (来自已办结咨询), at ``followup.case_closed``.

intake has the ticket (the question, the caller to leave out) and ``case_closed``
carries the reply the hotline approved (``reply``: followup's ``approved_reply``),
so nothing is asked of followup. A consultation closed with an approved reply is
proposed to the unit that answered as a draft entry (``domain/knowledge_proposal.py``),
unless a published entry already answers it -- the knowledge search
(``search_knowledge``'s terms and ranking) scores it at least
``INTAKE.knowledge.proposal_similarity`` (0.5) -- where it is kept as "also asked".
Once per ticket: an entry proposed from it, or holding it as also asked, ends it, and
the proposal's id is the ticket's, so a redelivered or concurrent event proposes nothing more.
"""
import logging

from services.intake.bootstrap import Deps
from services.intake.domain import knowledge, knowledge_proposal

log = logging.getLogger(__name__)


def _similar(deps: Deps) -> float:
    section = (deps.config.get("INTAKE") or {}).get("knowledge") or {}
    return float(section.get("proposal_similarity", knowledge_proposal.SIMILAR))


def case_closed(deps: Deps, event):
    """Propose the closed consultation of ``event`` as a draft entry; what was done (None: nothing)."""
    number = event["number"]
    ticket = deps.tickets.get(number)
    if ticket is None or not knowledge_proposal.proposable(ticket, event):
        return None
    now = deps.clock.now()

    def work():
        if deps.knowledge.from_ticket(number) is not None:
            return None  # proposed (or kept as also asked) before
        question = knowledge_proposal.question_of(ticket)
        covered = knowledge.rank(question, deps.knowledge.candidates(knowledge.query_terms(question), now),
                                 limit=1, min_score=_similar(deps))
        if covered:
            entry = deps.knowledge.load(covered[0]["id"])
            if entry is not None and entry.asked_again(number, question, now):
                deps.knowledge.save(None, entry)
                return "also_asked", entry.id, entry.owner
            return None
        entry = knowledge_proposal.propose(ticket, event, now)
        if entry is None:
            return None
        deps.knowledge.save(None, entry)  # a lost race (the same id saved meanwhile): again, and then found
        return "proposed", entry.id, entry.owner

    done = deps.uow().run(work)
    if done:
        log.info("knowledge %s: %s from closed consultation %s (unit %s)", done[1],
                 "proposed" if done[0] == "proposed" else "asked again", number, done[2] or "the centre")
    return done
