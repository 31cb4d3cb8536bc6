"""The knowledge base's pages, drawn from intake's answers without a service: a unit's list with
what is due, the editor's preview (escaped, line breaks kept), saving and submitting, a
reviewer's decision, and the operator's 有用 / 有误 / 已过时 on a suggested answer."""
import datetime as dt
from types import SimpleNamespace

import pytest

from services.console.adapters.workbench import Web
from services.console.handlers import knowledge, operator
from services.console.view import Redirect, Refused
from shared.platform.identity import Person

NOW = "2026-12-05T01:00:00+00:00"
VERSION = {"number": 2, "question": "公租房怎么申请？", "answer": "第一行\n<script>x</script>", "keywords": ["公租房"],
           "author": {"user_id": "u-w", "name": "住建局小王"}, "at": NOW, "state": "submitted",
           "expires_at": None, "review_at": "2027-06-29T16:00:00+00:00", "decided_by": None, "reason": None}
ENTRY = {"id": "KB-1", "owner": "HOUSING", "state": "submitted", "version": 1, "offered": True,
         "due": ["feedback"], "expires_at": None, "review_at": None,
         "feedback": {"helped": 1, "wrong": 2, "outdated": 1},
         "comments": [{"kind": "wrong", "comment": "电话号码变了", "by": {"name": "接线员小张"}, "at": NOW}],
         "versions": [VERSION, dict(VERSION, number=1, state="published", answer="旧答复")]}


@pytest.fixture(scope="module")
def web():
    made = Web()
    made.container = SimpleNamespace(config={"CONSOLE_HTTP": "127.0.0.1:8080"})
    made.setup()
    return made


class FakeView:
    """What a handler reads of the request and asks of the services, answered from ``answers``."""

    def __init__(self, web, roles, answers, form=None, args=None, department=None, htmx=False):
        self.person = Person(user_id="u-1", name="someone", roles=tuple(roles), department=department, via="console")
        self.answers, self.form, self.args, self.asked, self.htmx = answers, form or {}, args or {}, [], htmx
        self.web, self.env, self.lang = web, web.envs["zh_CN"], "zh_CN"
        self.translations = web.translations["zh_CN"]
        self.now = dt.datetime(2026, 12, 5, 4, tzinfo=dt.UTC)
        self.request = SimpleNamespace(path="/knowledge", full_path="/knowledge?")

    def _(self, message, **values):
        text = self.translations.gettext(message)
        return text % values if values else text

    def arg(self, name, default=""):
        return self.args.get(name, default)

    def page_number(self):
        return 1

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
    return web.envs["zh_CN"].get_template(page.template).render(
        csrf="t", languages={}, unit=lambda code, name=None: f"unit:{code}", **page.context, **extra)


def test_a_unit_sees_its_entries_with_what_is_due_and_the_feedback(web):
    view = FakeView(web, ["department"], {"knowledge_entries": {"entries": [ENTRY], "total": 1}},
                    args={"tab": "submitted"}, department="HOUSING")
    page = knowledge.knowledge_list(None, view)
    html = render(web, page)
    assert view.asked == [("intake", "knowledge_entries", ({}, 0, 20))]  # a unit has no review queue
    assert "KB-1" in html and "话务员反馈有误或已过时" in html and "有用 1 · 有误 2 · 已过时 1" in html
    assert "待审核" in html and "本单位条目" in html


def test_a_reviewer_opens_the_queue_of_submitted_versions(web):
    view = FakeView(web, ["reviewer"], {"knowledge_entries": {"entries": [], "total": 0}})
    knowledge.knowledge_list(None, view)
    assert view.asked == [("intake", "knowledge_entries", ({"state": "submitted"}, 0, 20))]


def test_the_preview_shows_the_text_escaped_with_its_line_breaks_and_saves_nothing(web):
    form = {"question": "公租房怎么申请？", "answer": "第一行\n<b>第二行</b>", "keywords": "公租房", "preview": "1"}
    view = FakeView(web, ["department"], {}, form=form, department="HOUSING")
    page = knowledge.knowledge_save(None, view, "new")
    html = render(web, page)
    assert view.asked == []
    preview = html.split('id="preview"')[1].split("</section>")[0]
    assert 'class="answer-text"' in preview and "第一行\n&lt;b&gt;第二行&lt;/b&gt;" in preview
    assert "<b>" not in preview


def test_save_and_submit_calls_intake_as_the_unit_and_goes_to_the_entry(web):
    form = {"question": "公租房怎么申请？", "answer": "答复", "keywords": "公租房; 保障房", "review_on": "2027-06-30",
            "submit": "1"}
    view = FakeView(web, ["department"], {"save_knowledge_draft": {"id": "KB-9"},
                                          "submit_knowledge_entry": {"id": "KB-9"}}, form=form, department="HOUSING")
    answer = knowledge.knowledge_save(None, view, "new")
    assert isinstance(answer, Redirect) and answer.location == "/knowledge/KB-9" and answer.flash == "已提交审核。"
    (_, method, (entry_id, draft)), submitted = view.asked
    assert (method, entry_id) == ("save_knowledge_draft", None)
    assert draft["keywords"] == "公租房; 保障房" and draft["review_on"] == "2027-06-30" and draft["expires_on"] is None
    assert submitted == ("intake", "submit_knowledge_entry", ("KB-9",))


def test_another_units_refusal_is_not_swallowed_as_a_form_error(web):
    def refuse(*args):
        raise Refused(403, "Not allowed", "KB-1 is maintained by HOUSING, not WATER")
    view = FakeView(web, ["department"], {"knowledge_entry": ENTRY, "save_knowledge_draft": refuse},
                    form={"question": "q", "answer": "a"}, department="WATER")
    with pytest.raises(Refused) as caught:
        knowledge.knowledge_save(None, view, "KB-1")
    assert caught.value.status == 403


def test_a_submitted_version_is_frozen_for_the_unit_and_decided_by_a_reviewer(web):
    unit = render(web, knowledge.knowledge_form(None, FakeView(web, ["department"], {"knowledge_entry": ENTRY},
                                                               department="HOUSING"), "KB-1"))
    assert 'id="knowledge-form"' not in unit and 'id="knowledge-decision"' not in unit
    assert "电话号码变了" in unit and "&lt;script&gt;" in unit and "<script>x" not in unit
    view = FakeView(web, ["reviewer"], {"knowledge_entry": ENTRY, "decide_knowledge_entry": ENTRY},
                    form={"decision": "reject", "reason": "号码不对"})
    assert 'id="knowledge-decision"' in render(web, knowledge.knowledge_form(None, view, "KB-1"))
    answer = knowledge.knowledge_decide(None, view, "KB-1")
    assert view.asked[-1] == ("intake", "decide_knowledge_entry", ("KB-1", False, "号码不对"))
    assert answer.flash == "KB-1 已退回维护单位。"


def test_the_operator_rates_a_suggested_answer_from_the_panel(web):
    answers = {"search_knowledge": [{"id": "KB-1", "question": "公租房怎么申请？", "answer": "答复", "score": 0.9}],
               "suggest": None, "repeat_candidates": [], "emergency_words": None}
    view = FakeView(web, ["operator"], answers, form={"title": "公租房怎么申请"})
    html = render(web, operator.operator_suggest(None, view), thresholds={"answer": 0.6, "link": 0.6})
    assert 'action="/operator/knowledge/KB-1/feedback"' in html
    assert all(f'value="{kind}"' in html for kind in ("helped", "wrong", "outdated"))
    assert "有用" in html and "有误" in html and "已过时" in html
    # a comment box kept while the panel refreshes as the operator goes on typing the request
    assert '<textarea name="comment" id="comment-KB-1" hx-preserve' in html and "哪里有误或已过时（选填）" in html
    view = FakeView(web, ["operator"], {"knowledge_feedback": {"feedback": {}}},
                    form={"kind": "outdated", "comment": "政策变了"}, htmx=True)
    page = knowledge.knowledge_feedback(None, view, "KB-1")
    assert view.asked == [("intake", "knowledge_feedback", ("KB-1", "outdated", "政策变了"))]
    assert "维护该答复的单位会看到" in render(web, page)
    with pytest.raises(Refused):
        knowledge.knowledge_feedback(None, FakeView(web, ["operator"], {}, form={"kind": "great"}), "KB-1")


PROPOSED = dict(ENTRY, id="KB-QD-20261127-00011", state="draft", version=None, due=[],
                source={"kind": "closed_consultation", "ticket": "QD-20261127-00011"},
                versions=[dict(VERSION, number=1, state="draft", author={"user_id": None, "name": "proposal"})])


def test_a_draft_from_a_closed_consultation_is_marked_with_a_link_to_its_ticket(web):
    view = FakeView(web, ["department"], {"knowledge_entries": {"entries": [PROPOSED, ENTRY], "total": 2}},
                    department="HOUSING")
    rows = render(web, knowledge.knowledge_list(None, view)).split("<tr data-entry=")[1:]
    assert "来自已办结咨询" in rows[0] and 'href="/tickets/QD-20261127-00011"' in rows[0]
    assert "来自已办结咨询" not in rows[1]  # an entry the unit wrote itself
    view = FakeView(web, ["department"], {"knowledge_entry": PROPOSED}, department="HOUSING")
    html = render(web, knowledge.knowledge_form(None, view, PROPOSED["id"]))
    notice = html.split('id="proposed-from"')[1].split("</p>")[0]
    assert "来自已办结咨询" in notice and 'href="/tickets/QD-20261127-00011"' in notice
    assert 'id="knowledge-form"' in html  # the unit edits and submits it as any draft
    assert 'name="review_on" value="2027-06-30"' in html  # the city's day, not the UTC one before it
    versions = html.split('id="knowledge-versions"')[1]
    assert "据咨询工单起草" in versions and "proposal" not in versions
    assert 'id="knowledge-feedback"' not in html  # nothing published to rate yet


def test_the_consultations_a_published_entry_answered_are_listed_beside_it(web):
    asked = dict(ENTRY, also_asked=[{"ticket": "QD-20261128-00003", "question": "公租房申请条件", "at": NOW}])
    html = render(web, knowledge.knowledge_form(None, FakeView(web, ["reviewer"], {"knowledge_entry": asked}),
                                                "KB-1"))
    listed = html.split('id="also-asked"')[1].split("</section>")[0]
    assert "已办结咨询中的同类问题" in listed and 'href="/tickets/QD-20261128-00003"' in listed
    assert "公租房申请条件" in listed
