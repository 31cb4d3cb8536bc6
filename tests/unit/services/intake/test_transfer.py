"""Transfers to other lines and the emergency words that prompt them (domain/transfer.py,
handlers/transfers.py), over the in-memory store: no nameko."""
import pytest

from services.intake.adapters.tickets import TicketRepository
from services.intake.domain import transfer as rules
from services.intake.handlers import transfers
from services.intake.handlers.errors import ValidationFailed
from shared.contract import events
from shared.platform import memory_store
from tests.unit.services.intake.test_accept import REQUEST, deps_over

WORDS = rules.words(None)


def found(text):
    return [hit.word for hit in rules.find_emergency(text, WORDS)]


@pytest.mark.parametrize("text, word, line", [
    ("楼下饭店着火了，烟很大", "着火", "119"),
    ("楼下饭店着 火了", "着火", "119"),                  # a space typed between
    ("楼下饭店着\u3000火了", "着火", "119"),              # an ideographic space
    ("厨房燃气泄漏，味道很重", "燃气泄漏", "119"),
    ("厨房燃气・泄漏", "燃气泄漏", "119"),               # punctuation between
    ("路口有人受伤倒地", "有人受伤", "120"),
    ("孩子在河里溺水", "溺水", "120"),
    ("有人要跳楼", "跳楼", "120"),
    ("小区门口有人打架", "打架", "110"),
    ("路口发生车祸", "车祸", "122"),
    ("There is a FIRE in the hall", "fire", "119"),
    ("ＦＩＲＥ in the hall", "fire", "119"),              # full-width letters
    ("I can smell   gas leak upstairs", "gas leak", "119"),  # spaces run together
])
def test_emergency_words_are_found_whatever_the_spelling(text, word, line):
    hits = rules.find_emergency(text, WORDS)
    assert word in [hit.word for hit in hits]
    assert rules.suggested_line(hits) == line


def test_ordinary_requests_find_nothing():
    for text in ("小区门口路灯不亮", "楼上漏水到我家", "The fireworks shop is noisy", "噪音扰民", ""):
        assert found(text) == [], text


def test_a_longer_word_is_found_once():
    assert found("燃气泄漏了") == ["燃气泄漏"]  # not 漏气 or 泄漏 again


def test_the_words_are_configurable():
    pairs = rules.words({"emergency_words": {"110": ["醉驾"]}})
    assert [h.line for h in rules.find_emergency("有人醉 驾", pairs)] == ["110"]
    assert rules.find_emergency("着火了", pairs) == []


def test_the_lines_are_configurable_and_default_to_the_emergency_lines():
    assert [line.code for line in rules.lines(None)] == ["110", "119", "120", "122", "12315"]
    mine = rules.lines({"lines": [{"code": "12315", "name": "市场监管", "name_en": "Market",
                                    "source_system": "sms12315"}]})
    assert mine == (rules.Line("12315", "市场监管", "Market", "sms12315"),)
    with pytest.raises(rules.UnknownLine):
        rules.line_of({"lines": [{"code": "12315"}]}, "119")


class Operator:
    presented = True

    def require(self, *roles):
        from types import SimpleNamespace
        return SimpleNamespace(name="王芳", user_id="u-op")


def transfer_deps(config=None):
    tickets = TicketRepository(memory_store.client()[f"transfer_{id(object())}"], {})
    tickets.ensure_indexes()
    published, sent = [], []
    deps = deps_over(tickets, published)
    deps = deps.__class__(**dict(deps.__dict__, caller=Operator(), config=config or {},
                                 dispatch=lambda event_type, payload: published.append((event_type, payload)),
                                 receipts=lambda body, **kw: sent.append((kw["routing_key"], body))))
    return deps, tickets, published, sent


CALL = dict(REQUEST, title="饭店后厨着火了", description="烟很大，有人被困")


def test_a_transfer_is_a_ticket_closed_at_once_and_never_dispatched():
    deps, tickets, published, sent = transfer_deps()
    shown = transfers.transfer_ticket(deps, CALL, "119", "着火，转消防", reference="F-2026-118")
    assert shown["outcome"] == "transferred" and shown["status"] == "transferred"
    assert [event_type for event_type, _ in published] == ["ticket_transferred"]  # no ticket_created
    payload = published[0][1]
    assert events.TicketTransferred().load(payload)["line"] == "119"
    assert payload["transferred_by"] == "王芳" and payload["reference"] == "F-2026-118"
    assert "13853212345" not in str(payload) and "caller" not in str(payload)
    stored = tickets.get(shown["number"])
    assert stored["closed_at"] and stored["transfer"]["reason"] == "着火，转消防"
    assert stored["caller"]["phone"] == "13853212345"  # the call is recorded in full
    assert sent == []  # 119 is no source system here


def test_a_transfer_is_not_taken_as_an_open_ticket_to_repeat():
    deps, tickets, published, _ = transfer_deps()
    transfers.transfer_ticket(deps, CALL, "119", "着火")
    from services.intake.handlers.tickets import accept
    again = accept(deps, CALL)
    assert again["outcome"] == "created"


def test_a_transfer_to_a_line_that_is_a_source_tells_it_once():
    config = {"TRANSFERS": {"lines": [{"code": "12315", "name": "市场监管", "name_en": "Market",
                                       "source_system": "sms12315"}]}}
    deps, tickets, published, sent = transfer_deps(config)
    request = dict(REQUEST, title="超市卖过期食品", description="电话13853212345")
    shown = transfers.transfer_ticket(deps, request, "12315", "消费投诉，转12315", idempotency_key="k1")
    again = transfers.transfer_ticket(deps, request, "12315", "消费投诉，转12315", idempotency_key="k1")
    assert again["outcome"] == "existing" and again["received_as"] == shown["received_as"]
    assert len(sent) == 1
    key, body = sent[0]
    assert key == "ticket.receipt.sms12315" and body["kind"] == "transferred" and body["line"] == "12315"
    assert body["number"] == shown["received_as"]
    assert "13853212345" not in str(body)  # scrubbed from what the caller said, no caller


@pytest.mark.parametrize("line, reason, reference, field", [
    ("999", "why", None, "line"),
    ("119", "  ", None, "reason"),
    ("119", "x" * 501, None, "reason"),
    ("119", "着火", "r" * 129, "reference"),
    ("119", "着火", 12, "reference"),
])
def test_a_bad_transfer_is_refused_by_field_and_records_nothing(line, reason, reference, field):
    deps, tickets, published, _ = transfer_deps()
    with pytest.raises(ValidationFailed) as refused:
        transfers.transfer_ticket(deps, CALL, line, reason, reference)
    assert field in refused.value.errors
    assert published == [] and tickets.tickets.count_documents({}) == 0


def test_emergency_words_answer_the_line_configured():
    deps, *_ = transfer_deps()
    said = transfers.emergency_words(deps, "楼道里有煤气味")
    assert said["line"]["code"] == "119" and said["words"] == [{"word": "煤气味", "line": "119"}]
    assert transfers.emergency_words(deps, "路灯坏了") == {"words": [], "line": None}
    with pytest.raises(ValidationFailed):
        transfers.emergency_words(deps, None)


def test_erasure_scrubs_the_transfer_reason():
    from services.intake.domain.ticket import erasure
    deps, tickets, _, _ = transfer_deps()
    shown = transfers.transfer_ticket(deps, CALL, "119", "着火，来电人电话13853212345")
    changes = erasure(tickets.get(shown["number"]), deps.clock.now())
    assert "13853212345" not in changes["transfer"]["reason"] and changes["transfer"]["line"] == "119"


def test_a_citizen_looking_up_a_transfer_sees_it_closed_with_nothing_of_the_call():
    from services.intake.domain.public import status_view
    deps, tickets, _, _ = transfer_deps()
    shown = transfers.transfer_ticket(deps, dict(CALL, recording_url="https://pbx.example.cn/r/1.mp3"), "119", "着火")
    public = status_view(tickets.get(shown["number"]))
    assert public["status"] == "closed" and public["closed_at"]
    assert "pbx.example.cn" not in str(public) and "119" not in str(public.get("department"))
