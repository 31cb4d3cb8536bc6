"""A consultation the hotline closed after approving its reply is proposed to the unit that
answered as one draft knowledge entry, de-identified; other cases propose nothing, and a
question a published entry already answers is kept beside it as "also asked"."""
import datetime as dt
from types import SimpleNamespace

import pytest

from services.intake import domain
from services.intake.adapters.tickets import TicketRepository
from services.intake.domain import knowledge
from services.intake.domain.knowledge_entry import Author, Draft, KnowledgeEntry
from services.intake.domain.knowledge_proposal import ORIGIN, entry_id
from services.intake.handlers.knowledge import knowledge_entries
from shared.contract import events
from shared.platform import memory_store
from tests.unit.conftest import intake_worker

NUMBER = "QD-20261127-00011"
T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
PHONES = ("13853212345", "138-5321-2345", "+86 138 5321 2345", "１３８５３２１２３４５", "0532-88886666")
ID_NUMBER = "370202199001011234"
QUESTION = {"title": "咨询公租房申请条件",
            "description": f"张三想问公租房怎么申请，我住崂山区海尔路88号3单元502，电话{PHONES[1]}，"
                           f"身份证{ID_NUMBER}，回电{PHONES[2]}",
            "caller_name": "张三", "caller_phone": PHONES[0], "address": "崂山区海尔路88号3单元502",
            "district": "崂山区", "channel": "phone", "urgency": "normal", "request_type": "consultation",
            "category": "housing"}
REPLY = (f"张先生您好：公租房申请需携带身份证到区住房保障中心办理，审核约20个工作日。"
         f"如有疑问请联系经办人王小明{PHONES[3]}，或拨打{PHONES[4]}，也可到香港中路 8 号窗口咨询，"
         f"不要拨打{PHONES[0]}。")


@pytest.fixture
def repo():
    repo = TicketRepository(memory_store.client()[f"kb_proposals_{id(object())}"], {})
    repo.ensure_indexes()
    return repo


def ticket(repo, number=NUMBER, **changes):
    repo.add(domain.new_ticket(number, dict(QUESTION, **changes), T0), [])
    return number


def closed(number=NUMBER, reply=REPLY, outcome="resolved", department="HOUSING"):
    return events.new_event(events.CaseClosed, number=number, department_code=department, reply=reply,
                            closed_at=T0 + dt.timedelta(days=3), outcome=outcome)


def worker_of(repo):
    worker = intake_worker(repo)
    worker.clock = SimpleNamespace(now=lambda: T0 + dt.timedelta(days=3, minutes=1))
    worker.config = {}
    return worker


def proposals(repo):
    return [doc for doc in repo.knowledge.knowledge.find({}, {"_id": 0})]


def test_a_closed_approved_consultation_yields_one_de_identified_draft_for_the_unit_that_answered(repo):
    ticket(repo)
    worker_of(repo).on_case_closed(closed())
    [entry] = proposals(repo)
    assert entry["id"] == entry_id(NUMBER) and entry["owner"] == "HOUSING" and entry["state"] == "draft"
    assert entry["source"]["kind"] == ORIGIN and entry["source"]["ticket"] == NUMBER
    assert entry["question"] is None and entry["terms"] == []  # a draft is not offered to operators
    [version] = entry["versions"]
    assert version["question"].startswith("咨询公租房申请条件：") and "公租房怎么申请" in version["question"]
    assert "区住房保障中心办理" in version["answer"] and "香港中路" in version["answer"]
    text = version["question"] + version["answer"]
    digits = "".join(ch for ch in text if ch.isdigit())
    for phone in PHONES:
        assert phone not in text
    assert "13853212345" not in digits and "88886666" not in digits and ID_NUMBER not in text
    assert "张三" not in text and "张先生" not in text and "王小明" not in text
    assert "海尔路88号" not in text and "502" not in text and "8 号" not in text
    assert "[phone]" in version["answer"] and "[id-number]" in version["question"]


def test_the_unit_finds_the_proposal_among_its_drafts_marked_with_its_ticket(repo):
    ticket(repo)
    worker_of(repo).on_case_closed(closed())
    unit = SimpleNamespace(require=lambda *roles: SimpleNamespace(
        user_id="u-1", name="住建局小李", is_department_only=True, department="HOUSING"))
    deps = SimpleNamespace(knowledge=repo.knowledge, caller=unit, config={}, clock=SimpleNamespace(now=lambda: T0))
    listed = knowledge_entries(deps, {"state": "draft"})
    assert [(e["id"], e["source"]["ticket"]) for e in listed["entries"]] == [(entry_id(NUMBER), NUMBER)]


@pytest.mark.parametrize("request_type, event", [
    ("complaint", closed()),                                  # 投诉: not a question to keep
    ("consultation", closed(outcome="unreasonable")),         # closed as 不合理诉求, no approved reply
    ("consultation", closed(outcome="untrue")),
    ("consultation", closed(reply="")),                       # closed with no approved reply
])
def test_other_cases_propose_nothing(repo, request_type, event):
    ticket(repo, request_type=request_type)
    worker_of(repo).on_case_closed(event)
    assert proposals(repo) == []


def test_a_consultation_replied_and_approved_but_not_closed_proposes_nothing(repo):
    ticket(repo)
    worker = worker_of(repo)
    worker.on_reply_approved(events.new_event(events.ReplyApproved, number=NUMBER, department_code="HOUSING",
                                              text=REPLY, approved_at=T0 + dt.timedelta(days=2)))
    assert proposals(repo) == []


def test_the_same_ticket_is_proposed_once_whatever_the_redeliveries_and_a_second_closing(repo):
    ticket(repo)
    worker = worker_of(repo)
    worker.on_case_closed(closed())
    repo.knowledge.knowledge.update_one({"id": entry_id(NUMBER)}, {"$set": {"versions.0.answer": "单位改过的答复"}})
    worker.on_case_closed(closed())                      # redelivered
    worker_of(repo).on_case_closed(closed(reply="再次办结的答复"))  # closed again after a reopening
    [entry] = proposals(repo)
    assert entry["versions"][0]["answer"] == "单位改过的答复"


def test_a_question_a_published_entry_answers_is_kept_beside_it_as_also_asked(repo):
    now = T0 + dt.timedelta(days=1)
    published = KnowledgeEntry.create("KB-HOUSING-001", "HOUSING", Draft("公租房申请条件是什么？公租房怎么申请？",
                                                                         "到区住房保障中心申请。"),
                                      Author("u-1", "住建局小李"), now)
    published.submit(Author("u-1", "住建局小李"), "HOUSING", now)
    published.approve(Author("u-2", "审核员"), now)
    repo.knowledge.save(None, published)
    assert knowledge.rank("咨询公租房申请条件：公租房怎么申请", repo.knowledge.candidates(
        knowledge.query_terms("公租房申请条件"), now), limit=1)  # the search finds it
    ticket(repo, description="公租房怎么申请")
    worker = worker_of(repo)
    worker.on_case_closed(closed())
    worker.on_case_closed(closed())
    [entry] = proposals(repo)
    assert entry["id"] == "KB-HOUSING-001"
    assert [(a["ticket"], a["question"]) for a in entry["also_asked"]] == [
        (NUMBER, "咨询公租房申请条件：公租房怎么申请")]
