"""Appeals (考核申诉) in the workbench: a unit's staff appeal, supervisors decide.

Handlers of the pages in ``service.py``. On its case page, department staff
appeal a scored ledger entry of their unit (a late sign-for, a late reply, a
reply sent back, an unresolved or dissatisfied callback) with a reason, links
and files; the appeals page lists the open ones (the supervisors' queue,
申诉审核, with accept and reject, each with a reason) and the decided ones. Which
entry may be appealed, by whom and until when is followup's decision
(``services/followup/domain/appeal.py``), not this module's.
"""
import base64

from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show

PAGE = 20
MAX_UPLOAD_FILES = 3
TABS = ("open", "decided")


def department_appeal(deps: Deps, view: View, number):
    """Appeal one scored entry of the case, for the signed-in person's unit."""
    entry_id = view.form.get("entry_id") or ""
    reason = (view.form.get("reason") or "").strip()
    if not reason:
        raise Refused(400, N_("Please check the form"), view._("An appeal needs a reason."))
    links = [line.strip() for line in (view.form.get("links") or "").splitlines() if line.strip()]
    uploads = [f for f in view.request.files.getlist("files") if f and f.filename]
    if len(uploads) > MAX_UPLOAD_FILES:
        raise Refused(400, N_("Please check the form"), view._("At most %(n)s files with one appeal.",
                                                           n=MAX_UPLOAD_FILES))
    file_ids = [view.call("followup", "add_attachment", number, upload.filename,
                          base64.b64encode(upload.read()).decode("ascii"), None, "appeal")["id"]
                for upload in uploads]
    view.call("followup", "file_appeal", None, number, entry_id, reason, links, file_ids, "")
    return Redirect(f"/department/cases/{number}", flash=view._("Appeal filed; a supervisor decides."))


def appeals(deps: Deps, view: View):
    """The open appeals (申诉审核), oldest first, or the decided ones, newest first."""
    tab = view.arg("tab") if view.arg("tab") in TABS else "open"
    page_no = view.page_number()
    found = view.call("followup", "list_appeals", tab, (page_no - 1) * PAGE, PAGE)
    return show("appeals.html", tab=tab, found=found, page=page_no, size=PAGE, base=f"/appeals?tab={tab}&")


def decide_appeal(deps: Deps, view: View, appeal_id):
    decision = view.form.get("decision")
    reason = (view.form.get("reason") or "").strip()
    if decision not in ("accept", "reject"):
        raise Refused(400, N_("Please check the form"), view._("Accept or reject."))
    if not reason:
        raise Refused(400, N_("Please check the form"), view._("Deciding an appeal needs a reason."))
    appeal = view.call("followup", "decide_appeal", appeal_id, decision == "accept", reason)
    done = view._("Appeal about %(n)s accepted: the event leaves the after-appeal figures.", n=appeal["number"]) \
        if decision == "accept" else view._("Appeal about %(n)s rejected.", n=appeal["number"])
    return Redirect("/appeals", flash=done)
