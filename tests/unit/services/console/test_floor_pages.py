"""The phone floor's screens, drawn from callcentre's answers without a service: the screen pop
(the caller's open tickets, the form opened by the call's id only), the missed callers' numbers
masked but for the agent who claimed one, the floor's figures, charts and exports."""
import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest

from services.console import charts
from services.console.adapters.workbench import Web
from services.console.handlers import floor
from services.console.view import Download, Redirect
from shared.platform.identity import Person

PHONE = "13905321234"
NOW = "2026-12-05T01:00:00+00:00"
CALL = {"call_id": "pbx-77", "caller_phone": PHONE, "to": "12345", "queue": "main", "users": ["w.op"],
        "agent": None, "outcome": "ringing", "ringing_at": NOW, "recording_url": None}
TICKETS = {"items": [{"number": "QD-20261201-00001", "title": "路灯不亮", "status": "assigned",
                      "received_at": NOW},
                     {"number": "QD-20261101-00002", "title": "噪音", "status": "closed", "received_at": NOW}],
           "total": 2}


@pytest.fixture(scope="module")
def web():
    made = Web()
    made.container = SimpleNamespace(config={"CONSOLE_HTTP": "127.0.0.1:8080"})
    made.setup()
    return made


class FakeView:
    """What a handler reads of the request and asks of the services, answered from ``answers``."""

    def __init__(self, web, login, roles, answers, args=None):
        self.person = Person(user_id=login, name=login, roles=tuple(roles), department=None, via="console")
        self.answers, self.args, self.asked = answers, args or {}, []
        self.env, self.lang, self.htmx = web.envs["zh_CN"], "zh_CN", True
        self.translations = web.translations["zh_CN"]
        self.now = dt.datetime(2026, 12, 5, 4, tzinfo=dt.UTC)
        self.request = SimpleNamespace(path="/missed", full_path="/missed?")

    def _(self, message, **values):
        text = self.translations.gettext(message)
        return text % values if values else text

    def arg(self, name, default=""):
        return self.args.get(name, default)

    def can(self, *roles):
        return self.person.has(*roles)

    def call(self, service, method, *args):
        self.asked.append((service, method, args))
        answer = self.answers[method]
        return answer(*args) if callable(answer) else answer

    optional = call

    def gather(self, *calls, tolerant=False):
        return [self.call(service, method, *args) for service, method, args in calls]


def render(web, page, **extra):
    return web.envs["zh_CN"].get_template(page.template).render(csrf="t", **page.context, **extra)


def test_the_pop_shows_the_ringing_callers_open_tickets_and_opens_the_form_by_the_call_id(web):
    view = FakeView(web, "w.op", ["operator"], {
        "ringing_for": [CALL], "floor_agents": [{"agent": "w.op", "state": "ready", "since": NOW}],
        "caller_tickets": TICKETS})
    page = floor.ringing(None, view)
    html = render(web, page)
    assert ("intake", "caller_tickets", (PHONE, 8)) in view.asked  # looked up by the call's number
    assert PHONE in html and "来电振铃" in html and "就绪" in html
    assert [t["number"] for t in page.context["open"]] == ["QD-20261201-00001"]  # the closed one is history
    assert 'href="/operator?call_id=pbx-77"' in html
    assert html.count(PHONE) == 1  # shown once, never in a link


def test_an_answered_call_stays_popped_for_who_answered_it_and_goes_when_it_ends(web):
    talking = dict(CALL, outcome="talking", agent="w.op")
    answers = {"ringing_for": [], "floor_agents": [], "caller_tickets": TICKETS, "get_call": talking}
    kept = floor.ringing(None, FakeView(web, "w.op", ["operator"], answers, {"shown": "pbx-77"}))
    assert kept.context["call"] == talking and "通话中" in render(web, kept)
    ended = floor.ringing(None, FakeView(web, "w.op", ["operator"], dict(answers, get_call=dict(talking, outcome="answered")),
                                         {"shown": "pbx-77"}))
    assert ended.context["call"] is None
    on_its_form = floor.ringing(None, FakeView(web, "w.op", ["operator"], answers, {"call_id": "pbx-77"}))
    assert on_its_form.context["call"] == talking and "pop-open" not in render(web, on_its_form)
    someone_else = floor.ringing(None, FakeView(web, "x.op", ["operator"], answers, {"shown": "pbx-77"}))
    assert someone_else.context["call"] is None


def entry(claimed_by=None, standing="open"):
    return {"key": "2026-12-05-abc", "caller_phone": PHONE, "queue": "", "calls": 1, "call_ids": ["pbx-9"],
            "missed_at": NOW, "due_at": NOW, "claimed_by": claimed_by, "standing": standing, "attempts": []}


@pytest.mark.parametrize("login, roles, claimed_by, full", [
    ("cb.one", ["callback"], "cb.one", True),       # claimed it: calls the number
    ("cb.one", ["callback"], None, False),          # not claimed yet
    ("cb.two", ["callback"], "cb.one", False),      # another agent's
    ("sup", ["supervisor"], "sup", False),          # a supervisor never calls back
])
def test_a_missed_callers_number_shows_in_full_only_to_the_agent_who_claimed_it(web, login, roles, claimed_by, full):
    view = FakeView(web, login, roles, {"missed_callers": [entry(claimed_by), entry(standing="in_time")]})
    page = floor.missed(None, view)
    html = render(web, page, view=view, person=view.person, lang="zh_CN", languages={}, unit=str, category=str,
                  flash=None)
    assert (PHONE in html) is full
    assert ("139****1234" in html) is not full
    assert page.context["counts"]["waiting"] == 1 and page.context["counts"]["in_time"] == 1


def test_a_claim_someone_else_made_first_is_said_not_failed(web):
    from services.console.view import Refused

    def taken(key):
        raise Refused(409, "Not done", "someone else is calling back")
    answer = floor.missed_claim(None, FakeView(web, "cb.two", ["callback"], {"claim_missed_caller": taken}), "k")
    assert isinstance(answer, Redirect) and "其他坐席" in answer.flash


REPORT = {"groups": [{"key": "2026-12-05 09:00", "offered": 40, "answered": 30, "answered_in_target": 12,
                      "abandoned": 10, "service_level": 0.3, "answer_rate": 0.75, "abandon_rate": 0.25,
                      "abandon_wait_mean": 41.0, "aht_seconds": 230.0, "agents": 2, "needed_for_actual": 5,
                      "planned_agents": 4, "planned_calls": 35},
                     {"key": "2026-12-05 14:00", "offered": 10, "answered": 10, "answered_in_target": 10,
                      "abandoned": 0, "service_level": 1.0, "answer_rate": 1.0, "abandon_rate": 0.0,
                      "abandon_wait_mean": None, "aht_seconds": 200.0, "agents": 3, "needed_for_actual": 2}],
          "total": {"offered": 50, "answered": 40, "answered_in_target": 22, "abandoned": 10, "service_level": 0.44,
                    "answer_rate": 0.8, "abandon_rate": 0.2, "abandon_wait_mean": 41.0, "aht_seconds": 222.5,
                    "agents": 4},
          "callbacks": {"missed_callers": 3, "in_time": 1, "late": 0, "overdue": 1, "open": 1}}


def test_the_floor_names_the_hours_short_of_operators_and_below_the_target(web):
    view = FakeView(web, "sup", ["supervisor"], {"floor_figures": REPORT, "floor_agents": []})
    page = floor.floor(SimpleNamespace(web=web), view)
    assert [h["hour"] for h in page.context["short"]] == [9]
    assert [h["hour"] for h in page.context["below"]] == [9]
    hours = page.context["hours"]
    assert len(hours) == 24 and hours[9]["offered"] == 40 and hours[3]["offered"] == 0
    html = render(web, page, view=view, person=view.person, lang="zh_CN", languages={}, unit=str, category=str,
                  flash=None)
    assert "9 时的 15 秒接通率低于 80%" in html and "（15 秒内接通 80%）" in html
    plan = str(page.context["charts"]["plan"])
    assert "计划话务员" in plan and "09 · 实际来电所需话务员: 5" in plan


def test_the_columns_chart_draws_a_target_line_and_every_hour():
    svg = str(charts.columns([f"{h:02d}" for h in range(24)], [("a", "bar", [h for h in range(24)])],
                             top=100, reference=(80, "target 80%"), unit="%"))
    assert svg.count("<rect") == 1 + 23  # the legend's, and one column per hour but the empty first
    assert "stroke-dasharray" in svg and "target 80%" in svg and "23 · a: 23%" in svg
    assert str(charts.columns([], [])) == ""


def test_the_floor_exports_as_csv_with_a_total_line_in_the_readers_language(web):
    view = FakeView(web, "sup", ["supervisor"], {"floor_figures": REPORT}, {"day": "2026-12-05", "by": "hour"})
    got = floor.export_floor(SimpleNamespace(web=web), view, "csv")
    assert isinstance(got, Download) and got.filename == "floor-hour-2026-12-05.csv"
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["小时", "呼入", "接通"] and "计划话务员" in rows[0]
    assert rows[1][0] == "2026-12-05 09:00" and rows[-1][0] == "合计" and rows[-1][1] == "50"
    assert floor.export_floor(SimpleNamespace(web=web), view, "xlsx").filename.endswith(".xlsx")
