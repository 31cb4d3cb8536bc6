"""The administrator's page of proposed catalogue edits, drawn from routing's answers without a
service: what would change in the units' names, the tickets behind it as links, the history's
figures before and after, and accept or reject with why."""
import pytest

from services.console.handlers import admin
from services.console.view import Redirect, Refused
from tests.unit.services.console.test_floor_pages import FakeView, render, web  # noqa: F401 (fixture)

MOVE = {"key": "move_category:street-vendor:URBAN_MGMT>MARKET", "kind": "move_category", "state": "pending",
        "category": "street-vendor", "source": "URBAN_MGMT", "target": "MARKET", "keyword": None,
        "tickets": ["QD-20261127-00001", "QD-20261127-00002"], "cases": 2, "considered": 3,
        "how": {"redispatch": 2},
        "effect": {"before": {"tickets": 10, "dispatched": 10, "right": 4, "precision": 0.4, "automatic": 1.0},
                   "after": {"tickets": 10, "dispatched": 10, "right": 10, "precision": 1.0, "automatic": 1.0}}}
ANSWERS = {"catalogue_proposals": {"items": [MOVE], "total": 1},
           "list_departments": [{"code": "URBAN_MGMT", "name": "市城市管理局"}, {"code": "MARKET", "name": "市市场监管局"}],
           "get_catalogue": [{"code": "street-vendor", "name": "占道经营 Street vending"}]}


def test_a_proposal_shows_its_change_its_tickets_and_the_figures_before_and_after(web):  # noqa: F811
    view = FakeView(web, "admin", ["admin"], ANSWERS, {"state": "pending"})
    view.request.path, view.page_number = "/admin/proposals", lambda: 1
    page = admin.admin_proposals(None, view)
    html = render(web, page, view=view, person=view.person, lang="zh_CN", languages={}, unit=str, category=str,
                  flash=None)
    assert ("routing", "catalogue_proposals", ("pending", admin.PAGE, 0)) in view.asked
    assert "将“占道经营 Street vending”类由市城市管理局改派给市市场监管局" in html
    assert 'href="/tickets/QD-20261127-00001"' in html and 'href="/tickets/QD-20261127-00002"' in html
    assert "准确率 40.0%" in html and "准确率 100.0%" in html
    assert 'name="decision" value="accept"' in html and 'name="decision" value="reject"' in html


def test_a_decision_goes_to_routing_with_why_and_needs_both(web):  # noqa: F811
    decided = []
    view = FakeView(web, "admin", ["admin"], {"decide_catalogue_proposal": lambda *a: decided.append(a) or MOVE})
    view.form = {"key": MOVE["key"], "decision": "accept", "reason": "集贸市场归市场监管"}
    assert isinstance(admin.admin_decide_proposal(None, view), Redirect)
    assert decided == [(MOVE["key"], "accept", "集贸市场归市场监管")]
    view.form = {"key": MOVE["key"], "decision": "accept", "reason": ""}
    with pytest.raises(Refused):
        admin.admin_decide_proposal(None, view)
