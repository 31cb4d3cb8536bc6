"""A CTI event from any door: stored once, the call folded again, its consequences.

Each consequence is idempotent: ``call_ringing`` is published when a ``newCall``
naming users is stored for the first time; ``call_ended`` whenever a stored event
changes an ended call's record (its ``events`` count tells the fuller one); the
missed caller's entry and the agents' states take the same fact any number of times.
"""
import logging

from services.callcentre.bootstrap import Deps
from services.callcentre.domain import callbacks
from services.callcentre.domain.calls import CallEvent, CallRecord, fold
from shared.contract import events
from shared.contract.events import new_event
from shared.platform.privacy import mask_phone

log = logging.getLogger(__name__)


def masked(number):
    return mask_phone(number) if number and any(ch.isdigit() for ch in number) else (number or None)


def ringing_event(record: CallRecord):
    return new_event(events.CallRinging, call_id=record.call_id, caller_phone=masked(record.from_number),
                     queue=record.queue or None, users=list(record.users), ringing_at=record.ringing_at)


def ended_event(record: CallRecord):
    assert record.ended_at is not None
    return new_event(events.CallEnded, call_id=record.call_id, direction=record.direction,
                     caller_phone=masked(record.from_number), queue=record.queue or None,
                     agent=record.agent or None, outcome=record.outcome, cause=record.cause or None,
                     ringing_at=record.ringing_at, answered_at=record.answered_at, ended_at=record.ended_at,
                     wait_seconds=record.wait_seconds, talk_seconds=record.talk_seconds,
                     recording_url=record.recording_url or None, events=record.events)


def received(deps: Deps, event: CallEvent):
    """Take in one CTI event; the call's record as it stands (``None`` for a repeat)."""
    if not deps.calls.add_event(event):
        log.info("call %s: %s at %s received before", event.call_id, event.event, event.at.isoformat())
        return None
    record = fold(deps.calls.events_of(event.call_id))
    outbox = []
    if event.event == "newCall" and event.direction == "in" and event.users and record.outcome == "ringing":
        outbox.append(("call_ringing", ringing_event(record)))
    if record.ended:
        outbox.append(("call_ended", ended_event(record)))
    uow = deps.uow()

    def work():
        saved = deps.calls.save(record, outbox)
        if saved is not None and outbox:
            uow.saved(deps.calls.outbox, record.call_id, pending=saved.get("outbox"))

    uow.run(work)
    consequences(deps, event, record)
    log.info("call %s: %s (%s), %s", event.call_id, event.event, record.outcome, masked(record.from_number))
    return record


def consequences(deps: Deps, event: CallEvent, record: CallRecord):
    """The callback queue and the agent's state, from the record (not the event): the
    same whatever order the call's events came in."""
    if record.from_number and record.direction == "in" and record.ended_at is not None:
        key = callbacks.entry_key(record.from_number, record.ended_at, deps.settings.zone)
        if record.missed:
            deps.calls.callbacks.missed(key, record.from_number, record.call_id, record.queue, record.ended_at,
                                        callbacks.deadline(record.ended_at, deps.settings.callback_within_minutes))
        else:  # an answer that came after its hangup: the caller was not missed after all
            deps.calls.callbacks.not_missed(key, record.call_id)
    if record.agent and record.answered_at is not None:
        deps.calls.agents.set_state(record.agent, "on_call", record.answered_at, "events")
        if record.ended_at is not None:
            deps.calls.agents.set_state(record.agent, "after_call_work", record.ended_at, "events")
