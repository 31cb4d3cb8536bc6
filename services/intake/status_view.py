"""Intake's status view of each ticket, kept from the other services' events.

A mixin of ``IntakeService``: one handler per event, each applied once per
``event_id`` and in any order (``TicketRepository.apply``, see
``status_store``), so status queries (CLI, HTTP, Open311) answer from
intake's own store even when the others are down. When a case closes, the
tickets linked to it as repeats close with the same reply.

Besides the status, the view records which assignment (attempt) the ticket
is at, which case was opened and which deadline is watched: what the
reconciler (``reconciler``) checks every ticket against.
"""

from services.intake.check_store import FINISHED, dispatched, done, owe
from shared.contract import events
from shared.contract.reasons import noted, reason
from shared.platform.messaging import consumes, event_handler

ANY_ATTEMPT = 10 ** 6  # a deadline_watched from before watches named their attempt


def entry(at, status, note):
    """A history entry; ``note`` is its English sentence, or coded reasons (``shared.contract.reasons``)
    that the workbench says in the reader's language."""
    if isinstance(note, str):
        return {"at": at, "status": status, "note": note}
    return {"at": at, "status": status, **noted(*note)}


def routing_reasons(event):
    """Why routing queued a ticket for a dispatcher: its coded reasons (its sentences when it
    sent none)."""
    coded = [c for c in event.get("reason_codes") or [] if c.get("code")]
    if coded:
        return coded
    return "; ".join(event["reasons"]) if event.get("reasons") else [reason("waiting")]


class StatusView:

    def record(self, event, changes, at, status, note, checks=()):
        """Apply ``changes``; each part only if no newer event wrote it first."""
        self.tickets.apply(event["number"], event["event_id"], changes, entry(at, status, note),
                           event["occurred_at"], checks)

    def owed(self, stage, attempt, since):
        """The step of ``stage`` is owed within the reconciler's time for it."""
        return owe(stage, attempt, since, self.reconciling.rules.due(stage, since))

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        department = {"code": event["department_code"], "name": event["department_name"],
                      "phone": event["department_phone"]}
        note = [reason("dispatched_automatically", department=event["department_name"])
                if event["decided_by"] == "routing" else  # routing decided; else the dispatcher who did
                reason("dispatched", department=event["department_name"], by=event["decided_by"])]
        if event.get("calendar_uncovered"):
            note.append(reason("uncovered", days=", ".join(f"{a}..{b}" for a, b in event["calendar_uncovered"])))
        self.record(event, {"status": "assigned", "department": department, "deadline": event["deadline"],
                            "sign_for_deadline": event["sign_for_deadline"],
                            "assignment": {"attempt": event["attempt"], "at": event["assigned_at"],
                                           "department_code": event["department_code"]}},
                    event["assigned_at"], "assigned", note,
                    [dispatched(event["attempt"]), self.owed("case", event["attempt"], event["assigned_at"])])

    @event_handler("routing", "ticket_awaiting_dispatch", requeue_on_error=True)
    @consumes(events.TicketAwaitingDispatch)
    def on_ticket_awaiting_dispatch(self, event):
        # After refusals nobody holds it: the last department and its deadlines no longer apply.
        self.record(event, {"status": "awaiting_dispatch", "department": None, "deadline": None,
                            "sign_for_deadline": None, "assignment": None},
                    event["queued_at"], "awaiting_dispatch", routing_reasons(event),
                    [dispatched(event["attempt"])])

    @event_handler("followup", "case_opened", requeue_on_error=True)
    @consumes(events.CaseOpened)
    def on_case_opened(self, event):
        self.record(event, {"case_opened_at": event["opened_at"],
                            "case": {"attempt": event["attempt"], "department_code": event["department_code"]}},
                    event["opened_at"], "case_opened", [reason("case_opened", department=event["department_code"])],
                    [done("case", event["attempt"]), self.owed("watch", event["attempt"], event["opened_at"])])

    @event_handler("notify", "deadline_watched", requeue_on_error=True)
    @consumes(events.DeadlineWatched)
    def on_deadline_watched(self, event):
        self.record(event, {"watched_at": event["occurred_at"],
                            "watch": {"attempt": event["attempt"], "department_code": event["department_code"]}},
                    event["occurred_at"], "deadline_watched",
                    [reason("watched", deadline=event["deadline"].isoformat())],
                    [done("watch", event["attempt"] or ANY_ATTEMPT)])

    @event_handler("followup", "case_signed_for", requeue_on_error=True)
    @consumes(events.CaseSignedFor)
    def on_case_signed_for(self, event):
        self.record(event, {"status": "signed_for", "signed_for_at": event["signed_at"]},
                    event["signed_at"], "signed_for",
                    [reason("signed_for", department=event["department_code"])])

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, event):
        refused = event["attempt"]
        # its case existed; now a new department or the dispatchers are owed
        checks = [done("case", refused), done("watch", refused),
                  self.owed("dispatch", refused, event["refused_at"])] if refused else []
        self.record(event, {"status": "refused", "refused_at": event["refused_at"]},
                    event["refused_at"], "refused",
                    [reason("returned", department=event["department_code"], reason=event["reason"])],
                    checks)

    @event_handler("followup", "extension_requested", requeue_on_error=True)
    @consumes(events.ExtensionRequested)
    def on_extension_requested(self, event):
        self.record(event, {}, event["requested_at"], "extension_requested",
                    [reason("extension_asked", department=event["department_code"], days=event["working_days"])])

    @event_handler("followup", "extension_decided", requeue_on_error=True)
    @consumes(events.ExtensionDecided)
    def on_extension_decided(self, event):
        granted = event["granted"]
        self.record(event, {"deadline": event["deadline"]} if granted else {}, event["decided_at"],
                    "extension_granted" if granted else "extension_denied",
                    [reason("extension_granted" if granted else "extension_denied",
                            deadline=event["deadline"].isoformat())])

    @event_handler("followup", "reply_submitted", requeue_on_error=True)
    @consumes(events.ReplySubmitted)
    def on_reply_submitted(self, event):
        self.record(event, {"status": "replied"}, event["replied_at"], "replied",
                    [reason("replied", department=event["department_code"])])

    @event_handler("followup", "reply_approved", requeue_on_error=True)
    @consumes(events.ReplyApproved)
    def on_reply_approved(self, event):
        self.record(event, {"status": "reply_approved", "reply": event["text"] or None},
                    event["approved_at"], "reply_approved", [reason("approved")])

    @event_handler("followup", "reply_rejected", requeue_on_error=True)
    @consumes(events.ReplyRejected)
    def on_reply_rejected(self, event):
        self.record(event, {"status": "reply_rejected"}, event["rejected_at"], "reply_rejected",
                    [reason("sent_back", department=event["department_code"], reason=event["reason"])])

    @event_handler("followup", "callback_recorded", requeue_on_error=True)
    @consumes(events.CallbackRecorded)
    def on_callback_recorded(self, event):
        outcome = reason("not_reached") if not event["reached"] else reason(
            "resolved" if event["resolved"] else "unresolved", satisfaction=event["satisfaction"] or "no rating")
        self.record(event, {}, event["recorded_at"], "callback", [outcome])

    @event_handler("followup", "case_reopened", requeue_on_error=True)
    @consumes(events.CaseReopened)
    def on_case_reopened(self, event):
        self.record(event, {"status": "reopened", "deadline": event["deadline"],
                            "sign_for_deadline": event["sign_for_deadline"], "closed_at": None},
                    event["reopened_at"], "reopened",
                    [reason("reopened", reason=event["reason"]) if event["reason"] else reason("reopened_unresolved")])

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, event):
        changes = {"status": "closed", "reply": event["reply"] or None, "closed_at": event["closed_at"]}
        self.record(event, changes, event["closed_at"], "closed", [reason("closed")], [FINISHED])
        self.tickets.apply_to_linked(event["number"], event["event_id"], changes,
                                     entry(event["closed_at"], "closed",
                                           [reason("closed_with", number=event["number"])]),
                                     event["occurred_at"])

    @event_handler("notify", "ticket_escalated", requeue_on_error=True)
    @consumes(events.TicketEscalated)
    def on_ticket_escalated(self, event):
        self.record(event, {"escalation": event["level"]}, event["escalated_at"], "escalated",
                    [reason("supervision", level=event["level"])])
