"""The dispatcher's screens: the manual dispatch queue, arbitration, re-dispatch, the review list.

Handlers of the pages in ``service.py``. The queue shows what routing doubted, with its
suggestions and their reasons; arbitration shows the tickets refused too
often (仲裁), with every refusal's reason; 提级 the cases reopened too often
and raised to the centre (no unit above theirs). Assigning and re-dispatching are
routing's RPC, recorded with the signed-in dispatcher and the reason given. The review
list (待确认) is what routing would most like a person to label: each row confirmed or
corrected becomes a weighted example for its next training (``review_label``).
"""
from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show

PAGE = 20


def dispatch_queue(deps: Deps, view: View):
    tab = view.arg("tab") if view.arg("tab") in ("arbitration", "raised") else "queue"
    rule = None if tab == "queue" else tab
    page_no = view.page_number()
    waiting, total, arbitration, raised, departments = view.gather(
        ("routing", "queue", (PAGE, (page_no - 1) * PAGE, rule)),
        ("routing", "queue_size", (rule,)),
        ("routing", "queue_size", ("arbitration",)),
        ("routing", "queue_size", ("raised",)),
        ("routing", "list_departments", ()))
    return show("dispatch.html", tab=tab, waiting=waiting, total=total, arbitration=arbitration, raised=raised,
                departments=departments, page=page_no, size=PAGE, base=f"/dispatch?tab={tab}&")


def dispatch_assign(deps: Deps, view: View, number):
    department, reason = ((view.form.get(k) or "").strip() for k in ("department", "reason"))
    if not department or not reason:
        raise Refused(400, N_("Please check the form"), view._("Choose a department and say why."))
    co_handlers = [code for code in view.form.getlist("co_handlers") if code and code != department]
    kind = (view.form.get("request_type") or "").strip() or None
    body = view.call("routing", "assign", number, department, "", reason, co_handlers, request_type=kind)
    return Redirect(view.form.get("back") or "/dispatch",
                    flash=view._("%(n)s dispatched to %(d)s.", n=number, d=body["department_name"]))


def dispatch_redispatch(deps: Deps, view: View, number):
    department, reason = ((view.form.get(k) or "").strip() for k in ("department", "reason"))
    if not department or not reason:
        raise Refused(400, N_("Please check the form"), view._("Choose a department and say why."))
    kind = (view.form.get("request_type") or "").strip() or None
    body = view.call("routing", "redispatch", number, department, reason, request_type=kind)
    return Redirect(f"/tickets/{number}",
                    flash=view._("%(n)s re-dispatched to %(d)s.", n=number, d=body["department_name"]))


def dispatch_review(deps: Deps, view: View):
    found, departments, arbitration, raised = view.gather(
        ("routing", "review_list", (PAGE,)),
        ("routing", "list_departments", ()),
        ("routing", "queue_size", ("arbitration",)),
        ("routing", "queue_size", ("raised",)))
    return show("dispatch_review.html", tab="review", items=found["items"], model_version=found["model_version"],
                departments=departments, arbitration=arbitration, raised=raised)


def dispatch_review_label(deps: Deps, view: View, number):
    department = (view.form.get("department") or "").strip()
    if not department:
        raise Refused(400, N_("Please check the form"), view._("Choose a department."))
    body = view.call("routing", "review_label", number, department)
    said = (view._("%(n)s: confirmed.", n=number) if body["confirmed"]
            else view._("%(n)s: corrected to %(d)s.", n=number, d=view.unit(department)))
    return Redirect("/dispatch/review", flash=said)
