"""The dispatch queue shows how far routing's side suggestions are to be trusted: the measured
chance that its request type is the one a person gives, and that a proposed co-handler is kept."""
from services.console.handlers import dispatch
from tests.unit.services.console.test_floor_pages import FakeView, render, web  # noqa: F401 (fixture)

WAITING = {"number": "QD-20261127-00007", "status": "awaiting_dispatch", "rule": "manual",
           "ticket": {"number": "QD-20261127-00007", "title": "工地夜间施工噪音扰民"},
           "request_type": "help", "request_type_source": "suggested", "request_type_confidence": 0.125,
           "request_type_reason": {"code": "request_type_default", "params": {"request_type": "help"}},
           "suggestions": [{"department_code": "HOUSING", "department_name": "市住房城乡建设局", "confidence": 0.35}],
           "co_handler_proposals": [{"department_code": "PUBLIC_SECURITY", "department_name": "市公安局",
                                     "confidence": 0.35, "rank": 2, "co_confidence": 0.8125}]}


def test_the_queue_shows_the_measured_confidence_of_the_type_and_the_co_handler(web):  # noqa: F811
    view = FakeView(web, "dispatcher", ["dispatcher"], {
        "queue": [WAITING], "queue_size": 1, "list_departments": [{"code": "HOUSING", "name": "市住房城乡建设局"}]})
    view.page_number = lambda: 1
    page = dispatch.dispatch_queue(None, view)
    html = render(web, page, view=view, person=view.person, lang="zh_CN", languages={}, unit=lambda c, n="": n or c,
                  category=str, flash=None, request_types=["help", "complaint"], excerpt=200)
    assert "无其他类型的关键词） 12%" in html  # the rules' type: 12.5%, (0 + 1) / (6 + 2)
    assert "市公安局 81%" in html  # kept by dispatchers 13 times in 16, not the model's 35%
