"""Learning from events: each event records what it says about one request.

Every update is idempotent and order-free (``adapters.repository``): a
redelivered or late event changes nothing it should not.
"""
from services.insight.domain.requests import arrival_document
from shared.platform.privacy import scrub


def ticket_created(deps, event):
    deps.requests.apply(event["number"], dict(arrival_document(event), source="event"))


def ticket_assigned(deps, event):
    # After a refusal the next attempt's department replaces the last, never the reverse;
    # the request type the case is handled as (given, suggested or a dispatcher's) with it.
    changes = {"department_code": event["department_code"]}
    if event.get("request_type"):
        changes["request_type"] = event["request_type"]
    deps.requests.apply(event["number"], changes, newer=("assignment_attempt", event["attempt"]))
    # every unit it was dispatched to, whatever the order: the refusal rate's denominator (回退率)
    deps.requests.apply(event["number"], added={"dispatched_to": event["department_code"]})


def case_refused(deps, event):
    """The unit refused the case (退单): counted against it in the refusal rate (回退率)."""
    deps.requests.apply(event["number"], added={"refused_by": event["department_code"],
                                                "dispatched_to": event["department_code"]})


def case_signed_for(deps, event):
    # late once (a reopened case signs for again) is late: ``$max`` keeps True
    deps.requests.apply(event["number"], {"outcome.signed_for": True},
                        maxima={"outcome.signed_late": not event.get("on_time", True)})


def reply_submitted(deps, event):
    deps.requests.apply(event["number"], {"outcome.replied": True},
                        maxima={"outcome.replied_late": not event.get("on_time", True)})


def reply_rejected(deps, event):
    deps.requests.apply(event["number"], maxima={"outcome.rejections": event["rejection_count"]})


def reply_approved(deps, event):
    deps.requests.apply(event["number"], {"outcome.approved": True})


def callback_recorded(deps, event):
    deps.requests.apply(event["number"], {
        "outcome.reached": event["reached"], "outcome.resolved": event["resolved"],
        "outcome.satisfaction": event["satisfaction"]}, newer=("callback_at", event["recorded_at"]))


def case_reopened(deps, event):
    deps.requests.apply(event["number"], maxima={"outcome.reopened": event["reopen_count"]})


def case_closed(deps, event):
    changes = {"outcome.closed": True}
    for key in ("resolved", "satisfaction"):
        if event[key] is not None:
            changes[f"outcome.{key}"] = event[key]
    if event.get("outcome"):
        changes["outcome.closed_as"] = event["outcome"]  # ``unreasonable``: 不合理诉求
    # who closed it, and when: the held rate's cohort (防反弹) counts the closure against that unit
    changes["outcome.closed_by"] = event["department_code"]
    deps.requests.apply(event["number"], changes, maxima={"outcome.closed_at": event["closed_at"]})


def ticket_rebounded(deps, event):
    """A request came back to a closed case (防反弹): recorded on the case it came back to,
    once (the held rate judges it against the case's window)."""
    deps.requests.apply(event["rebound_of"], added={
        "outcome.rebounds": {"number": event["number"], "at": event["received_at"]}})


def appeal_decided(deps, event):
    """An accepted appeal (考核申诉) takes the contested event out of the unit's assessment."""
    if event["outcome"] == "accepted":
        deps.requests.apply(event["number"], added={"outcome.appeals_accepted": event["scored"]})


def personal_data_erased(deps, event):
    """intake erased a closed ticket's personal data: scrub this service's copy too."""
    deps.requests.erase_personal_data(event["number"], scrub)


def call_ended(deps, event):
    """An inbound call offered to the floor, for the staffing forecast of channel ``call``."""
    if event["direction"] == "in" and event["outcome"] != "forwarded":
        deps.requests.record_call(event["call_id"], event["ringing_at"], event.get("talk_seconds"),
                                  event["events"])
