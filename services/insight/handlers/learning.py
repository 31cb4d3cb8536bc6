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
    deps.requests.apply(event["number"], changes)


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
