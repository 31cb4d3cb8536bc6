"""Notify's rules: what it watches for a case, and when it looks next.

Pure Python. A watch is built only from events. Its ``next_check_at`` is the
earliest moment something may need saying: the sign-for deadline first.
"""

WATCHING = "watching"


def watch_case(case_opened, now):
    return {
        "number": case_opened["number"],
        "department_code": case_opened["department_code"],
        "urgency": case_opened["urgency"],
        "deadline": case_opened["deadline"],
        "sign_for_deadline": case_opened["sign_for_deadline"],
        "state": WATCHING,
        "next_check_at": min(case_opened["sign_for_deadline"], case_opened["deadline"]),
        "watched_at": now,
        "source_event": case_opened["event_id"],
    }
