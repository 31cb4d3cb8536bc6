"""The citizen's rating link (一事一评): one SMS per approved reply, with a one-use link.

On ``reply_approved`` notify makes the link's id (``shared.contract.rating``),
gives followup its digest (``register_rating_link``: followup keeps the link and
its expiry) and queues the SMS to the citizen (template ``rating_link``; the
phone comes from intake at delivery, as for every citizen's notice). A
redelivered event finds its SMS queued already and does nothing; a crash between
the two steps leaves an unused link followup lets expire. followup down or slow
(``delivery.contact_timeout_seconds``) means no link for this approval, logged: the
callback team calls that citizen as before.
"""
import logging

from services.notify.domain.messages import Message
from shared.contract import rating

log = logging.getLogger(__name__)
TEMPLATE = "rating_link"


def send_rating_link(deps, event):
    number = event["number"]
    if event.get("callback") is False:  # a proactive case (主动治理): no citizen to rate it
        return
    key = f"{number}:rating:{event['event_id']}"
    if deps.watches.has_notification(f"{key}:citizen"):
        log.info("%s: the rating link of %s is queued already", number, event["event_id"])
        return
    now = deps.clock.now()
    link_id = rating.new_link_id()
    kept = deps.register_rating_link(number, rating.link_digest(link_id), event["approved_at"])
    if kept is None:
        log.warning("%s: no rating link sent: followup did not keep it; the callback team calls", number)
        return
    watch = deps.watches.watch_for(number, now)
    expires = deps.rules.notices.local_date(kept.get("expires_at"))
    message = Message(key, TEMPLATE, "citizen",
                      {"link": rating.link_url(deps.rules.console_url, link_id), "expires": expires})
    deps.watches.enqueue(deps.rules.notices.for_message(watch, message, now))
    log.info("%s: rating link queued for the citizen", number)
