"""Cases at work: department staff, reviewers and callback agents.

Handlers of the pages in ``service.py``. Department staff see their department's inbox
(most urgent first, each deadline as a countdown, the cards earned) and act on
a case: sign for, refuse with a reason, ask for an extension, reply with
files, or propose an exit: an unreasonable request (不合理诉求, with evidence)
or a hold (挂账, with a recheck day). Reviewers approve or send back replies
with the quality gate's findings beside them, grant or deny extensions and
rule on unreasonable requests; supervisors decide holds; everyone who reads
cases sees the 挂账 list. Callback agents record what the citizen said and
the outcome. Which case a person may see is followup's decision
(``NotYourCase`` becomes a 403 page), not this module's.
"""
import base64

from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Download, Redirect, Refused, View, show

PAGE = 20
MAX_UPLOAD_FILES = 3
UPLOAD_BYTES = MAX_UPLOAD_FILES * 5 * 1024 * 1024 + 256 * 1024
CASE_READERS = ("department", "operator", "dispatcher", "reviewer", "callback", "supervisor", "admin")


def _cards(view, cases):
    numbers = [c["number"] for c in cases]
    return (view.optional("notify", "escalations", numbers) or {}) if numbers else {}


# -- department staff ------------------------------------------------------

def department_inbox(deps: Deps, view: View):
    page_no = view.page_number()
    state = view.arg("state") or None
    found = view.call("followup", "department_inbox", None, (page_no - 1) * PAGE, PAGE, state)
    return show("department.html", found=found, cards=_cards(view, found["items"]),
                page=page_no, size=PAGE, state=state,
                base=f"/department?{'state=' + state + '&' if state else ''}")


def department_case(deps: Deps, view: View, number):
    case = view.call("followup", "case_detail", number)
    department = view.person.department if view.person.has("department") else None
    part = my_part(case, department)
    children, units = [], []
    if part and part["state"] == "signed_for":  # the units it may pass the case down to (下派)
        children = [d for d in view.optional("routing", "list_departments") or []
                    if d.get("parent") == department and not d.get("retired")]
    if view.person.has("dispatcher") and case.get("state") not in ("closed", "refused"):  # 加派: co-handlers
        working = {case.get("department_code")} | {a.get("unit_code") for a in case.get("assignments") or ()}
        units = [d for d in view.optional("routing", "list_departments") or []
                 if not d.get("retired") and d.get("code") not in working]
    return show("case.html", case=case, cards=_cards(view, [case]).get(number, []), part=part,
                children=children, units=units, errors={}, max_files=MAX_UPLOAD_FILES)


def add_co_handlers(deps: Deps, view: View, number):
    """A dispatcher adds co-handling units (协办, 加派) to an open case."""
    codes = [code for code in view.form.getlist("co_handlers") if code]
    if not codes:
        raise Refused(400, N_("Please check the form"), view._("Choose at least one unit."))
    view.call("followup", "add_co_handlers", number, codes, view.form.get("note") or "")
    return Redirect(f"/department/cases/{number}", flash=view._("Co-handlers added."))


def my_part(case, department):
    """What ``department`` holds of the case: the lead's part (the case itself) or its live
    co-handling or passed-down assignment; ``None`` when it holds nothing now."""
    if not department:
        return None
    if case.get("department_code") == department:
        return {"role": "lead", "unit_code": department, "state": case.get("state"),
                "sign_for_deadline": case.get("sign_for_deadline"), "deadline": case.get("deadline")}
    live = ("assigned", "signed_for", "replied", "refusal_review")
    return next((a for a in case.get("assignments") or () if a.get("unit_code") == department
                 and a.get("state") in live), None)


def department_pass_down(deps: Deps, view: View, number):
    unit = view.form.get("unit") or ""
    if not unit:
        raise Refused(400, N_("Please check the form"), view._("Choose the unit to pass the case to."))
    _case_action(deps, view, number, "pass_down", unit, view.form.get("note") or "", "")
    return Redirect(f"/department/cases/{number}", flash=view._("Passed down to %(u)s.", u=view.unit(unit)))


def department_review_part(deps: Deps, view: View, number, unit):
    """The unit above reviews what its child did: a refusal (approve / reject) or a reply
    (accept / send back); the centre's dispatchers review the lead's and co-handlers' refusals."""
    decision = view.form.get("decision")
    reason = (view.form.get("reason") or "").strip()
    if decision not in ("approve", "reject", "accept", "send_back"):
        raise Refused(400, N_("Please check the form"), view._("Approve or reject."))
    if decision in ("reject", "send_back") and not reason:
        raise Refused(400, N_("Please check the form"), view._("Rejecting needs a reason."))
    if decision in ("accept", "send_back"):
        view.call("followup", "review_part_reply", None, number, unit, decision == "accept", reason, "")
    else:
        view.call("followup", "review_refusal", number, unit, decision == "approve", reason)
    back = view.form.get("back") or f"/department/cases/{number}"
    return Redirect(back if back.startswith("/") and not back.startswith("//") else "/",
                    flash=view._("Recorded."))


def refusal_queue(deps: Deps, view: View):
    """Refusals waiting for this person's review: a dispatcher's (the leads' and co-handlers'),
    or a unit's (the units it passed cases down to)."""
    page_no = view.page_number()
    found = view.call("followup", "refusal_queue", None, (page_no - 1) * PAGE, PAGE)
    reviewer = view.person.department if view.person.is_department_only else "centre"
    rows = []
    for case in found["items"]:
        if case.get("state") == "refusal_review" and reviewer == "centre":
            rows.append({"case": case, "unit_code": case["department_code"], "role": "lead",
                         "refusal": case.get("refusal") or {}})
        for part in case.get("assignments") or ():
            if part.get("state") == "refusal_review" and (part.get("refusal") or {}).get("reviewer") == reviewer:
                rows.append({"case": case, "unit_code": part["unit_code"], "role": part["role"],
                             "refusal": part.get("refusal") or {}})
    # the directory's evidence beside each refusal: what the refusing unit answers for (职责清单)
    duties = {d.get("code"): d.get("duties") or [] for d in view.optional("routing", "list_departments") or []}
    for row in rows:
        row["duties"] = duties.get(row["unit_code"], [])
    return show("refusals.html", rows=rows, found=found, page=page_no, size=PAGE, base="/refusals?")


def department_contact(deps: Deps, view: View, number):
    contact = view.call("followup", "case_contact", number, None, view.form.get("purpose") or "")
    deps.people.record_audit({"at": view.now, "actor": view.person.user_id, "action": "contact_viewed",
                              "subject": number, "address": view.address})
    return show("_contact.html", contact=contact, number=number)


def _case_action(deps: Deps, view: View, number, method, *args, done=""):
    view.call("followup", method, None, number, *args)
    return Redirect(f"/department/cases/{number}", flash=done)


def department_sign_for(deps: Deps, view: View, number):
    return _case_action(deps, view, number, "sign_for", "", done=view._("Signed for."))


def department_refuse(deps: Deps, view: View, number):
    case = view.call("followup", "refuse_case", None, number, view.form.get("reason") or "", "")
    if case.get("state") == "refused":  # a city that does not review refusals: routing re-routes now
        return Redirect("/department", flash=view._("%(n)s returned to the hotline for re-dispatch.", n=number))
    return Redirect("/department", flash=view._("%(n)s: the refusal waits for review.", n=number))


def department_extension(deps: Deps, view: View, number):
    """More time (延期) for the unit's reply: the lead's is the hotline's to decide; a co-handler's
    the hotline's reviewers'; a part passed down, the unit that passed it down."""
    try:
        days = int(view.form.get("working_days") or 0)
    except ValueError:
        raise Refused(400, N_("Please check the form"), view._("Working days: a whole number.")) from None
    case = view.call("followup", "request_extension", None, number, days, view.form.get("reason") or "", "")
    asked = (my_part(case, view.person.department) or {}).get("extension") or {}
    reviewer = asked.get("reviewer")
    done = view._("Extension requested; %(u)s decides.", u=view.unit(reviewer)) \
        if reviewer and reviewer != "centre" else view._("Extension requested; the hotline decides.")
    return Redirect(f"/department/cases/{number}", flash=done)


def part_extension(deps: Deps, view: View, number, unit):
    """Grant or deny (with a reason) the extension a unit asked for its part: the unit that passed
    it down decides; the hotline's reviewers decide a co-handler's."""
    decision = view.form.get("decision")
    reason = (view.form.get("reason") or "").strip()
    if decision not in ("grant", "deny"):
        raise Refused(400, N_("Please check the form"), view._("Grant or deny."))
    if decision == "deny" and not reason:
        raise Refused(400, N_("Please check the form"), view._("Denying an extension needs a reason."))
    view.call("followup", "decide_part_extension", number, unit, decision == "grant", reason)
    back = view.form.get("back") or f"/department/cases/{number}"
    return Redirect(back if back.startswith("/") and not back.startswith("//") else "/",
                    flash=view._("Extension granted.") if decision == "grant" else view._("Extension denied."))


def _uploaded(view: View, number):
    """The files sent with the form, kept with the case: their ids."""
    uploads = [f for f in view.request.files.getlist("files") if f and f.filename]
    if len(uploads) > MAX_UPLOAD_FILES:
        raise Refused(400, N_("Please check the form"), view._("At most %(n)s files with one reply.",
                                                           n=MAX_UPLOAD_FILES))
    file_ids = []
    for upload in uploads:
        data = upload.read()
        info = view.call("followup", "add_attachment", number, upload.filename,
                         base64.b64encode(data).decode("ascii"))
        file_ids.append(info["id"])
    return file_ids


def department_reply(deps: Deps, view: View, number):
    text = view.form.get("text") or ""
    if not text.strip():
        raise Refused(400, N_("Please check the form"), view._("The reply needs a text."))
    view.call("followup", "submit_reply", None, number, text, [], "", _uploaded(view, number))
    return Redirect("/department", flash=view._("Reply to %(n)s sent for review.", n=number))


def department_unreasonable(deps: Deps, view: View, number):
    """不合理诉求: the reason, links (one a line) and files as evidence; a reviewer rules."""
    reason = (view.form.get("reason") or "").strip()
    links = [line.strip() for line in (view.form.get("evidence") or "").splitlines() if line.strip()]
    if not reason:
        raise Refused(400, N_("Please check the form"), view._("Say why the request is unreasonable."))
    view.call("followup", "propose_unreasonable", None, number, reason, links, "", _uploaded(view, number))
    return Redirect(f"/department/cases/{number}",
                    flash=view._("Proposed as an unreasonable request; a reviewer rules."))


def department_hold(deps: Deps, view: View, number):
    """挂账: the reason and the day to look at it again; a supervisor decides."""
    view.call("followup", "propose_hold", None, number, view.form.get("reason") or "",
              view.form.get("recheck_on") or "", "")
    return Redirect(f"/department/cases/{number}", flash=view._("Hold proposed; a supervisor decides."))


def case_file(deps: Deps, view: View, number, file_id):
    found = view.call("followup", "get_attachment", number, file_id)
    info = found["info"]
    return Download(base64.b64decode(found["data_base64"]), info["filename"], info["content_type"],
                    headers={"Content-Security-Policy": "default-src 'none'; sandbox"})


# -- reviewers -------------------------------------------------------------

def review_queue(deps: Deps, view: View):
    page_no = view.page_number()
    tab = view.arg("tab") or "replies"
    if tab == "extensions":
        found = view.call("followup", "extension_requests", (page_no - 1) * PAGE, PAGE)
    elif tab == "unreasonable":
        found = view.call("followup", "unreasonable_queue", (page_no - 1) * PAGE, PAGE)
    else:
        found = view.call("followup", "review_queue", (page_no - 1) * 10, 10)
    return show("review.html", tab=tab, found=found, page=page_no,
                size=10 if tab == "replies" else PAGE, base=f"/review?tab={tab}&")


def review_decide(deps: Deps, view: View, number):
    decision = view.form.get("decision")
    reason = (view.form.get("reason") or "").strip()
    if decision not in ("approve", "reject"):
        raise Refused(400, N_("Please check the form"), view._("Approve or send back."))
    if decision == "reject" and not reason:
        raise Refused(400, N_("Please check the form"), view._("Sending a reply back needs a reason."))
    view.call("followup", "review_reply", number, "", decision == "approve", reason)
    done = view._("%(n)s approved: the callback is due.", n=number) if decision == "approve" else \
        view._("%(n)s sent back to the department.", n=number)
    return Redirect("/review", flash=done)


def review_extension(deps: Deps, view: View, number):
    grant = view.form.get("decision") == "grant"
    reason = (view.form.get("reason") or "").strip()
    if not grant and not reason:
        raise Refused(400, N_("Please check the form"), view._("Denying an extension needs a reason."))
    view.call("followup", "decide_extension", number, "", grant, reason)
    return Redirect("/review?tab=extensions", flash=view._("Extension granted.") if grant
                    else view._("Extension denied."))


def _decision(view: View):
    """``(approve, reason)`` from a decision form; a rejection needs its reason."""
    decision = view.form.get("decision")
    reason = (view.form.get("reason") or "").strip()
    if decision not in ("approve", "reject"):
        raise Refused(400, N_("Please check the form"), view._("Approve or reject."))
    if decision == "reject" and not reason:
        raise Refused(400, N_("Please check the form"), view._("A rejection needs a reason."))
    return decision == "approve", reason


def review_unreasonable(deps: Deps, view: View, number):
    approve, reason = _decision(view)
    view.call("followup", "decide_unreasonable", number, approve, reason)
    return Redirect("/review?tab=unreasonable", flash=view._("%(n)s closed as an unreasonable request.", n=number)
                    if approve else view._("%(n)s back with the department.", n=number))


# -- the 挂账 list, and supervisors' decisions on holds ---------------------------

def holds(deps: Deps, view: View):
    page_no = view.page_number()
    found = view.call("followup", "hold_list", None, (page_no - 1) * PAGE, PAGE)
    waiting = view.call("followup", "hold_queue", 0, PAGE) if view.person.has("supervisor") else None
    return show("holds.html", found=found, waiting=waiting, page=page_no, size=PAGE, base="/holds?")


def hold_decide(deps: Deps, view: View, number):
    approve, reason = _decision(view)
    view.call("followup", "decide_hold", number, approve, reason)
    return Redirect("/holds", flash=view._("%(n)s is on hold.", n=number) if approve
                    else view._("%(n)s back with the department.", n=number))


# -- callback agents ----------------------------------------------------------

def callbacks(deps: Deps, view: View):
    page_no = view.page_number()
    found = view.call("followup", "callbacks_due", (page_no - 1) * PAGE, PAGE)
    return show("callbacks.html", found=found, page=page_no, size=PAGE, base="/callbacks?")


def callback_record(deps: Deps, view: View, number):
    reached = view.form.get("reached")
    if reached not in ("yes", "no"):
        raise Refused(400, N_("Please check the form"), view._("Say whether the citizen was reached."))
    outcome = view.form.get("outcome") or None
    resolved = {"yes": True, "no": False}.get(view.form.get("resolved"))  # the form before outcomes
    satisfaction = view.form.get("satisfaction") or None
    if reached == "yes" and ((outcome is None and resolved is None) or not satisfaction):
        raise Refused(400, N_("Please check the form"),
                      view._("When the citizen was reached: the outcome, and how satisfied."))
    reached_ = reached == "yes"
    case = view.call("followup", "record_callback", number, "", reached_, resolved if reached_ else None,
                     satisfaction if reached_ else None, view.form.get("note") or "",
                     outcome if reached_ else None)
    messages = {"closed": view._("%(n)s closed.", n=number),
                "assigned": view._("%(n)s reopened to %(d)s.", n=number, d=case["department_name"]),
                "raised": view._("%(n)s reopened too often: raised a level (提级).", n=number),
                "approved": view._("%(n)s: not reached; try again another day.", n=number)}
    return Redirect("/callbacks", flash=messages.get(case["state"], number))
