"""The dispatcher's review list (待确认) drawn from routing's answers without a service: each row
with its reason, confirm and correct for a dispatcher alone, and the label sent to routing."""
import pytest

from services.console.handlers import dispatch
from services.console.view import Redirect, Refused
from tests.unit.services.console.test_floor_pages import FakeView, render, web  # noqa: F401 (fixture)

ITEMS = [{"number": "QD-20261205-00001", "text": "小区门口占道经营 [phone]", "department_code": "URBAN_MGMT",
          "department_name": "市城市管理局", "suggested": "MARKET", "suggested_name": "市市场监管局",
          "confidence": 0.46, "margin": 0.05, "why": "low_margin", "at": None},
         {"number": "QD-20261204-00009", "text": "自来水停水了", "department_code": "URBAN_MGMT",
          "department_name": "市城市管理局", "suggested": "WATER", "suggested_name": "市水务管理局",
          "confidence": 0.81, "margin": None, "why": "contradicted", "at": None}]
ANSWERS = {"review_list": {"items": ITEMS, "model_version": 3}, "queue_size": 0,
           "list_departments": [{"code": "URBAN_MGMT", "name": "市城市管理局"}, {"code": "MARKET", "name": "市市场监管局"},
                                {"code": "WATER", "name": "市水务管理局"}]}


def page_for(web, roles):  # noqa: F811
    view = FakeView(web, "w.disp", roles, ANSWERS)
    view.request.path = "/dispatch/review"
    page = dispatch.dispatch_review(None, view)
    return view, render(web, page, view=view, person=view.person, lang="zh_CN", languages={},
                        unit=lambda code, name=None: name or code, category=str, flash=None)


def test_each_row_says_why_it_is_listed_and_a_dispatcher_can_confirm_or_correct_it(web):  # noqa: F811
    view, html = page_for(web, ["dispatcher"])
    assert ("routing", "review_list", (dispatch.PAGE,)) in view.asked
    assert "待确认" in html and "仅领先第二名 5 个百分点" in html and "当前模型会派给其他单位" in html
    assert html.count('action="/dispatch/review/QD-20261205-00001"') == 2  # confirm, correct
    assert '<option value="WATER" selected>' in html  # correcting offers routing's preference first
    _, read_only = page_for(web, ["supervisor"])
    assert "QD-20261204-00009" in read_only and 'action="/dispatch/review/' not in read_only


def test_a_label_goes_to_routing_and_needs_a_department(web):  # noqa: F811
    sent = []
    answer = {"review_label": lambda number, code: sent.append((number, code)) or {"confirmed": False}}
    view = FakeView(web, "w.disp", ["dispatcher"], answer)
    view.form, view.unit = {"department": "WATER"}, lambda code, name=None: "市水务管理局"
    done = dispatch.dispatch_review_label(None, view, "QD-20261204-00009")
    assert isinstance(done, Redirect) and done.location == "/dispatch/review"
    assert sent == [("QD-20261204-00009", "WATER")] and "已改为 市水务管理局" in done.flash
    view.form = {"department": ""}
    with pytest.raises(Refused):
        dispatch.dispatch_review_label(None, view, "QD-20261204-00009")
