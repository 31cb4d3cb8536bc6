"""intake's knowledge base, told to the units that maintain its entries (``Notices.for_knowledge``):
a version published or sent back, an entry due for review. One notification per entry,
version and outcome (or reasons): a redelivered event queues nothing new."""
import logging

log = logging.getLogger(__name__)


def knowledge_notice(deps, event):
    queued = deps.watches.enqueue(deps.rules.notices.for_knowledge(event, deps.clock.now()))
    log.info("knowledge entry %s (%s): %d notification(s) queued for %s", event["entry_id"],
             event.get("outcome") or ",".join(event.get("reasons") or ()), queued, event.get("department_code"))
    return queued
