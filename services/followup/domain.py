"""Followup's rules: the life of a case and its ledger (台账).

Pure Python. A case walks::

           ┌──────── refuse (退单, within 2 wd) ───▶ refused ──┐
           │   ┌──── routing re-routes to another department ◀─┘
           │   ▼
    ──▶ assigned ─sign for─▶ signed_for ─reply─▶ replied ─approve─▶ approved ─callback─▶ closed
           ▲   (签收)         ▲  │  ▲    (回复)     │    (审核)       │   (回访)  resolved and
           │                  │  └──┘ extension     │                 │           (basically)
           │                  │       (延期)        │                 │           satisfied
           │                  └───── reject (打回) ─┘                 │
           └────────────────────── reopened (重办) ◀──────────────────┘
                                    unresolved or dissatisfied

The callback and what follows it live in ``callback.py``.

Each verb takes the case as stored, checks the transition makes sense, and
returns a :class:`Change`: the fields to set, the ledger entries to append
and the events to publish. It changes nothing itself; the repository applies
the change only if the case is still in the state (and version) it was read
in, so two people acting at once cannot corrupt it. A transition that makes
no sense raises :class:`TransitionRefused` and nothing changes.
"""
import re
from dataclasses import dataclass, field

from services.followup.quality import check_reply
from shared.contract import bounds
from shared.contract.numbering import same_instant

ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED = (
    "assigned", "signed_for", "replied", "approved", "closed", "refused")
STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED)
OPEN_STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED)
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
MAX_TEXT = bounds.TEXT
MAX_ATTACHMENTS = bounds.ATTACHMENTS


class TransitionRefused(Exception):
    """The case is not in a state where this makes sense."""


class InvalidRequest(Exception):
    """The request itself is wrong; ``errors`` maps each field to its errors."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class UnknownCase(Exception):
    """No case has this number."""


class NotAuthorized(Exception):
    """No valid department token."""


# What ``create_token`` hands out: ``secrets.token_urlsafe(24)``, 32 URL-safe characters.
TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{32}")


def well_formed_token(token) -> bool:
    """Whether ``token`` has the form of a department token (it may still be unknown)."""
    return isinstance(token, str) and TOKEN_FORMAT.fullmatch(token) is not None


class NotYourCase(Exception):
    """The case belongs to another department."""


class NumberReused(Exception):
    """An assignment names a case's number but another ticket (received at another time)."""


@dataclass
class Change:
    set: dict = field(default_factory=dict)
    ledger: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (event_type, body)
    inc: dict = field(default_factory=dict)


def ledger_entry(case, at, actor, action, reason="", **details):
    """One line of the ledger: who did what, when and why, for which department."""
    return {"at": at, "actor": actor or "", "action": action, "reason": reason or "",
            "department_code": case["department_code"], **details}


def _expect(case, *states, doing):
    if case["state"] not in states:
        raise TransitionRefused(
            f"case {case['number']} is {case['state']}: cannot {doing} "
            f"(only when {' or '.join(states)})")


def _required_text(value, name, limit=MAX_TEXT):
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise InvalidRequest({name: ["must be text"]})
    if not value:
        raise InvalidRequest({name: ["is required"]})
    if len(value) > limit:
        raise InvalidRequest({name: [f"at most {limit} characters"]})
    return value


def _free_text(value, name, limit=bounds.NAME):
    """An optional free-text value (a person's name, a note) within ``limit``, or ``""``."""
    error = bounds.text_error(value, limit)
    if error:
        raise InvalidRequest({name: [error]})
    return value or ""


# -- opening and re-routing ----------------------------------------------------

def _assignment_fields(assignment):
    return {
        "department_code": assignment["department_code"],
        "department_name": assignment["department_name"],
        "urgency": assignment["urgency"],
        "asked_urgency": assignment.get("asked_urgency"),
        "time_limit_class": assignment["time_limit_class"],
        "deadline": assignment["deadline"],
        "sign_for_deadline": assignment["sign_for_deadline"],
        "assigned_at": assignment["assigned_at"],
        "round_started_at": assignment["assigned_at"],
        "assignment_event": assignment["event_id"],
        "title": assignment.get("title") or "", "category": assignment.get("category"),
        "signed_at": None, "extension": None, "extension_days_granted": 0, "reply": None,
    }


def open_case(assignment, now):
    """A new case for a ``ticket_assigned`` event (attempt 2 if followup never heard of 1)."""
    case = {"number": assignment["number"], "state": ASSIGNED, "version": 0, "opened_at": now,
            "attempt": assignment.get("attempt") or 1, "rejection_count": 0, "refusal_count": 0,
            "reopen_count": 0, "callback_attempts": [],
            "ticket_received_at": assignment.get("received_at"), **_assignment_fields(assignment)}
    case["ledger"] = [ledger_entry(
        case, assignment["assigned_at"], assignment["decided_by"], "assigned",
        "; ".join(assignment["reasons"]), to=assignment["department_name"],
        reason_codes=assignment.get("reason_codes") or [])]
    return case


def case_opened_body(case):
    body = {key: case[key] for key in ("number", "department_code", "urgency", "deadline",
                                       "sign_for_deadline", "opened_at")}
    body.update(attempt=case.get("attempt", 1), time_limit_class=case.get("time_limit_class"),
                title=case.get("title") or "", received_at=case.get("ticket_received_at"))
    return body


def check_same_ticket(case, assignment):
    """Raise ``NumberReused`` if ``assignment`` is for another ticket under the case's number."""
    held, given = case.get("ticket_received_at"), assignment.get("received_at")
    if not same_instant(held, given):
        raise NumberReused(
            f"ticket number {case['number']} names two tickets: the case holds the one received "
            f"at {held.isoformat()}, this assignment is for one received at {given.isoformat()}")


def reassign(case, assignment, now):
    """Routing sent the case to another department; ``None`` if this is a redelivery.

    Two ways: a refused case re-routed (退单), or a case a dispatcher moved away
    from the department that holds it (``redispatched``, 改派) while it is
    still with that department and not yet approved. Only a later attempt
    moves it: an earlier assignment heard late changes nothing.
    """
    check_same_ticket(case, assignment)
    if assignment["event_id"] == case.get("assignment_event"):
        return None
    redispatch = bool(assignment.get("redispatched"))
    if redispatch:
        if case["state"] not in (ASSIGNED, SIGNED_FOR, REPLIED) or \
                assignment.get("previous_department_code") != case["department_code"]:
            return None
    elif case["state"] != REFUSED:
        return None
    if (assignment.get("attempt") or 0) and assignment["attempt"] <= case.get("attempt", 1):
        return None
    attempt_given = assignment.get("attempt")
    fields = _assignment_fields(assignment)
    attempt = attempt_given or case.get("attempt", 1) + 1
    change = Change(set={**fields, "state": ASSIGNED, "attempt": attempt})
    moved = dict(case, **fields)
    change.ledger.append(ledger_entry(
        moved, assignment["assigned_at"], assignment["decided_by"], "assigned",
        "; ".join(assignment["reasons"]), to=assignment["department_name"],
        reason_codes=assignment.get("reason_codes") or [],
        previous_department_code=case["department_code"], redispatched=redispatch))
    change.events.append(("case_opened", dict(case_opened_body(
        dict(moved, opened_at=now, attempt=attempt)), previous_department_code=case["department_code"])))
    return change


# -- the department's verbs ----------------------------------------------------

def sign_for(case, actor, now):
    actor = _free_text(actor, "actor")
    _expect(case, ASSIGNED, doing="sign for it")
    on_time = now <= case["sign_for_deadline"]
    return Change(
        set={"state": SIGNED_FOR, "signed_at": now},
        ledger=[ledger_entry(case, now, actor, "signed_for", on_time=on_time)],
        events=[("case_signed_for", {"number": case["number"], "department_code": case["department_code"],
                                     "signed_at": now, "actor": actor or "", "on_time": on_time})])


def refuse(case, actor, reason, now, clock):
    actor = _free_text(actor, "actor")
    _expect(case, ASSIGNED, SIGNED_FOR, doing="refuse it")
    reason = _required_text(reason, "reason", bounds.REASON)
    window = clock.refusal_deadline(case["assigned_at"])
    if now > window:
        raise TransitionRefused(
            f"case {case['number']} was dispatched more than {clock.refusal_working_days} "
            f"working days ago (refusal window closed {window.isoformat()}): reply or ask for an extension")
    count = case.get("refusal_count", 0) + 1
    return Change(
        set={"state": REFUSED, "refused_at": now, "extension": None},
        inc={"refusal_count": 1},
        ledger=[ledger_entry(case, now, actor, "refused", reason)],
        events=[("case_refused", {"number": case["number"], "department_code": case["department_code"],
                                  "reason": reason, "refused_at": now, "actor": actor or "",
                                  "refusal_count": count, "attempt": case.get("attempt", 1)})])


def request_extension(case, actor, working_days, reason, now, clock):
    actor = _free_text(actor, "actor")
    _expect(case, SIGNED_FOR, doing="ask for an extension")
    if case.get("extension"):
        raise TransitionRefused(f"case {case['number']} already has an extension request waiting")
    reason = _required_text(reason, "reason", bounds.REASON)
    left = clock.max_extension_working_days - case.get("extension_days_granted", 0)
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
        raise InvalidRequest({"working_days": ["a whole number of working days, at least 1"]})
    if working_days > left:
        raise InvalidRequest({"working_days": [
            f"at most {clock.max_extension_working_days} working days in all; {left} left for this case"]})
    extension = {"working_days": working_days, "reason": reason, "requested_at": now, "actor": actor or ""}
    return Change(
        set={"extension": extension},
        ledger=[ledger_entry(case, now, actor, "extension_requested", reason, working_days=working_days)],
        events=[("extension_requested", {"number": case["number"], "department_code": case["department_code"],
                                         "working_days": working_days, "reason": reason, "requested_at": now})])


def submit_reply(case, actor, text, attachments, now, files=()):
    """The department's reply: text, links, and ``files`` it uploaded to the case."""
    actor = _free_text(actor, "actor")
    _expect(case, SIGNED_FOR, doing="reply")
    text = _required_text(text, "text")
    attachments = attachments or []
    bad = not isinstance(attachments, list) or [
        a for a in attachments if not (isinstance(a, str) and a.startswith(("http://", "https://"))
                                       and len(a) <= bounds.LINK)]
    if bad or len(attachments) > MAX_ATTACHMENTS:
        raise InvalidRequest({"attachments": [
            f"up to {MAX_ATTACHMENTS} links, each starting with http:// or https:// "
            f"and at most {bounds.LINK} characters"]})
    on_time = now <= case["deadline"]
    files = [{k: f[k] for k in ("id", "filename", "size", "content_type")} for f in files]
    reply = {"text": text, "attachments": attachments, "files": files, "replied_at": now,
             "actor": actor or "", "on_time": on_time, "deadline": case["deadline"]}
    return Change(
        set={"state": REPLIED, "reply": reply},
        ledger=[ledger_entry(case, now, actor, "replied", text, on_time=on_time, attachments=attachments,
                             files=[f["filename"] for f in files])],
        events=[("reply_submitted", {"number": case["number"], "department_code": case["department_code"],
                                     "text": text, "attachments": attachments, "files": files,
                                     "replied_at": now, "on_time": on_time})])


# -- the operators' verbs ------------------------------------------------------

def decide_extension(case, operator, grant, reason, now, clock):
    operator = _free_text(operator, "operator")
    reason = _free_text(reason, "reason", bounds.REASON)
    _expect(case, SIGNED_FOR, REPLIED, doing="decide an extension")
    extension = case.get("extension")
    if not extension:
        raise TransitionRefused(f"case {case['number']} has no extension request waiting")
    if not isinstance(grant, bool):
        raise InvalidRequest({"grant": ["true (grant) or false (deny)"]})
    if not grant:  # the department is told why (notify's extension_decided notice)
        reason = _required_text(reason, "reason", 1000)
    days = extension["working_days"]
    deadline = clock.extended_deadline(case["deadline"], days) if grant else case["deadline"]
    change = Change(set={"extension": None, "deadline": deadline})
    if grant:
        change.inc["extension_days_granted"] = days
    change.ledger.append(ledger_entry(
        case, now, operator, "extension_granted" if grant else "extension_denied", reason,
        working_days=days, deadline=deadline))
    change.events.append(("extension_decided", {
        "number": case["number"], "department_code": case["department_code"], "granted": bool(grant),
        "deadline": deadline, "decided_by": operator or "", "reason": reason or "", "decided_at": now}))
    return change


def review_findings(case, ticket):
    _expect(case, REPLIED, doing="review a reply")
    return check_reply(case["reply"]["text"], ticket)


def approve_reply(case, reviewer, ticket, now, clock, reason=""):
    reviewer = _free_text(reviewer, "reviewer")
    reason = _free_text(reason, "reason", bounds.REASON)
    findings = review_findings(case, ticket)
    due = clock.callback_due(now)
    handling = clock.working_days_between(case["round_started_at"], now)
    return Change(
        set={"state": APPROVED, "approved_reply": case["reply"]["text"], "approved_at": now,
             "callback_due": due, "callback_attempts": [], "extension": None},
        ledger=[ledger_entry(case, now, reviewer, "approved", reason, findings=findings,
                             handling_working_days=handling, callback_due=due)],
        events=[("reply_approved", {"number": case["number"], "department_code": case["department_code"],
                                    "text": case["reply"]["text"], "reviewer": reviewer or "",
                                    "callback_due": due, "approved_at": now})])


def reject_reply(case, reviewer, reason, ticket, now):
    reviewer = _free_text(reviewer, "reviewer")
    findings = review_findings(case, ticket)
    reason = _required_text(reason, "reason", bounds.REASON)
    count = case.get("rejection_count", 0) + 1
    return Change(
        set={"state": SIGNED_FOR},
        inc={"rejection_count": 1},
        ledger=[ledger_entry(case, now, reviewer, "rejected", reason, findings=findings,
                             rejection_count=count)],
        events=[("reply_rejected", {"number": case["number"], "department_code": case["department_code"],
                                    "reason": reason, "reviewer": reviewer or "",
                                    "rejection_count": count, "rejected_at": now})])
