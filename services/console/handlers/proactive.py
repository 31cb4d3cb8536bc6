"""未诉先办 (act before the complaints): a supervisor turns what insight found into a case.

Handlers of the pages in ``service.py``. A spike or an emerging problem on the
supervisor's overview has a button; the page asks insight for the same report again
(the finding is taken from insight, never from the form), and intake's
``submit_proactive`` opens a proactive case (主动治理) from it, with its tickets and the
link to its chart as evidence: routed by its category and district like any ticket.
One finding makes one case: the second click goes to the case the first one opened.
The chart page draws a finding's days, for whoever follows the case on the hotline.
"""
from urllib.parse import urlencode

from services.console import charts
from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show

MAKERS = ("supervisor",)  # who may open a proactive case: the entrypoint's roles, and intake's door
SPIKE_FIELDS = ("key", "category", "district", "since", "until", "observed", "expected", "ratio", "numbers")
TERM_FIELDS = ("key", "term", "category", "district", "recent", "previous", "numbers")


def report_query(day):
    return {"to": day} if day else {}


def find(report, key):
    """The finding of insight's hot-spot ``report`` under ``key`` -- ``(kind, finding)`` -- or ``None``."""
    for spike in (report or {}).get("spikes") or ():
        if spike.get("key") == key:
            return "spike", spike
    for term in ((report or {}).get("emerging") or {}).get("terms") or ():
        if term.get("key") == key:
            return "emerging", term
    return None


def chart_path(key, day):
    return "/supervisor/finding?" + urlencode({"key": key, "to": day})


def as_finding(report, kind, found):
    """What intake takes: the finding's own fields, its kind, its window and its chart."""
    fields = SPIKE_FIELDS if kind == "spike" else TERM_FIELDS
    finding = {name: found.get(name) for name in fields}
    finding.update(kind=kind, chart=chart_path(found["key"], report["to"]))
    if kind == "emerging":
        finding.update(recent_from=(report.get("emerging") or {}).get("recent_from"), to=report["to"])
    return finding


def _finding(view: View, key, day):
    if not key:
        raise Refused(400, N_("Please check the form"), view._("Choose a finding of the report."))
    report = view.call("insight", "hotspots", report_query(day))
    found = find(report, key)
    if found is None:
        raise Refused(404, N_("Not found"), view._(
            "The report no longer shows this finding: reload the overview and choose again."))
    return report, found


def make_case(deps: Deps, view: View):
    """Open the proactive case of a finding (once: again, the case it opened)."""
    key, day = (view.form.get(name, "").strip() for name in ("key", "to"))
    report, (kind, found) = _finding(view, key, day)
    made = view.call("intake", "submit_proactive", as_finding(report, kind, found))
    number = made.get("received_as") or made["number"]
    if made.get("outcome") == "existing":
        said = view._("This finding was made a proactive case already: %(n)s.", n=number)
    else:
        said = view._("Proactive case %(n)s opened; it is dispatched like any ticket.", n=number)
    return Redirect(f"/tickets/{number}", flash=said)


def finding_chart(deps: Deps, view: View):
    """A finding's days: a spike's requests per day in the report's window, or an emerging
    problem's requests in the recent days against the weeks before."""
    key, day = view.arg("key"), view.arg("to")
    report, (kind, found) = _finding(view, key, day)
    if kind == "spike":
        chart = charts.columns([d[5:] for d in report["days"]], [(view._("Requests"), "bar", found["daily"])],
                               title=view._("Requests per day"))
    else:
        chart = charts.columns([view._("Previous four weeks"), view._("Last seven days")],
                               [(view._("Requests"), "bar", [found["previous"], found["recent"]])],
                               title=view._("Requests using the term"))
    return show("finding.html", kind=kind, found=found, report=report, chart=chart)
