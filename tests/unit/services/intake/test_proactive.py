"""A proactive case (主动治理) made from insight's finding: what it says, who may make it, once per finding."""
import datetime as dt
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from services.intake.adapters.tickets import TicketRepository
from services.intake.bootstrap import Deps
from services.intake.domain import proactive
from services.intake.domain.reconcile import ReconcileRules
from services.intake.entrypoints.schemas import HttpTicketRequest, InboundSubmission, load_request
from services.intake.handlers.errors import ValidationFailed
from services.intake.handlers.tickets import accept, submit_proactive
from shared.contract import events
from shared.platform import memory_store
from shared.platform.identity import NotAllowed, Person

NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
SPIKE = {"kind": "spike", "key": "spike:water:李沧区:2026-11-20", "category": "water", "district": "李沧区",
         "since": "2026-11-20", "until": "2026-11-22", "observed": 53, "expected": 6.4, "ratio": 8.3,
         "numbers": [f"QD-202611{d:02d}-{i:05d}" for d in (20, 21, 22) for i in range(1, 10)],
         "chart": "/supervisor/finding?key=spike%3Awater"}
TERM = {"kind": "emerging", "key": "emerging:飞线充电:2026-W48", "term": "飞线充电", "category": "fire",
        "district": "市北区", "recent": 63, "previous": 5, "recent_from": "2026-11-20", "to": "2026-11-26",
        "numbers": ["QD-20261125-00003", "QD-20261126-00007"]}
CATALOGUE = [{"code": "water", "name": "供水"}, {"code": "fire", "name": "消防安全"}]


class Fence:
    def series_on(self, moment):
        return f"QD-{moment:%Y%m%d}"

    def before_issuing(self, repository, series):
        pass


class Caller:
    def __init__(self, *roles):
        self.person = Person(user_id="s.wang", name="王督办", roles=roles)

    def require(self, *roles):
        if not self.person.has(*roles):
            raise NotAllowed(f"{self.person.name} is not {' or '.join(roles)}")
        return self.person


def deps_as(caller, published):
    tickets = TicketRepository(memory_store.client()[f"proactive_{id(object())}"], {})
    tickets.ensure_indexes()
    return Deps(tickets=tickets, keys=tickets.keys, clock=SimpleNamespace(now=lambda: NOW), config={},
                city={"districts": [{"name": "李沧区"}, {"name": "市北区"}]},
                catalogue=SimpleNamespace(entries=lambda: CATALOGUE), fence=Fence(),
                reconciling=SimpleNamespace(rules=ReconcileRules.from_config({})),
                dispatch=lambda event_type, payload: published.append((event_type, payload)),
                dead_letters=None, receipts=None, limits=None, caller=caller, metrics=None,
                knowledge=tickets.knowledge)


def test_a_spike_makes_a_case_that_says_what_where_how_many_and_since_when_with_its_evidence():
    case = proactive.from_finding(SPIKE, {"water": "供水"}.get)
    request = case.request
    assert request["request_type"] == request["channel"] == "proactive"
    assert (request["category"], request["district"]) == ("water", "李沧区")
    assert "供水" in request["title"] and "李沧区" in request["title"] and "53" in request["title"]
    assert "2026-11-20 至 2026-11-22" in request["description"] and "6.4" in request["description"]
    assert "QD-20261120-00001" in request["description"] and "等 27 件" in request["description"]
    assert "趋势图：/supervisor/finding?key=spike%3Awater" in request["description"]
    assert not any(request.get(k) for k in ("caller_name", "caller_phone", "caller_email"))
    assert case.idempotency_key == "proactive:spike:water:李沧区:2026-11-20"
    assert case.evidence["numbers"] == SPIKE["numbers"] and case.evidence["chart"] == SPIKE["chart"]


def test_a_category_named_in_both_languages_gives_the_chinese_title_its_chinese_part():
    case = proactive.from_finding(dict(SPIKE, category="sanitation"),
                                  {"sanitation": "环境卫生 Garbage and sanitation"}.get)
    assert case.request["title"].startswith("主动治理：李沧区环境卫生诉求激增")
    assert "「环境卫生」" in case.request["description"] and "Garbage" not in case.request["description"]


def test_an_emerging_problem_names_its_term_and_where_it_is_most_heard():
    case = proactive.from_finding(TERM, {"fire": "消防安全"}.get)
    assert "飞线充电" in case.request["title"] and "市北区" in case.request["title"]
    assert "63 件" in case.request["description"] and "此前四周 5 件" in case.request["description"]
    assert case.request["category"] == "fire" and case.evidence["kind"] == "emerging"


@pytest.mark.parametrize("finding, fields", [
    ("spike", {"finding"}),
    (dict(SPIKE, kind="rumour"), {"kind"}),
    (dict(SPIKE, key=""), {"key"}),
    (dict(SPIKE, district=None), {"district"}),
    (dict(SPIKE, numbers=["QD-1", {"$gt": ""}]), {"numbers"}),
    (dict(SPIKE, chart="https://elsewhere.example/x.png"), {"chart"}),
    (dict(SPIKE, observed=-3, since="yesterday"), {"observed", "since"}),
])
def test_a_finding_that_cannot_make_a_case_is_refused_by_field(finding, fields):
    with pytest.raises(proactive.BadFinding) as info:
        proactive.from_finding(finding)
    assert set(info.value.errors) == fields


def test_a_supervisor_makes_the_case_once_and_the_second_click_finds_the_first():
    published = []
    deps = deps_as(Caller("supervisor"), published)
    first = submit_proactive(deps, SPIKE)
    again = submit_proactive(deps, dict(SPIKE, observed=60))  # the same finding, a day later
    assert first["outcome"] == "created" and again["outcome"] == "existing"
    assert again["number"] == first["number"]
    assert [t for t, _ in published] == ["ticket_created"]
    body = events.TicketCreated().load(published[0][1])  # the contract takes it
    assert body["request_type"] == body["channel"] == "proactive"
    assert body["caller_phone"] is None and body["caller_name"] is None
    assert (body["category"], body["district"]) == ("water", "李沧区")
    assert "QD-20261120-00001" in body["description"]  # the unit reads the evidence
    ticket = deps.tickets.get(first["number"])
    assert ticket["evidence"]["finding"] == SPIKE["key"] and ticket["received_by"]["user_id"] == "s.wang"
    assert first["evidence"]["numbers"][:2] == ["QD-20261120-00001", "QD-20261120-00002"]
    other = submit_proactive(deps, TERM)  # another finding: another case
    assert other["outcome"] == "created" and other["number"] != first["number"]


def test_a_proactive_case_is_never_taken_for_a_citizens_repeat():
    published = []
    deps = deps_as(Caller("supervisor"), published)
    citizen = accept(deps, {"title": "李沧区停水", "category": "water", "district": "李沧区",
                            "caller_phone": "13853212345"})
    made = submit_proactive(deps, SPIKE)
    assert made["outcome"] == "created" and made["number"] != citizen["number"]


@pytest.mark.parametrize("roles", [("operator",), ("admin",), ("dispatcher",), ()])
def test_only_a_supervisor_may_make_one(roles):
    published = []
    with pytest.raises(NotAllowed):
        submit_proactive(deps_as(Caller(*roles), published), SPIKE)
    assert published == []


def test_a_bad_finding_is_a_400_by_field_and_nothing_is_stored():
    published = []
    deps = deps_as(Caller("supervisor"), published)
    with pytest.raises(ValidationFailed) as info:
        submit_proactive(deps, dict(SPIKE, district="火星区"))
    assert set(info.value.errors) == {"district"} and published == []


@pytest.mark.parametrize("schema", [None, HttpTicketRequest, InboundSubmission])
@pytest.mark.parametrize("given", [{"request_type": "主动治理"}, {"request_type": "proactive"},
                                   {"channel": "proactive"}])
def test_no_citizens_door_takes_the_proactive_type_or_channel(schema, given):
    request = dict({"title": "路灯不亮", "district": "李沧区", "source_system": "s12315", "external_id": "x1"},
                   **given)
    with pytest.raises(ValidationError) as info:
        load_request(request, ["李沧区"], schema_cls=schema)
    assert set(info.value.messages) == set(given)


def test_a_spike_where_there_is_usually_nothing_says_so_instead_of_an_expected_zero():
    quiet = dict(SPIKE, observed=4, expected=0.02, ratio=198)
    said = proactive.from_finding(quiet, {"water": "供水"}.get).request["description"]
    assert "平时几乎没有" in said and "0.0 件" not in said and "198 倍" not in said
    assert "预期约 6.4 件（8.3 倍）" in proactive.from_finding(SPIKE, {"water": "供水"}.get).request["description"]
