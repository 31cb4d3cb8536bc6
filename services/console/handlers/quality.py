"""Quality checking of the operators' work (质检): the queue, the scoring form, the month's results.

Handlers of the pages in ``service.py``. Everything is intake's (``quality_queue``,
``quality_check``, ``score_quality_check``, ``quality_results``), called as the
signed-in person: intake decides who may score (the quality role) and who reads
whose results (an operator their own).
"""
from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show

PAGE = 20
REVIEWERS = ("quality", "supervisor")
# The default checklist's titles, for the catalogues (a centre's own items show as written).
TITLES = (N_("Request recorded faithfully"), N_("Type and category right"), N_("Address complete"),
          N_("Courteous service language"), N_("Knowledge-base answer correct"))
FLAG_WORDS = {
    "no_category": N_("no category"),
    "no_request_type": N_("no request type"),
    "text_too_short": N_("text too short"),
    "no_address": N_("no address where the category needs a place"),
    "answer_without_article": N_("answered with no knowledge-base article"),
}
REASON_WORDS = {"rate": N_("sampled"), "minimum": N_("monthly minimum"), "complaint": N_("complaint"),
                "chosen": N_("chosen")}


def web_link(url):
    """``url`` if it is a web address (a recording on the call centre's server), else None:
    the page links it and plays it, so a ``javascript:`` or ``data:`` link is never shown."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")) and not any(
            c in url for c in "\"'<> \n\r\t"):
        return url
    return None


def this_month(deps: Deps, view: View):
    return f"{view.now.astimezone(deps.web.zone):%Y-%m}"


def quality_queue(deps: Deps, view: View):
    status = view.arg("status") if view.arg("status") in ("waiting", "scored") else "waiting"
    month = view.arg("month")
    page_no = view.page_number()
    found = view.call("intake", "quality_queue", {"status": status, "month": month or None},
                      (page_no - 1) * PAGE, PAGE)
    return show("quality.html", found=found, tab=status, month=month, flag_words=FLAG_WORDS,
                reason_words=REASON_WORDS, page=page_no, size=PAGE,
                base=f"/quality?status={status}&month={month}&")


def quality_form(deps: Deps, view: View, number):
    found = view.call("intake", "quality_check", number)
    if found is None:
        raise Refused(404, N_("Not found"), view._("%(n)s is not in the quality queue.", n=number))
    found["recording_url"] = web_link(found.get("recording_url"))
    return show("quality_check.html", found=found, flag_words=FLAG_WORDS, reason_words=REASON_WORDS)


def quality_score(deps: Deps, view: View, number):
    found = view.call("intake", "quality_check", number)
    if found is None:
        raise Refused(404, N_("Not found"), view._("%(n)s is not in the quality queue.", n=number))
    scores = {}
    for item in found["checklist"]:
        points = (view.form.get(f"points_{item['code']}") or "").strip()
        if not points.isdigit():
            raise Refused(400, N_("Please check the form"), view._("Give points for every item of the checklist."))
        scores[item["code"]] = {"points": int(points),
                                "comment": (view.form.get(f"comment_{item['code']}") or "").strip() or None}
    comment = (view.form.get("comment") or "").strip() or None
    check = view.call("intake", "score_quality_check", number, scores, comment)
    month = check.get("month") or this_month(deps, view)
    return Redirect(f"/quality/results?month={month}",
                    flash=view._("%(n)s scored: %(t)s of %(m)s points.", n=number,
                                 t=check["score"]["total"], m=check["score"]["max"]))


def quality_results(deps: Deps, view: View):
    month = view.arg("month") or this_month(deps, view)
    found = view.call("intake", "quality_results", month)
    titles = {item["code"]: item["title"] for item in found["checklist"]}
    return show("quality_results.html", found=found, month=month, titles=titles)
