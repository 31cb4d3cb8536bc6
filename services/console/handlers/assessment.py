"""The monthly assessment (考核) and its report (通报) in the workbench.

Handlers of the pages in ``service.py``: the table per group (raw and adjusted
scores with their intervals, ranks, the month against the last), the case
numbers behind each figure, and the report's files. The figures are insight's
(``services/insight/domain/assessment.py``); this module only shows them.
"""
import base64
import re

from services.console.bootstrap import Deps
from services.console.i18n import N_
from services.console.view import Download, Refused, View, show

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
RATES = ("response", "solved", "satisfied", "on_time", "returned", "refused", "reopened", "held")
RATE_NAMES = {"response": N_("Response (响应率)"), "solved": N_("Solved (解决率)"),
              "satisfied": N_("Satisfied (满意率)"), "on_time": N_("On time (按时办结率)"),
              "returned": N_("Replies sent back (打回率)"), "refused": N_("Refused (回退率)"),
              "reopened": N_("Reopened (重办率)"), "held": N_("Closures that held (办结未反弹率)")}
GROUP_NAMES = {"city_bureaus": N_("City bureaus"), "districts": N_("Districts"),
               "utilities": N_("Utilities"), "other": N_("Other units")}
STAGES = {"closed": N_("closed on review"), "closed_unreasonable": N_("closed as unreasonable"),  # insight's
          "replied": N_("replied, in review"), "signed_for": N_("in hand"), "assigned": N_("to sign for")}
ANSWERS = ("application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/html")
FILES = {"pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _month(view: View):
    month = view.arg("month") or None
    if month is not None and not MONTH.fullmatch(month):
        raise Refused(400, N_("Please check the form"), view._("A month is YYYY-MM, e.g. 2026-11."))
    return month


def assessment(deps: Deps, view: View):
    """The month's table per group, and the months the report was mailed."""
    report = view.call("insight", "assessment", {"month": _month(view)})
    mailed = view.optional("insight", "assessment_reports") or []
    return show("assessment.html", report=report, rates=RATES, rate_names=RATE_NAMES,
                group_names=GROUP_NAMES, mailed=mailed, stages=STAGES)


def assessment_cases(deps: Deps, view: View):
    """The case numbers behind one unit's figures (one rate, or all)."""
    unit = view.arg("unit") or ""
    rate = view.arg("rate") or None
    if not unit or (rate is not None and rate not in RATES):
        raise Refused(400, N_("Please check the form"), view._("Choose a unit and one of the rates."))
    found = view.call("insight", "assessment_cases", {"month": _month(view), "unit": unit, "rate": rate})
    return show("assessment_cases.html", found=found, code=unit, rate=rate, rate_names=RATE_NAMES)


def assessment_file(deps: Deps, view: View, month, fmt):
    if fmt not in FILES or not MONTH.fullmatch(month):
        raise Refused(404, N_("Not found"))
    answer = view.call("insight", "assessment_files", {"month": month, "formats": [fmt]})
    found = answer["files"][fmt]
    return Download(base64.b64decode(found["base64"]), found["filename"], FILES[fmt])
