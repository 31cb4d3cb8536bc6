"""未诉先办 in the workbench: the button on each finding for supervisors alone, the door that refuses
everyone else, the finding taken from insight (never from the form), once per finding."""
import datetime as dt
from types import SimpleNamespace

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from services.console import web as console_web
from services.console.handlers import proactive, supervisor
from services.console.service import ConsoleService
from services.console.view import Redirect, Refused
from shared.platform.identity import Person
from tests.unit.services.console.test_floor_pages import FakeView, render
from tests.unit.services.console.test_floor_pages import web as web  # noqa: F401  (the fixture)

SPIKE = {"key": "spike:water:李沧区:2026-11-20", "category": "water", "district": "李沧区", "since": "2026-11-20",
         "until": "2026-11-22", "observed": 53, "expected": 6.4, "ratio": 8.3, "daily": [1, 0, 20, 17, 16],
         "numbers": ["QD-20261120-00001", "QD-20261121-00002"], "p_value": 1e-9, "q_value": 1e-7}
TERM = {"key": "emerging:飞线充电:2026-W48", "term": "飞线充电", "related": ["电动自行车"], "recent": 63,
        "previous": 5, "category": "safety-hazard", "district": "市北区", "numbers": ["QD-20261125-00003"],
        "examples": []}
REPORT = {"from": "2026-11-09", "to": "2026-11-22", "days": [f"2026-11-{d}" for d in range(18, 23)],
          "total": 900, "cells": [], "by_request_type": [], "spikes": [SPIKE],
          "emerging": {"recent_from": "2026-11-16", "terms": [TERM]}}


class Form(dict):
    def get(self, key, default=None):
        return super().get(key, default)


def view_of(web, roles, answers, form=None, args=None):  # noqa: F811
    view = FakeView(web, "s.wang", roles, answers, args)
    view.form = Form(form or {})
    return view


def test_a_supervisor_makes_the_case_from_insights_own_finding_and_is_taken_to_it(web):  # noqa: F811
    made = []

    def submit(finding):
        made.append(finding)
        return {"number": "QD-20261123-00001", "received_as": "QD-20261123-00001",
                "outcome": "created" if len(made) == 1 else "existing"}
    answers = {"hotspots": REPORT, "submit_proactive": submit}
    view = view_of(web, ["supervisor"], answers, form={"key": SPIKE["key"], "to": "2026-11-22",
                                                      "numbers": "QD-FORGED", "district": "市南区"})
    first = proactive.make_case(None, view)
    assert isinstance(first, Redirect) and first.location == "/tickets/QD-20261123-00001"
    assert "已生成主动治理工单 QD-20261123-00001" in first.flash
    assert ("insight", "hotspots", ({"to": "2026-11-22"},)) in view.asked
    [finding] = made
    assert finding["kind"] == "spike" and finding["numbers"] == SPIKE["numbers"]  # insight's, not the form's
    assert (finding["district"], finding["observed"]) == ("李沧区", 53)
    assert finding["chart"] == "/supervisor/finding?key=spike%3Awater%3A%E6%9D%8E%E6%B2%A7%E5%8C%BA%3A2026-11-20&to=2026-11-22"
    again = proactive.make_case(None, view)
    assert again.location == first.location and "将按常规派单" not in again.flash
    assert "这项发现已生成主动治理工单：QD-20261123-00001" in again.flash

    view = view_of(web, ["supervisor"], answers, form={"key": TERM["key"], "to": "2026-11-22"})
    proactive.make_case(None, view)
    assert made[-1]["kind"] == "emerging" and made[-1]["term"] == "飞线充电"
    assert (made[-1]["recent_from"], made[-1]["to"]) == ("2026-11-16", "2026-11-22")


def test_a_finding_the_report_no_longer_shows_makes_no_case(web):  # noqa: F811
    view = view_of(web, ["supervisor"], {"hotspots": REPORT, "submit_proactive": lambda f: pytest.fail("made")},
                   form={"key": "spike:water:李沧区:2026-10-01"})
    with pytest.raises(Refused) as info:
        proactive.make_case(None, view)
    assert info.value.status == 404


def full_page(web, page, view):  # noqa: F811
    """A page in its frame (base.html), as the view renders it."""
    view.request = SimpleNamespace(path="/supervisor", full_path="/supervisor?")
    return render(web, page, person=view.person, unit=lambda code, name=None: name or code,
                  category=view.category, view=view, languages={"zh_CN": "中文"}, lang="zh_CN", flash=None)


def overview(web, roles):  # noqa: F811
    answers = {"overview": None, "scorecard": None, "supervision_summary": [], "hotspots": REPORT,
               "staffing": None, "list_departments": []}
    view = view_of(web, roles, answers)
    view.unit = lambda code, name=None: name or code
    view.category = lambda code: {"water": "供水"}.get(code, code)
    page = supervisor.supervisor(SimpleNamespace(web=SimpleNamespace(zone=dt.UTC)), view)
    return full_page(web, page, view)


def test_each_finding_has_the_button_for_a_supervisor_and_only_for_a_supervisor(web):  # noqa: F811
    html = overview(web, ["supervisor"])
    assert html.count("转为主动治理工单") == 2  # the spike and the emerging problem
    assert 'action="/supervisor/proactive"' in html and f'value="{SPIKE["key"]}"' in html
    assert "/supervisor/finding?key=" in html  # the chart of each finding
    assert "转为主动治理工单" not in overview(web, ["admin"])  # an administrator sees the page, not the button


def test_the_finding_page_draws_its_days(web):  # noqa: F811
    view = view_of(web, ["dispatcher"], {"hotspots": REPORT}, args={"key": SPIKE["key"], "to": "2026-11-22"})
    view.category = lambda code: code
    page = proactive.finding_chart(None, view)
    html = full_page(web, page, view)
    assert "<svg" in html and "QD-20261121-00002" in html and "诉求激增" in html


class DoorView:
    """What ``web.serve`` needs of a view, for a person signed in with ``roles``."""

    def __init__(self, web, roles):  # noqa: F811
        self.person = Person(user_id="x", name="x", roles=tuple(roles))
        self.user = {"login": "x", "totp_secret": "enrolled"}
        self.env, self.lang, self.htmx = web.envs["zh_CN"], "zh_CN", False
        self.translations = web.translations["zh_CN"]
        self.address = "127.0.0.1"

    def _(self, message, **values):
        text = self.translations.gettext(message)
        return text % values if values else text

    def load_session(self):
        pass

    def unit(self, code, name=None):
        return name or code

    def csrf_ok(self):
        return True

    def render(self, template, status=200, **context):
        return Response(context.get("detail", ""), status=status)


@pytest.mark.parametrize("roles, status", [(("admin",), 403), (("operator",), 403), (("dispatcher",), 403),
                                           (("department",), 403), (("supervisor",), 200)])
def test_the_buttons_door_lets_a_supervisor_alone_through(web, monkeypatch, roles, status):  # noqa: F811
    reached = []
    monkeypatch.setattr(console_web.bootstrap, "deps", lambda service: SimpleNamespace(
        caller=SimpleNamespace(act_as=lambda person: None)))
    monkeypatch.setattr(console_web, "View", lambda deps, request: DoorView(web, roles))
    monkeypatch.setattr(proactive, "make_case", lambda deps, view: reached.append(view) or Redirect("/tickets/x"))
    monkeypatch.setattr(DoorView, "answer", lambda self, result: Response("", status=200), raising=False)
    request = Request(EnvironBuilder(method="POST", path="/supervisor/proactive",
                                     data={"key": SPIKE["key"]}).get_environ())
    response = ConsoleService.proactive_case(SimpleNamespace(), request)
    assert response.status_code == status
    assert bool(reached) == (status == 200)
