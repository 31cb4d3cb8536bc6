"""What the public may do: submit within the limits, and look up their own ticket by proof.

A lookup answers the same for an unknown number as for a wrong proof. Failed
proofs slow down the pair (number, client address) that failed, never the
number for everyone (``SLOWDOWNS.lookup``, ``shared.platform.slowdown``); after
many failures of a number the phone's digits no longer prove it, only the
receipt's code. The logs name the number, never the code or the digits.
The rules of the proof are ``domain/public.py``.
"""
import datetime as dt
import logging

from services.intake.bootstrap import Deps
from services.intake.domain import public
from services.intake.domain.duplicates import phone_key
from services.intake.handlers.errors import TooManyRequests
from shared.platform.privacy import digest

log = logging.getLogger(__name__)


class NotFound(Exception):
    """No ticket with this number and proof (the same answer for either)."""


def phone_allowed(deps: Deps, valid):
    """Raise ``TooManyRequests`` when the caller's phone has been named too often lately."""
    key = phone_key(valid.get("caller_phone"))
    if not key:
        return
    wait = deps.limits.hit("phone", digest(deps.secret, key))
    if wait:
        raise TooManyRequests({"caller_phone": [f"too many requests for this phone number; "
                                                f"try again in {wait} s"]}, wait)


def receipt(deps: Deps, ticket):
    """The receipt a public door answers with: the submitter's own ticket only."""
    own = deps.tickets.receipt_of(ticket["received_as"]) or ticket
    return public.receipt(own, deps.secret)


def lookup(deps: Deps, number, code, tail, client_address):
    """The public status of ``number`` for a requester who proves it is theirs.

    ``code``/``tail`` come through ``public.parse_proof``. ``TooManyRequests`` while
    this client waits after failed proofs (refused before the proof is checked: no
    oracle while waiting), ``NotFound`` for an unknown number or a wrong proof.
    """
    pairs, now = deps.limits.pairs("lookup"), dt.datetime.now(dt.UTC)
    pair = digest(deps.secret, f"lookup:{number}|{client_address}")
    whole = digest(deps.secret, f"lookup:{number}")
    wait = pairs.wait(pair, now)
    if wait:
        log.info("a lookup of %s was refused: this client waits %s s after failed proofs", number, wait)
        raise TooManyRequests({"number": [f"too many failed lookups of this number from here; "
                                          f"try again in {wait} s"]}, wait)
    if not code and pairs.failures(whole, now) >= int(deps.limits.setting("lookup", "weak_proof_after", 20)):
        wait = pairs.forgotten_in(whole, now)
        log.info("a lookup of %s by the phone's digits was refused: only the code proves it for now", number)
        raise TooManyRequests({"proof": [f"too many failed lookups of this number: give the "
                                         f"receipt's lookup code (X-Lookup-Code), or try the "
                                         f"phone's digits again in {wait} s"]}, wait)
    ticket = deps.tickets.get(number) if len(number) <= 64 else None
    if not public.proof_holds(deps.secret, number, ticket, code, tail):
        failures, wait = pairs.fail(pair, now)
        pairs.fail(whole, now)
        if wait:
            log.warning("lookups of %s from one client are slowed: %s failed proofs, %s s to wait",
                        number, failures, wait)
        raise NotFound(number)
    assert ticket is not None  # no proof holds without a ticket
    cleared = pairs.succeed(pair)
    if cleared and pairs.policy.wait_after(int(cleared.get("count") or 0)):
        log.info("lookups of %s from one client are no longer slowed: the proof held", number)
    master = deps.tickets.get(ticket["linked_to"]) if ticket.get("linked_to") else None
    return public.status_view(ticket, master)
