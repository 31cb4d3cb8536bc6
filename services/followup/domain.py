"""Followup's rules: a case and its ledger (台账).

Pure Python. In this slice a case opens when its ticket is assigned; every
transition appends to the ledger who did what, when and why.
"""

ASSIGNED = "assigned"


def ledger_entry(at, actor, action, note=""):
    return {"at": at, "actor": actor, "action": action, "note": note}


def open_case(assignment, now):
    """A new case for a ``ticket_assigned`` event."""
    return {
        "number": assignment["number"],
        "state": ASSIGNED,
        "department_code": assignment["department_code"],
        "department_name": assignment["department_name"],
        "urgency": assignment["urgency"],
        "time_limit_class": assignment["time_limit_class"],
        "deadline": assignment["deadline"],
        "sign_for_deadline": assignment["sign_for_deadline"],
        "assigned_at": assignment["assigned_at"],
        "opened_at": now,
        "assignment_event": assignment["event_id"],
        "ledger": [ledger_entry(
            assignment["assigned_at"], assignment["decided_by"], "assigned",
            f"to {assignment['department_name']}: {'; '.join(assignment['reasons'])}")],
    }


def case_opened_body(case):
    return {key: case[key] for key in ("number", "department_code", "urgency", "deadline",
                                       "sign_for_deadline", "opened_at")}
