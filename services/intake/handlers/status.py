"""Intake's status view of each ticket, kept from the other services' events.

One handler per event, each applied once per ``event_id`` and in any order
(``TicketRepository.apply``, see ``adapters/tickets.py``), so status queries
(CLI, HTTP, Open311) answer from intake's own store even when the others are
down. When a case closes, the tickets linked to it as repeats close with the
same reply.

Besides the status, the view records which assignment (attempt) the ticket
is at, which case was opened and which deadline is watched: what the
reconciler (``handlers/reconcile.py``) checks every ticket against. A part of
the case opening or ending (another unit's: co-handling, passed down) changes
no status; it only owes the ``parts`` check, which the reconciler settles by
comparing followup's parts with notify's watches.

A ticket another system submitted tells it of three steps -- dispatched, reply
approved, closed -- once each (``handlers/receipts.py``). A consultation closed with
an approved reply is proposed as a draft knowledge entry to the unit that answered
it (``handlers/knowledge_proposals.py``).
"""
from services.intake.bootstrap import Deps
from services.intake.domain.checks import FINISHED, changed, dispatched, done, owe
from services.intake.domain.history import ANY_ATTEMPT, entry, routing_reasons
from services.intake.handlers import knowledge_proposals, receipts
from shared.contract.reasons import reason


def record(deps: Deps, event, changes, at, status, note, checks=()):
    """Apply ``changes``; each part only if no newer event wrote it first."""
    deps.tickets.apply(event["number"], event["event_id"], changes, entry(at, status, note),
                       event["occurred_at"], checks)


def owed(deps: Deps, stage, attempt, since):
    """The step of ``stage`` is owed within the reconciler's time for it."""
    return owe(stage, attempt, since, deps.reconciling.rules.due(stage, since))


def ticket_assigned(deps: Deps, event):
    department = {"code": event["department_code"], "name": event["department_name"],
                  "phone": event["department_phone"]}
    note = [reason("dispatched_automatically", department=event["department_name"])
            if event["decided_by"] == "routing" else  # routing decided; else the dispatcher who did
            reason("dispatched", department=event["department_name"], by=event["decided_by"])]
    if event.get("calendar_uncovered"):
        note.append(reason("uncovered", days=", ".join(f"{a}..{b}" for a, b in event["calendar_uncovered"])))
    changes = {"status": "assigned", "department": department, "deadline": event["deadline"],
               "sign_for_deadline": event["sign_for_deadline"],
               "assignment": {"attempt": event["attempt"], "at": event["assigned_at"],
                              "department_code": event["department_code"]}}
    if event.get("request_type"):  # the type the case is handled as: given, suggested or changed
        changes["request_type"] = event["request_type"]
    record(deps, event, changes,
           event["assigned_at"], "assigned", note,
           [dispatched(event["attempt"]), owed(deps, "case", event["attempt"], event["assigned_at"])])
    receipts.dispatched(deps, event)


def ticket_awaiting_dispatch(deps: Deps, event):
    # After refusals nobody holds it: the last department and its deadlines no longer apply.
    record(deps, event, {"status": "awaiting_dispatch", "department": None, "deadline": None,
                         "sign_for_deadline": None, "assignment": None},
           event["queued_at"], "awaiting_dispatch", routing_reasons(event),
           [dispatched(event["attempt"])])


def case_opened(deps: Deps, event):
    record(deps, event, {"case_opened_at": event["opened_at"],
                         "case": {"attempt": event["attempt"], "department_code": event["department_code"]}},
           event["opened_at"], "case_opened", [reason("case_opened", department=event["department_code"])],
           [done("case", event["attempt"]), owed(deps, "watch", event["attempt"], event["opened_at"])])


def deadline_watched(deps: Deps, event):
    record(deps, event, {"watched_at": event["occurred_at"],
                         "watch": {"attempt": event["attempt"], "department_code": event["department_code"]}},
           event["occurred_at"], "deadline_watched",
           [reason("watched", deadline=event["deadline"].isoformat())],
           [done("watch", event["attempt"] or ANY_ATTEMPT)])


def part_changed(deps: Deps, event, at):
    """A unit's part opened (``assignment_opened``) or ended (``assignment_ended``) at ``at``:
    notify's watches of the parts are compared with followup's parts once the events have had
    ``RECONCILE.parts_seconds`` to arrive."""
    since = event[at]
    deps.tickets.check(event["number"], [changed("parts", since, deps.reconciling.rules.due("parts", since))])


def case_signed_for(deps: Deps, event):
    record(deps, event, {"status": "signed_for", "signed_for_at": event["signed_at"]},
           event["signed_at"], "signed_for",
           [reason("signed_for", department=event["department_code"])])


def case_refused(deps: Deps, event):
    refused = event["attempt"]
    # its case existed; now a new department or the dispatchers are owed
    checks = [done("case", refused), done("watch", refused),
              owed(deps, "dispatch", refused, event["refused_at"])] if refused else []
    record(deps, event, {"status": "refused", "refused_at": event["refused_at"]},
           event["refused_at"], "refused",
           [reason("returned", department=event["department_code"], reason=event["reason"])],
           checks)


def extension_requested(deps: Deps, event):
    record(deps, event, {}, event["requested_at"], "extension_requested",
           [reason("extension_asked", department=event["department_code"], days=event["working_days"])])


def extension_decided(deps: Deps, event):
    granted = event["granted"]
    record(deps, event, {"deadline": event["deadline"]} if granted else {}, event["decided_at"],
           "extension_granted" if granted else "extension_denied",
           [reason("extension_granted" if granted else "extension_denied",
                   deadline=event["deadline"].isoformat())])


def reply_submitted(deps: Deps, event):
    record(deps, event, {"status": "replied"}, event["replied_at"], "replied",
           [reason("replied", department=event["department_code"])])


def reply_approved(deps: Deps, event):
    record(deps, event, {"status": "reply_approved", "reply": event["text"] or None},
           event["approved_at"], "reply_approved", [reason("approved")])
    receipts.replied(deps, event)


def reply_rejected(deps: Deps, event):
    record(deps, event, {"status": "reply_rejected"}, event["rejected_at"], "reply_rejected",
           [reason("sent_back", department=event["department_code"], reason=event["reason"])])


def callback_recorded(deps: Deps, event):
    if event["reached"] and event.get("outcome"):
        outcome = reason("called_back", outcome=event["outcome"], satisfaction=event["satisfaction"] or "no rating")
    else:
        outcome = reason("not_reached") if not event["reached"] else reason(
            "resolved" if event["resolved"] else "unresolved", satisfaction=event["satisfaction"] or "no rating")
    record(deps, event, {}, event["recorded_at"], "callback", [outcome])


def case_reopened(deps: Deps, event):
    record(deps, event, {"status": "reopened", "deadline": event["deadline"],
                         "sign_for_deadline": event["sign_for_deadline"], "closed_at": None},
           event["reopened_at"], "reopened",
           [reason("reopened", reason=event["reason"]) if event["reason"] else reason("reopened_unresolved")])


def case_closed(deps: Deps, event):
    outcome = event.get("outcome")
    changes = {"status": "closed", "reply": event["reply"] or None, "closed_at": event["closed_at"],
               "outcome": outcome}
    record(deps, event, changes, event["closed_at"], "closed",
           [reason("closed_as", outcome=outcome) if outcome else reason("closed")], [FINISHED])
    deps.tickets.apply_to_linked(event["number"], event["event_id"], changes,
                                 entry(event["closed_at"], "closed",
                                       [reason("closed_with", number=event["number"])]),
                                 event["occurred_at"])
    receipts.closed(deps, event)
    knowledge_proposals.case_closed(deps, event)


def case_raised(deps: Deps, event):
    """Reopened too often, raised a level (提级): routing owes a new department or its queue."""
    attempt = event["attempt"]
    record(deps, event, {"raised_at": event["raised_at"]}, event["raised_at"], "raised",
           [reason("raised", department=event["department_code"], reason=event["reason"])],
           [done("case", attempt), done("watch", attempt), owed(deps, "dispatch", attempt, event["raised_at"])])


def hold_decided(deps: Deps, event):
    """An approved hold (挂账): on hold until its day; a rejected one changes nothing here."""
    if not event["approved"]:
        return
    record(deps, event, {"status": "on_hold", "recheck_on": event["recheck_on"]}, event["decided_at"],
           "on_hold", [reason("on_hold", day=event["recheck_on"] or "", reason=event["reason"])])


def hold_rechecked(deps: Deps, event):
    record(deps, event, {"status": "signed_for", "deadline": event["deadline"], "recheck_on": None},
           event["rechecked_at"], "hold_rechecked",
           [reason("hold_rechecked", deadline=event["deadline"].isoformat())])


def ticket_escalated(deps: Deps, event):
    record(deps, event, {"escalation": event["level"]}, event["escalated_at"], "escalated",
           [reason("supervision", level=event["level"])])
