"""Routing's reasons and intake's history, coded: English sentences in the events, the
reader's language on screen, and scrubbed with the rest of a citizen's words."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import jinja2
import pytest

from services.console import filters, i18n
from services.routing.domain import decision as records
from services.routing.domain.rules import decide
from shared.contract import reasons
from shared.contract.events import TicketAssigned
from shared.platform import memory_store
from shared.platform.privacy import scrub
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.conftest import intake_worker
from tests.unit.conftest import routing_ticket as ticket

T0 = dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC)
PHONE = "13953201234"


def shown(item, locale):
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    translations = i18n.load(locale)
    env.install_gettext_translations(translations, newstyle=True)
    filters.install(env, locale, ZoneInfo("Asia/Shanghai"), translations)
    return env.filters["reasons"](item)


def assigned_after_refusal(directory, why):
    record = {"number": "QD-1", "ticket": ticket(title="小区停水两天了", district="崂山区"),
              "refusals": [], "assignments": 1}
    return records.after_refusal(record, {"department_code": "HOUSING", "reason": why, "refusal_count": 1},
                                 directory, None, 0.5, DeadlinePolicy(calendar=ChineseCalendar()), T0)


def test_every_decision_carries_its_sentences_and_their_codes_in_step(directory):
    cases = [ticket(title="暖气不热", category="heating"),            # catalogue
             ticket(title="公司拖欠工资", description="老板欠薪三个月"),  # keywords, category recognised
             ticket(title="这里有点问题", district="崂山区"),            # place
             ticket(title="这里有点问题")]                               # nobody can say
    rules = []
    for item in cases:
        decision = decide(item, directory)
        rules.append(decision.rule)
        assert decision.reasons and all(c["code"] in reasons.SENTENCES for c in decision.reasons)
        assert decision.sentences == [reasons.sentence(c) for c in decision.reasons]
        assert not any("%(" in s for s in decision.sentences)
    assert rules == ["catalogue", "keywords", "place", "manual"]


def test_the_event_keeps_the_english_sentences_and_the_codes_beside_them(directory):
    outcome = assigned_after_refusal(directory, "不属我单位职责")
    body = TicketAssigned().load(TicketAssigned().dump(dict(
        outcome.body, event_id="e1", occurred_at=T0, schema_version=1)))
    assert body["reasons"][0] == "refused by 市住房和城乡建设局: 不属我单位职责"  # a department by its name
    assert [c["code"] for c in body["reason_codes"]][:2] == ["refused_by", "refused_before"]
    assert body["reasons"][1] == "excluding 市住房和城乡建设局: refused before"
    assert len(body["reasons"]) == len(body["reason_codes"])


def test_the_workbench_says_the_reasons_in_chinese_and_in_english(directory):
    decision = decide(ticket(title="暖气片不热，室温只有14度", district="市北区"), directory)
    item = {"reasons": decision.sentences, "reason_codes": decision.reasons}
    chinese = shown(item, "zh_CN")
    assert any("识别出类别" in s and "公用事业类" in s for s in chinese), chinese
    assert not any(re.search(r"\b(category|recognised|keywords|responsibility)\b", s) for s in chinese), chinese
    english = shown(item, "en")
    # the English sentences, with the class named and the category in English only
    assert english == [s.replace("utilities", "utilities-class").replace("供暖不热 Heating", "Heating")
                       if "time limit" in s else s for s in decision.sentences]
    assert any("供暖不热" in s and "Heating" not in s for s in chinese), chinese


def test_a_reason_a_person_gave_is_shown_in_their_words_untranslated():
    item = {"reasons": ["停水是主要诉求"], "reason_codes": [reasons.said("停水是主要诉求")]}
    assert shown(item, "zh_CN") == ["停水是主要诉求"]


def test_what_the_workbench_cannot_say_falls_back_to_the_english_sentence():
    newer = {"reasons": ["a reason from a newer routing"], "reason_codes": [{"code": "future", "params": {}}]}
    assert shown(newer, "zh_CN") == ["a reason from a newer routing"]
    older = {"reasons": ["an English sentence"]}  # recorded before reasons had codes
    assert shown(older, "zh_CN") == ["an English sentence"]
    mismatched = {"code": "refused_by", "params": {"department": "WATER"}}  # its reason is missing
    assert reasons.sentence(mismatched, "%(department)s退单：%(reason)s") == "refused_by"
    wrong_translation = {"code": "moved_from", "params": {"department": "WATER"}}
    assert reasons.sentence(wrong_translation, "由%(dept)s改派") == "moved from WATER"


def test_facts_travel_as_plain_json():
    coded = reasons.reason("not_sure", department="市水务管理局", confidence=0.123456, threshold=float("inf"))
    assert coded["params"] == {"department": "市水务管理局", "confidence": 0.1235, "threshold": None}
    with pytest.raises(ValueError):
        reasons.reason("no such code")


def test_erasure_scrubs_the_reasons_routing_keeps(directory):
    from services.routing.adapters.decisions import DecisionRepository

    decisions = DecisionRepository(memory_store.client()[f"reasons_{id(object())}"], {})
    decisions.ensure_indexes()
    outcome = assigned_after_refusal(directory, f"请联系居民{PHONE}核实")
    decisions.add({"number": "QD-1", "ticket": {"title": "小区停水两天了"}, "attempts": [outcome.record],
                   "refusals": [], "seen_events": [], **outcome.record}, [])
    assert PHONE in str(decisions.get("QD-1"))
    decisions.erase_personal_data("QD-1", scrub)
    kept = decisions.get("QD-1")
    assert PHONE not in str(kept)
    assert "[phone]" in kept["reasons"][0] and "[phone]" in kept["reason_codes"][0]["params"]["reason"]
    assert "[phone]" in kept["attempts"][0]["reason_codes"][0]["params"]["reason"]


def test_erasure_scrubs_the_reasons_in_the_case_ledger(directory):
    from services.followup import domain
    from services.followup.adapters.cases import CaseRepository

    cases = CaseRepository(memory_store.client()[f"reasons_{id(object())}"], {})
    cases.ensure_indexes()
    outcome = assigned_after_refusal(directory, f"请联系居民{PHONE}核实")
    assignment = dict(outcome.body, number="QD-20261127-00001", event_id="e1")
    cases.open(domain.open_case(assignment, T0), [])
    ledger = cases.get("QD-20261127-00001")["ledger"]
    assert ledger[0]["reason_codes"][0]["code"] == "refused_by" and PHONE in str(ledger)
    cases.erase_personal_data("QD-20261127-00001", scrub)
    assert PHONE not in str(cases.get("QD-20261127-00001")["ledger"])


# -- intake's history: what became of a ticket, said the same way -----------------------------

def test_the_workbench_says_intakes_history_in_chinese():
    from services.intake import domain
    from services.intake.domain.duplicates import DuplicateRules, find_master
    from services.intake.domain.history import entry

    received = domain.received(T0, "phone", "王芳")
    master = {"number": "QD-20261127-00001", "title": "小区停水两天了", "description": "海尔路小区停水",
              "status": "assigned", "received_at": T0}
    found, why = find_master({"title": "小区停水两天了", "description": "海尔路小区停水"}, T0, [master], [],
                             DuplicateRules())
    linked = domain.linked({"history": []}, found, why, T0)["history"][-1]
    escalated = entry(T0, "escalated", [reasons.reason("supervision", level="yellow_card")])
    assert received["note"] == "received by phone (王芳)"  # the English stays for the CLI and the API
    assert linked["note"].startswith("repeats open ticket QD-20261127-00001; same caller, similar text")
    assert shown(received, "zh_CN") == ["经电话受理（王芳）"]
    assert shown(linked, "zh_CN")[0] == "重复未办结工单QD-20261127-00001"
    assert "同一来电人" in shown(linked, "zh_CN")[1]
    assert shown(escalated, "zh_CN") == ["督办：黄牌"]


def test_a_ticket_queued_for_a_dispatcher_keeps_routings_coded_reasons_in_intakes_history(directory):
    from services.intake.domain.history import entry, routing_reasons

    outcome = assigned_after_refusal(directory, "不属我单位职责")
    queued = entry(T0, "awaiting_dispatch", routing_reasons(dict(outcome.body)))
    assert queued["reason_codes"][0]["code"] == "refused_by"
    assert queued["note"].startswith("refused by 市住房和城乡建设局: 不属我单位职责")
    assert shown(queued, "zh_CN")[0].startswith("市住房和城乡建设局")
    nothing = entry(T0, "awaiting_dispatch", routing_reasons({"reasons": [], "reason_codes": []}))
    assert nothing["note"] == "waiting for a dispatcher" and shown(nothing, "zh_CN") == ["等待派单员派单"]


def test_erasure_scrubs_the_coded_reasons_in_intakes_history(directory):
    from services.intake import domain
    from services.intake.adapters.tickets import TicketRepository
    from services.intake.domain.history import entry, routing_reasons

    tickets = TicketRepository(memory_store.client()[f"reasons_{id(object())}"], {})
    tickets.ensure_indexes()
    number = "QD-20261127-00002"
    outcome = assigned_after_refusal(directory, f"请联系居民{PHONE}核实")
    queued = entry(T0, "awaiting_dispatch", routing_reasons(dict(outcome.body)))
    tickets.history.insert_one(dict(queued, number=number))
    assert PHONE in str(tickets.history.find_one({"number": number}))
    tickets.scrub_history(number, domain.scrubbed_entry)
    kept = tickets.history.find_one({"number": number})
    assert PHONE not in str(kept) and "[phone]" in kept["reason_codes"][0]["params"]["reason"]
    ticket = domain.erasure({"history": [queued]}, T0)  # the ticket's own short history too
    assert PHONE not in str(ticket["history"])


def test_a_tickets_whole_life_in_intakes_history_reads_in_chinese_when_followup_cannot_answer():
    """The ticket page shows intake's entries for every step when the case's ledger is not
    there (followup down): each of them says itself in the reader's language."""
    from services.console.timeline import merged
    from services.intake import domain
    from services.intake.adapters.tickets import TicketRepository
    from shared.contract import events

    number = "QD-20261127-00009"
    tickets = TicketRepository(memory_store.client()[f"reasons_{id(object())}"], {})
    tickets.ensure_indexes()
    tickets.add(domain.new_ticket(number, {"title": "小区停水", "description": "", "channel": "phone",
                                           "urgency": "normal"}, T0), [])

    def at(minutes):
        return T0 + dt.timedelta(minutes=minutes)

    water = {"department_code": "WATER"}
    life = [  # (handler, schema, minutes, body)
        ("ticket_assigned", events.TicketAssigned, 1, dict(
            water, department_name="市水务管理局", time_limit_class="general", deadline=at(9000),
            sign_for_deadline=at(1440), assigned_at=at(1), decided_by="routing",
            calendar_uncovered=[["2027-01-01", "2027-01-03"]])),
        ("case_opened", events.CaseOpened, 2, dict(water, deadline=at(9000), sign_for_deadline=at(1440),
                                                   opened_at=at(2))),
        ("deadline_watched", events.DeadlineWatched, 3, dict(deadline=at(9000), next_check_at=at(60))),
        ("case_signed_for", events.CaseSignedFor, 4, dict(water, signed_at=at(4))),
        ("extension_requested", events.ExtensionRequested, 5, dict(water, working_days=3, requested_at=at(5))),
        ("extension_decided", events.ExtensionDecided, 6, dict(water, granted=True, deadline=at(12000),
                                                               decided_at=at(6))),
        ("reply_submitted", events.ReplySubmitted, 7, dict(water, replied_at=at(7))),
        ("reply_rejected", events.ReplyRejected, 8, dict(water, reason="没有说明原因", rejection_count=1,
                                                         rejected_at=at(8))),
        ("reply_approved", events.ReplyApproved, 9, dict(water, approved_at=at(9), text="已修复")),
        ("callback_recorded", events.CallbackRecorded, 10, dict(water, reached=True, resolved=False,
                                                                satisfaction="dissatisfied", recorded_at=at(10))),
        ("case_reopened", events.CaseReopened, 11, dict(water, deadline=at(13000), sign_for_deadline=at(2000),
                                                        reopened_at=at(11), reason="三楼仍无水")),
        ("ticket_escalated", events.TicketEscalated, 12, dict(water, level="supervision_2", escalated_at=at(12))),
        ("callback_recorded", events.CallbackRecorded, 13, dict(water, reached=False, recorded_at=at(13))),
        ("case_refused", events.CaseRefused, 14, dict(water, reason="属物业管理", refused_at=at(14))),
        ("case_closed", events.CaseClosed, 15, dict(water, closed_at=at(15))),
    ]
    for handler, schema, minutes, body in life:
        payload = events.new_event(schema, number=number, **body)
        payload["occurred_at"] = at(minutes).isoformat()
        getattr(intake_worker(tickets), f"on_{handler}")(payload)

    history = tickets.history_of(tickets.get(number))
    assert len(history) == len(life) + 1
    page = merged({"history": history}, None)  # no case: followup did not answer
    for item in page:
        assert item["entry"].get("reason_codes"), item
        said = " ".join(shown(item["entry"], "zh_CN"))
        assert said and not re.search(r"[a-z]{3,}", said), said  # no English words (codes are upper case)
    chinese = [" ".join(shown(item["entry"], "zh_CN")) for item in page]
    assert "已回访（未解决；不满意）" in chinese and "已回访（未接通）" in chinese
    assert any(s.startswith("延期已批准；答复时限2026-") for s in chinese), chinese
