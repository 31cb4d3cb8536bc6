"""Rebounds (防反弹) on the workbench: a ticket links the closed ticket it came back to, the closed
ticket its rebounds, its ledger the ticket that came back; the scorecard shows the closures that held."""
from services.console import timeline
from services.console.handlers import supervisor
from tests.unit.services.console.test_floor_pages import NOW, FakeView, web  # noqa: F401 (the fixture)

TICKET = {"number": "QD-20261205-00009", "status": "assigned", "title": "路灯又不亮了", "urgency": "normal",
          "channel": "phone", "received_at": NOW, "rebound_of": "QD-20261101-00002", "rebounds": [],
          "history": [{"at": NOW, "status": "rebound", "note": "rebound of QD-20261101-00002",
                       "reason_codes": [{"code": "rebound", "params": {"number": "QD-20261101-00002"}}]}]}
LINE = {"department": "WATER", "scope": "unit", "dispatched": 3, "response_rate": 1.0, "on_time_reply_rate": 1.0,
        "resolution_rate": 1.0, "satisfaction_rate": 1.0, "avg_handling_working_days": 1.0, "refusals": 0,
        "rejected_replies": 0, "closed": 4, "closures_checked": 4, "rebounded": 1, "held_rate": 0.75,
        "appeals_accepted": 0, "response_rate_after_appeal": 1.0, "on_time_reply_rate_after_appeal": 1.0,
        "resolution_rate_after_appeal": 1.0, "satisfaction_rate_after_appeal": 1.0, "rejected_replies_after_appeal": 0}


def page(web, template, view, **context):  # noqa: F811
    return web.envs["zh_CN"].get_template(template).render(
        csrf="t", view=view, person=view.person, lang="zh_CN", languages={}, unit=str, category=str, flash=None,
        **context)


def test_a_rebound_links_the_ticket_it_came_back_to_and_says_so_in_chinese(web):  # noqa: F811
    view = FakeView(web, "w.op", ["operator"], {})
    html = page(web, "ticket.html", view, ticket=TICKET, case=None, departments=None,
                events=timeline.merged(TICKET, None))
    assert "反弹自" in html and 'href="/tickets/QD-20261101-00002"' in html
    assert "QD-20261101-00002 办结后反弹" in html  # the history entry, in the reader's language
    earlier = dict(TICKET, number="QD-20261101-00002", status="closed", rebound_of=None,
                   rebounds=["QD-20261205-00009"], history=[])
    ledger = {"ledger": [{"at": NOW, "action": "rebounded", "actor": "intake", "department_code": "WATER",
                          "rebound": "QD-20261205-00009", "reason": ""}]}
    html = page(web, "ticket.html", view, ticket=earlier, case=None, departments=None,
                events=timeline.merged(earlier, ledger))
    assert "反弹工单" in html and html.count('href="/tickets/QD-20261205-00009"') == 2  # the facts and the ledger


def test_the_scorecard_shows_the_closures_that_held(web):  # noqa: F811
    view = FakeView(web, "sup", ["supervisor"], {})
    html = page(web, "supervisor.html", view, card={"departments": [LINE], "city": dict(LINE, department="CITY",
                                                                                        scope="city")},
                lines=[LINE], date_from="2026-11-01", date_to="2026-11-30", overview=None, supervision=[],
                hotspots=None, staffing=None, plan=None, by_department="", late="", hot="")
    assert "办结未反弹率" in html and "75.0%" in html
    assert ("held_rate", "Closures that held") in supervisor.SCORE_COLUMNS
