"""The citizen's rating page (一事一评): ``/r/<id>``, the link the citizen got by SMS.

No sign-in: the link is the key, good once until it expires (followup keeps it:
``rating_form``, ``submit_rating``). The page shows the case's number, category and
approved reply -- no name, phone or address -- and asks three questions in a plain
form that works without scripts. A used link says so (410), an expired one too
(410), one a callback agent got to first says the citizen was called (409), an
unknown one 404.
"""
from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Page, View

SOLVED = (("solved", N_("Solved")), ("partly", N_("Partly solved")), ("unsolved", N_("Not solved")))
SATISFACTION = (("satisfied", N_("Satisfied")), ("basically_satisfied", N_("Basically satisfied")),
                ("dissatisfied", N_("Dissatisfied")))
COMMENT_LIMIT = 500

ENDED = {  # a link's state -> (status, title, what it means)
    "used": (410, N_("This link has been used"), N_("Your rating was received already. Thank you.")),
    "expired": (410, N_("This link has expired"), N_("Call the hotline if you want to tell us how it went.")),
    "answered": (409, N_("We have called you back already"),
                 N_("A callback recorded how your request went, so this link is no longer needed. Thank you.")),
    "unknown": (404, N_("There is no such link"), N_("Check the link in the message you got.")),
}


def _ended(view: View, state):
    status, title, detail = ENDED.get(state) or ENDED["unknown"]
    return Page("rating.html", {"state": "ended", "title": view._(title), "detail": view._(detail)}, status,
                {"X-Robots-Tag": "noindex"})


def _form(view: View, link_id, found, given=None, errors=None, status=200):
    return Page("rating.html", {
        "state": "form", "found": found, "link_id": link_id, "given": given or {}, "errors": errors or {},
        "solved_choices": [(v, view._(label)) for v, label in SOLVED],
        "satisfaction_choices": [(v, view._(label)) for v, label in SATISFACTION]}, status,
        {"X-Robots-Tag": "noindex"})


def rating_form(deps: Deps, view: View, link_id):
    found = view.call("followup", "rating_form", link_id)
    if found.get("state") != "good":
        return _ended(view, found.get("state"))
    return _form(view, link_id, found)


def rating_submit(deps: Deps, view: View, link_id):
    given = {"solved": view.form.get("solved") or "", "satisfaction": view.form.get("satisfaction") or "",
             "comment": (view.form.get("comment") or "").strip()}
    errors = {}
    if given["solved"] not in dict(SOLVED):
        errors["solved"] = True
    if given["satisfaction"] not in dict(SATISFACTION):
        errors["satisfaction"] = True
    if len(given["comment"]) > COMMENT_LIMIT:
        errors["comment"] = True
    if errors:
        found = view.call("followup", "rating_form", link_id)
        if found.get("state") != "good":
            return _ended(view, found.get("state"))
        return _form(view, link_id, found, given, errors, 400)
    done = view.call("followup", "submit_rating", link_id, given["solved"], given["satisfaction"], given["comment"])
    if done.get("state") != "recorded":
        return _ended(view, done.get("state"))
    return Page("rating.html", {"state": "ended", "title": view._(N_("Thank you for your rating")),
                                "detail": view._(N_("Your answer has been recorded with ticket %(number)s."),
                                                 number=done["number"])},
                headers={"X-Robots-Tag": "noindex"})
