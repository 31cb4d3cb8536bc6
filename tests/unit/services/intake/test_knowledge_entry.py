"""A knowledge entry's life: a unit drafts and submits, the centre publishes or sends back,
versions are kept, expiry takes it off the operators' screens, feedback reaches the unit."""
import datetime as dt
from types import SimpleNamespace

import mongomock
import pytest

from services.intake.adapters.knowledge import KnowledgeRepository
from services.intake.domain import knowledge
from services.intake.domain.knowledge_entry import (
    Author,
    KnowledgeEntry,
    KnowledgeInvalid,
    NotYourEntry,
    TransitionRefused,
    checked,
    imported,
)
from services.intake.handlers.knowledge import flag_knowledge_for_review
from shared.contract import events
from shared.platform.unit_of_work import UnitOfWork

NOW = dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
WRITER = Author("u-w", "住建局小王")
REVIEWER = Author("u-r", "审核员老李")
OPERATOR = Author("u-o", "接线员小张")


def draft(question="公租房怎么申请？", answer="携带身份证到区住房保障中心申请。\n审核约20个工作日。", **kw):
    return checked(question, answer, kw.pop("keywords", ["公租房"]), kw.pop("expires_at", None),
                   kw.pop("review_at", None), NOW)


def published(expires_at=None, review_at=None):
    entry = KnowledgeEntry.create("KB-1", "HOUSING", checked("公租房怎么申请？", "到区住房保障中心申请。", ["公租房"],
                                                             expires_at, review_at, NOW), WRITER, NOW)
    entry.submit(WRITER, "HOUSING", NOW)
    entry.approve(REVIEWER, NOW)
    return entry


def test_a_draft_is_submitted_then_published_by_a_reviewer_with_an_event_for_the_unit():
    entry = KnowledgeEntry.create("KB-1", "HOUSING", draft(), WRITER, NOW)
    assert entry.state == "draft" and not entry.offered(NOW) and entry.to_doc()["terms"] == []
    entry.submit(WRITER, "HOUSING", NOW)
    assert entry.state == "submitted"
    [event] = entry.approve(REVIEWER, NOW + DAY, review_after=dt.timedelta(days=365))
    assert entry.state == "published" and entry.offered(NOW + DAY)
    assert (event.event_type, event.outcome, event.department_code, event.version) == (
        "knowledge_entry_decided", "published", "HOUSING", 1)
    assert events.payload(event)["decided_by"] == "审核员老李"
    assert entry.published.review_at == NOW + DAY + dt.timedelta(days=365)  # a review date by default
    assert "公租" in entry.to_doc()["terms"]


def test_a_new_version_is_reviewed_while_the_published_one_keeps_serving_and_history_is_kept():
    entry = published()
    entry.edit(draft(answer="改为网上申请：青岛住房保障网。"), WRITER, "HOUSING", NOW)
    assert entry.state == "draft" and entry.published.number == 1 and entry.offered(NOW)
    assert entry.to_doc()["answer"] == "到区住房保障中心申请。"  # operators still see version 1
    entry.submit(WRITER, "HOUSING", NOW)
    with pytest.raises(TransitionRefused):
        entry.edit(draft(), WRITER, "HOUSING", NOW)  # frozen while under review
    [event] = entry.reject(REVIEWER, "网址不对", NOW)
    assert (entry.state, event.outcome, event.reason) == ("rejected", "rejected", "网址不对")
    assert entry.to_doc()["answer"] == "到区住房保障中心申请。"
    entry.edit(draft(answer="改为网上申请：www.qdzfbz.gov.cn"), WRITER, "HOUSING", NOW)
    entry.submit(WRITER, "HOUSING", NOW)
    entry.approve(REVIEWER, NOW)
    assert [(v.number, v.state) for v in entry.versions] == [(1, "superseded"), (2, "rejected"), (3, "published")]
    assert entry.to_doc()["answer"] == "改为网上申请：www.qdzfbz.gov.cn" and entry.to_doc()["version"] == 3
    again = KnowledgeEntry.from_doc(entry.to_doc())
    assert again.versions == entry.versions and again.published.author == WRITER


def test_wrong_transitions_and_a_reviewer_approving_their_own_text_are_refused():
    entry = KnowledgeEntry.create("KB-1", "HOUSING", draft(), REVIEWER, NOW)
    with pytest.raises(TransitionRefused):
        entry.approve(REVIEWER, NOW)  # not submitted
    entry.submit(REVIEWER, None, NOW)
    with pytest.raises(TransitionRefused):
        entry.approve(REVIEWER, NOW)  # four eyes
    with pytest.raises(KnowledgeInvalid):
        entry.reject(WRITER, "  ", NOW)  # a reason is needed
    with pytest.raises(TransitionRefused):
        entry.submit(WRITER, None, NOW)  # submitted already


def test_a_unit_may_not_touch_another_units_entry_and_the_centre_may():
    entry = KnowledgeEntry.create("KB-1", "HOUSING", draft(), WRITER, NOW)
    with pytest.raises(NotYourEntry):
        entry.edit(draft(), WRITER, "WATER", NOW)
    with pytest.raises(NotYourEntry):
        entry.submit(WRITER, "WATER", NOW)
    entry.edit(draft(answer="中心修订"), REVIEWER, None, NOW)
    assert entry.latest.answer == "中心修订"


def test_an_expired_entry_is_not_offered_and_is_told_to_its_unit_once():
    entry = published(expires_at=NOW + 10 * DAY, review_at=NOW + 5 * DAY)
    assert entry.offered(NOW + 9 * DAY) and not entry.offered(NOW + 10 * DAY)
    assert entry.due(NOW + DAY) == []
    [due] = entry.review_due(NOW + 6 * DAY)
    assert (due.event_type, due.reasons, due.department_code) == ("knowledge_review_due", ["review_date"], "HOUSING")
    assert entry.review_due(NOW + 7 * DAY) == []  # told once
    [due] = entry.review_due(NOW + 10 * DAY)
    assert due.reasons == ["expired"]
    events.payload(due)  # it fits the contract


def test_search_offers_published_unexpired_entries_only():
    live = published(expires_at=NOW + 10 * DAY).to_doc()
    drafted = KnowledgeEntry.create("KB-2", "HOUSING", draft(), WRITER, NOW).to_doc()
    ranked = knowledge.rank("公租房怎么申请", [live, drafted])
    assert [e["id"] for e in ranked] == ["KB-1"]  # a draft has no terms


def test_feedback_is_counted_with_its_comments_and_many_bad_ones_flag_the_entry():
    entry = published()
    assert entry.give_feedback("helped", "", OPERATOR, NOW) == []
    assert entry.give_feedback("wrong", "电话号码变了", OPERATOR, NOW) == []
    assert entry.give_feedback("outdated", None, OPERATOR, NOW) == []
    [due] = entry.give_feedback("outdated", "政策已调整", OPERATOR, NOW)
    assert due.reasons == ["feedback"] and (due.wrong, due.outdated) == (1, 2)
    assert entry.feedback == {"helped": 1, "wrong": 1, "outdated": 2}
    assert entry.comments[0]["comment"] == "政策已调整" and entry.comments[0]["by"]["name"] == "接线员小张"
    with pytest.raises(KnowledgeInvalid):
        entry.give_feedback("great", "", OPERATOR, NOW)
    entry.edit(draft(), WRITER, "HOUSING", NOW)
    entry.submit(WRITER, "HOUSING", NOW)
    entry.approve(REVIEWER, NOW)
    assert entry.feedback == {"helped": 0, "wrong": 0, "outdated": 0} and entry.due(NOW) == []


def test_an_entry_imported_before_versions_is_read_as_the_centres_published_version_one():
    doc = knowledge.entry({"id": "KB-FUND-001", "question": "公积金怎么提取？", "answer": "凭身份证...",
                           "keywords": ["公积金"]}, 1)
    entry = KnowledgeEntry.from_doc(doc)
    assert (entry.owner, entry.state, entry.published.number, entry.published.author.name) == (
        None, "published", 1, "import")
    assert entry.offered(NOW) and entry.to_doc()["terms"] == doc["terms"]
    again = imported("KB-FUND-001", "公积金怎么提取？", "新的答复", ["公积金"], NOW, None, "zh", entry)
    assert [(v.number, v.state) for v in again.versions] == [(1, "superseded"), (2, "published")]


def test_a_file_may_give_an_expiry_an_entry_past_it_is_kept_but_not_offered():
    store = KnowledgeRepository(mongomock.MongoClient(tz_aware=True)["hotline_intake"], {})
    rows = [knowledge.entry({"id": "KB-PARK-1", "question": "公园夜间开放到几点？", "answer": "至22:00。",
                             "keywords": ["公园夜间开放"], "expires_on": "2026-12-01"}, 1),
            knowledge.entry({"id": "KB-PARK-2", "question": "公园冬季夜间开放到几点？", "answer": "至20:00。",
                             "keywords": ["公园夜间开放"], "expires_on": dt.date(2027, 3, 1),
                             "review_on": "2027-01-15"}, 2)]
    assert store.put_imported(rows, NOW) == 2
    assert [e["id"] for e in store.candidates(knowledge.query_terms("公园夜间开放到几点"), NOW)] == ["KB-PARK-2"]
    kept = KnowledgeEntry.from_doc(store.document("KB-PARK-2"))
    assert kept.published.expires_at == dt.datetime(2027, 2, 28, 16, tzinfo=dt.UTC)  # the city's day, from 0:00
    assert kept.published.review_at == dt.datetime(2027, 1, 14, 16, tzinfo=dt.UTC)
    assert [e.id for e in store.due(NOW)] == ["KB-PARK-1"]
    assert store.put_imported(rows[1:], NOW) == 1 and len(store.load("KB-PARK-2").versions) == 1  # the same again
    with pytest.raises(knowledge.BadEntry, match="expires_on"):
        knowledge.entry({"id": "KB-X", "question": "问", "answer": "答", "expires_on": "明年"}, 3)


def test_a_draft_needs_text_and_dates_to_come():
    with pytest.raises(KnowledgeInvalid) as caught:
        checked("", "x" * 5000, "a;b", NOW - DAY, NOW + DAY, NOW)
    assert set(caught.value.errors) == {"question", "answer", "expires_at", "review_at"}
    assert checked("问", "答", "公积金，提取; 材料", None, None, NOW).keywords == ("公积金", "提取", "材料")


def test_the_store_offers_an_entry_until_it_expires_and_lists_it_as_due_after():
    store = KnowledgeRepository(mongomock.MongoClient(tz_aware=True)["hotline_intake"], {})
    store.save(None, published(expires_at=NOW + 10 * DAY))
    store.save(None, KnowledgeEntry.create("KB-2", "HOUSING", draft(), WRITER, NOW))
    terms = knowledge.query_terms("公租房怎么申请")
    assert [e["id"] for e in store.candidates(terms, NOW + 9 * DAY)] == ["KB-1"]
    assert store.candidates(terms, NOW + 10 * DAY) == [] and store.offered("KB-1", NOW + 10 * DAY) is None
    assert [e.id for e in store.due(NOW + 10 * DAY)] == ["KB-1"] and store.due(NOW) == []


def test_the_timer_tells_a_unit_once_of_an_entry_past_its_review_date_and_publishes_it():
    store = KnowledgeRepository(mongomock.MongoClient(tz_aware=True)["hotline_intake"], {})
    store.save(None, published(review_at=NOW + DAY))
    sent = []
    deps = SimpleNamespace(knowledge=store, config={}, clock=SimpleNamespace(now=lambda: NOW + 2 * DAY),
                           uow=lambda: UnitOfWork(lambda event_type, body: sent.append((event_type, body))))
    assert flag_knowledge_for_review(deps) == 1 and flag_knowledge_for_review(deps) == 0
    assert [(t, body["entry_id"], body["reasons"]) for t, body in sent] == [
        ("knowledge_review_due", "KB-1", ["review_date"])]
    assert list(store.outbox.pending("x")) == [] and store.document("KB-1")["flagged"] == ["1:review_date"]
