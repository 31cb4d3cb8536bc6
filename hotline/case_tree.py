"""A case as the CLI shows it: its tree of units, and what waits for the centre.

Plain functions over followup's answers (``get_case``, ``refusal_queue``,
``extension_requests``), no service code: the lead (主办) is the case itself,
each other unit's part is one of its ``assignments`` -- a co-handler (协办,
``role: co``) under the lead, a part passed down (下派, ``role: down``) under
the unit that passed it (``parent_unit_code``). What the centre reviews is
what the workbench's queues list: the lead's refusal and the parts' whose
``refusal.reviewer`` is ``centre``; the lead's extension and the co-handlers'
(``extension.reviewer: centre``).
"""
import datetime as dt
import unicodedata

CENTRE = "centre"
ROLES = {"lead": "lead (主办)", "co": "co-handler (协办)", "down": "passed down (下派)"}
LIVE = ("assigned", "signed_for", "replied", "refusal_review")
ASKED = ("signed_for", "replied")  # the states in which an extension request waits


def cols(text):
    """How many terminal columns ``text`` takes (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text, width):
    """``text`` padded to ``width`` terminal columns."""
    return text + " " * max(width - cols(text), 0)


def moment(iso):
    return dt.datetime.fromisoformat(iso) if iso else None


def span(seconds):
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    return f"{days}d {hours}h" if days else f"{hours}h {minutes}m" if hours else f"{minutes}m"


def countdown(deadline, now):
    """``3h 5m left`` or ``LATE by 1d 2h`` (``""`` without a deadline)."""
    due = moment(deadline)
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    return f"{span(seconds)} left" if seconds >= 0 else f"LATE by {span(seconds)}"


def lead_of(case):
    """The lead's part as the parts are: the case's own fields."""
    return {"unit_code": case["department_code"], "unit_name": case.get("department_name") or "",
            "role": "lead", "state": case["state"], "sign_for_deadline": case.get("sign_for_deadline"),
            "deadline": case.get("deadline"), "signed_at": case.get("signed_at"), "reply": case.get("reply"),
            "refusal": case.get("refusal"), "extension": case.get("extension")}


def unit_label(part):
    name = part.get("unit_name") or ""
    return f"{name} ({part['unit_code']})" if name and name != part["unit_code"] else part["unit_code"]


def clock_of(part, when, now):
    """The part's deadlines as a line, the one running now with its countdown."""
    state = part.get("state")
    sign = f"sign for by {when(part.get('sign_for_deadline'))}"
    if state == "assigned":
        sign += f" ({countdown(part.get('sign_for_deadline'), now)})"
    elif part.get("signed_at"):
        late = part.get("sign_for_deadline") and moment(part["signed_at"]) > moment(part["sign_for_deadline"])
        sign += f" (signed {when(part['signed_at'])}{', LATE' if late else ''})"
    reply = f"reply by {when(part.get('deadline'))}"
    if state == "signed_for":
        reply += f" ({countdown(part.get('deadline'), now)})"
    elif (part.get("reply") or {}).get("on_time") is not None:
        reply += " (replied on time)" if part["reply"]["on_time"] else " (replied LATE)"
    return f"{sign}  {reply}"


def notes_of(part, when):
    """What waits on the part: its refusal, the extension it asked."""
    notes = []
    refusal = part.get("refusal")
    if refusal and part.get("state") == "refusal_review":
        notes.append(f"refused {when(refusal.get('at'))} by {refusal.get('actor') or '-'}: "
                     f"{refusal.get('reason') or ''}  [{reviewer_words(refusal.get('reviewer'))} reviews]")
    asked = part.get("extension")
    if asked and part.get("state") in ASKED:
        notes.append(f"extension asked: {asked.get('working_days')} working day(s): {asked.get('reason') or ''}"
                     f"  [{reviewer_words(asked.get('reviewer') or (CENTRE if part['role'] != 'down' else ''))}"
                     " decides]")
    if part.get("note"):
        notes.append(f"note: {part['note']}")
    return notes


def reviewer_words(reviewer):
    return "the centre" if reviewer in (CENTRE, None, "") else reviewer


def tree_lines(case, when, now):
    """The case's units as a tree, one line each (and a line for what waits on a part);
    ``when`` turns a time into local words, ``now`` (UTC) counts down."""
    lead_code = case["department_code"]
    parts = list(case.get("assignments") or [])
    holder = {}  # unit code -> the part its children hang under: its live one, else its latest
    for index, part in enumerate(parts):
        if part["unit_code"] not in holder or part.get("state") in LIVE:
            holder[part["unit_code"]] = index
    under = {}  # parent's unit code -> indices of its parts
    for index, part in enumerate(parts):
        under.setdefault(part.get("parent_unit_code") or lead_code, []).append(index)
    rows, shown = [], set()

    def walk(part, index, lead, last, root=False):
        inner = lead + ("" if root else "   " if last else "│  ")
        rows.append((lead + ("" if root else "└─ " if last else "├─ "), inner, part, index))
        hangs = index is None or (part["unit_code"] != lead_code and holder.get(part["unit_code"]) == index)
        children = [i for i in under.get(part["unit_code"], []) if i not in shown] if hangs else []
        shown.update(children)
        for n, child in enumerate(children):
            walk(parts[child], child, inner, n == len(children) - 1)

    walk(lead_of(case), None, "", True, root=True)
    former = []  # parts whose parent no longer works on the case (a former lead's, withdrawn)
    for index in range(len(parts)):
        if index not in shown:
            shown.add(index)
            former.append(index)
            walk(parts[index], index, "", True, root=True)
    width = max(cols(prefix + unit_label(part)) for prefix, _, part, _ in rows)
    lines = []
    for prefix, inner, part, index in rows:
        lines.append(f"  {pad(prefix + unit_label(part), width)}  {pad(ROLES.get(part['role'], part['role']), 18)}"
                     f"  {part.get('state', ''):<14}  {clock_of(part, when, now)}".rstrip())
        notes = notes_of(part, when)
        if index in former:
            notes.append(f"from {part.get('parent_unit_code') or '-'}, no longer on the case")
        lines += [f"  {inner}   {note}" for note in notes]
    return lines


def waiting_refusals(cases):
    """The refusals the centre reviews, one row per unit: the leads' and the parts' for the centre."""
    rows = []
    for case in cases:
        if case.get("state") == "refusal_review":
            rows.append(dict(lead_of(case), number=case["number"]))
        for part in case.get("assignments") or ():
            if part.get("state") == "refusal_review" and (part.get("refusal") or {}).get("reviewer") == CENTRE:
                rows.append(dict(part, number=case["number"]))
    return rows


def waiting_extensions(cases):
    """The extension requests the centre decides: the leads' and the co-handlers'."""
    rows = []
    for case in cases:
        if case.get("extension") and case.get("state") in ASKED:
            rows.append(dict(lead_of(case), number=case["number"]))
        for part in case.get("assignments") or ():
            asked = part.get("extension") or {}
            if asked.get("reviewer") == CENTRE and part.get("state") in ASKED:
                rows.append(dict(part, number=case["number"], lead_deadline=case.get("deadline")))
    return rows


def part_of(case, unit):
    """The unit's part of ``case`` after a step: the lead's, its live one, else its latest."""
    if case.get("department_code") == unit:
        return lead_of(case)
    parts = [p for p in case.get("assignments") or () if p.get("unit_code") == unit]
    return next((p for p in parts if p.get("state") in LIVE), parts[-1] if parts else None)
