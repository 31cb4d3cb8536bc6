"""The knowledge base (知识库) in the workbench: units maintain their entries, the centre reviews.

Handlers of the pages in ``service.py``. Everything is intake's
(``knowledge_entries``, ``knowledge_entry``, ``save_knowledge_draft``,
``submit_knowledge_entry``, ``decide_knowledge_entry``, ``knowledge_feedback``),
called as the signed-in person: intake decides that a unit's staff touch only
their unit's entries and that reviewers decide.

* ``/knowledge``: a unit's staff see their unit's entries (and which are due for
  review: expired, past their review date, or flagged by operators); the centre
  sees the queue of submitted versions, or all entries;
* ``/knowledge/<id>`` (``new`` for a new one): the editor, with a preview of the
  text as operators will read it (plain text, its line breaks kept, escaped by the
  template engine), the versions, operators' feedback, and for a reviewer the
  decision on a submitted version;
* ``/operator/knowledge/<id>/feedback``: 有用 / 有误 / 已过时 from the suggestions.
"""
import datetime as dt

from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show

PAGE = 20
MAINTAINERS = ("department", "reviewer", "supervisor", "admin")
APPROVERS = ("reviewer", "supervisor")
TABS = ("submitted", "due", "all")
FIELDS = ("question", "answer", "keywords", "expires_on", "review_on", "owner")
STATE_WORDS = {"draft": N_("Draft"), "submitted": N_("Waiting for review"), "published": N_("Published"),
               "rejected": N_("Sent back"), "superseded": N_("Superseded")}
DUE_WORDS = {"expired": N_("Expired: no longer offered"), "review_date": N_("Review date reached"),
             "feedback": N_("Operators say wrong or outdated")}
AUTHOR_WORDS = {"proposal": N_("drafted from the consultation"), "import": N_("imported from a file")}
FEEDBACK_WORDS = {"helped": N_("Helpful"), "wrong": N_("Wrong"), "outdated": N_("Outdated")}


def _tab(view: View):
    wanted = view.arg("tab")
    if view.person.is_department_only:
        return wanted if wanted in ("due", "all") else "all"
    return wanted if wanted in TABS else ("submitted" if view.can(*APPROVERS) else "all")


def knowledge_list(deps: Deps, view: View):
    tab = _tab(view)
    criteria = {"state": "submitted"} if tab == "submitted" else {"due": True} if tab == "due" else {}
    page_no = view.page_number()
    found = view.call("intake", "knowledge_entries", criteria, (page_no - 1) * PAGE, PAGE)
    return show("knowledge.html", found=found, tab=tab, page=page_no, size=PAGE, base=f"/knowledge?tab={tab}&",
                unit_only=view.person.is_department_only, state_words=STATE_WORDS, due_words=DUE_WORDS)


def _day(moment, zone):
    """A stored moment (the start of a day in the city, in UTC) as the city's day: ``2027-06-30``."""
    return dt.datetime.fromisoformat(moment).astimezone(zone).date().isoformat() if moment else ""


def _form_of(view: View, entry):
    """The editor's fields from the entry's newest version (its dates the city's days, as typed)."""
    if not entry:
        return {}
    newest = entry["versions"][0]
    return {"question": newest["question"], "answer": newest["answer"], "keywords": "; ".join(newest["keywords"]),
            "expires_on": _day(newest.get("expires_at"), view.web.zone),
            "review_on": _day(newest.get("review_at"), view.web.zone)}


def _editor(view: View, entry, form, status=200, errors=None, preview=False):
    return show("knowledge_entry.html", status=status, entry=entry, form=form, errors=errors or {},
                preview=preview, may_decide=view.can(*APPROVERS) and entry and entry["state"] == "submitted",
                editable=not entry or entry["state"] != "submitted", state_words=STATE_WORDS,
                due_words=DUE_WORDS, feedback_words=FEEDBACK_WORDS, author_words=AUTHOR_WORDS, unit_only=view.person.is_department_only)


def _entry(view: View, entry_id):
    entry = view.call("intake", "knowledge_entry", entry_id)
    if entry is None:
        raise Refused(404, N_("Not found"), view._("No knowledge entry %(id)s.", id=entry_id))
    return entry


def knowledge_form(deps: Deps, view: View, entry_id):
    entry = None if entry_id == "new" else _entry(view, entry_id)
    return _editor(view, entry, _form_of(view, entry))


def knowledge_save(deps: Deps, view: View, entry_id):
    """Save the draft (``preview``: show it as operators will read it, saving nothing;
    ``submit``: save and send it for review)."""
    entry = None if entry_id == "new" else _entry(view, entry_id)
    form = {name: (view.form.get(name) or "").strip() for name in FIELDS}
    if view.form.get("preview"):
        return _editor(view, entry, form, preview=True)
    draft = {k: v or None for k, v in form.items()}
    draft["keywords"] = form["keywords"]
    try:
        saved = view.call("intake", "save_knowledge_draft", None if entry is None else entry_id, draft)
        if view.form.get("submit"):
            saved = view.call("intake", "submit_knowledge_entry", saved["id"])
    except Refused as exc:
        if exc.status != 400:
            raise
        return _editor(view, entry, form, 400, exc.errors or {"_": [exc.detail]})
    said = view._("Submitted for review.") if view.form.get("submit") else view._("Draft saved.")
    return Redirect(f"/knowledge/{saved['id']}", flash=said)


def knowledge_decide(deps: Deps, view: View, entry_id):
    approve = view.form.get("decision") == "approve"
    try:
        view.call("intake", "decide_knowledge_entry", entry_id, approve,
                  (view.form.get("reason") or "").strip() or None)
    except Refused as exc:
        if exc.status != 400:
            raise
        return _editor(view, _entry(view, entry_id), {}, 400, exc.errors or {"_": [exc.detail]})
    return Redirect("/knowledge?tab=submitted",
                    flash=view._("%(id)s published.", id=entry_id) if approve
                    else view._("%(id)s sent back to its unit.", id=entry_id))


def knowledge_feedback(deps: Deps, view: View, entry_id):
    """An operator's 有用 / 有误 / 已过时 on an answer offered; a note in its place."""
    kind = view.form.get("kind") or ""
    if kind not in FEEDBACK_WORDS:
        raise Refused(400, N_("Please check the form"), view._("Say whether the answer helped."))
    view.call("intake", "knowledge_feedback", entry_id, kind, (view.form.get("comment") or "").strip()[:500] or None)
    said = view._("Thank you: the unit that maintains this answer will see it.")
    if not view.htmx:
        return Redirect("/operator", flash=said)
    return show("_knowledge_feedback.html", said=said)
