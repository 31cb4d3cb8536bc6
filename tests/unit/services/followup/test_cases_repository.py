"""The case repository: conditional updates that cannot corrupt a case."""
import datetime as dt
from zoneinfo import ZoneInfo

import mongomock
import pytest

from services.followup import domain
from services.followup.adapters.cases import CaseRepository
from services.followup.domain.timing import FollowupClock
from shared.platform.privacy import scrub
from shared.platform.unit_of_work import LostRace
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SH).astimezone(dt.UTC)  # a Monday


def hours(n):
    return T0 + dt.timedelta(hours=n)


def assignment(event_id="e1", department="WATER", at=T0):
    return {"event_id": event_id, "number": "QD-20261123-00001", "department_code": department,
            "department_name": "市水务管理局", "urgency": "normal", "time_limit_class": "general",
            "deadline": at + dt.timedelta(days=7), "sign_for_deadline": at + dt.timedelta(days=1),
            "assigned_at": at, "decided_by": "routing", "reasons": ["停水"]}


def test_a_stale_write_changes_nothing():
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.ensure_indexes()
    cases.open(domain.open_case(assignment(), T0), [])
    first, second = cases.load("QD-20261123-00001"), cases.load("QD-20261123-00001")
    event = lambda kind, body: {"event_id": kind, "body": body}  # noqa: E731
    cases.apply(first, domain.sign_for(first, "a", hours(1)), event)
    with pytest.raises(LostRace):
        cases.apply(second, domain.sign_for(second, "b", hours(1)), event)
    stored = cases.get("QD-20261123-00001")
    assert stored["version"] == 1
    assert [e["actor"] for e in stored["ledger"] if e["action"] == "signed_for"] == ["a"]


def test_erasure_reaches_the_other_units_parts():
    """A citizen's phone written into a pass-down note, a child's refusal and reply, and the
    co-handler's reply the lead carries, is scrubbed with the rest of the case."""
    from services.followup.domain import tree
    from services.followup.domain.timing import FollowupClock
    from shared.platform.privacy import scrub
    from shared.timelimits.calendar import ChineseCalendar
    from shared.timelimits.deadlines import DeadlinePolicy

    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.open(domain.open_case(assignment(department="D"), T0), [])
    event = lambda kind, body: {"event_id": kind, "body": body}  # noqa: E731
    phone = "13912345678"
    steps = [
        lambda c: c.add_co_handlers([tree.Unit("CO", "协办")], "调度员", hours(1), clock),
        lambda c: c.sign_for("a", hours(1), "D"),
        lambda c: c.pass_down("D", tree.Unit("S", "街道", "D"), "a", f"联系市民{phone}", hours(1), clock),
        lambda c: c.refuse("b", f"市民{phone}说不是这里", hours(2), clock, "S"),
        lambda c: c.sign_for("c", hours(2), "CO"),
        lambda c: c.submit_reply("c", f"已电话联系{phone}", [], hours(3), unit="CO"),
    ]
    for step in steps:
        case = cases.load("QD-20261123-00001")
        cases.apply(case, step(case), event)
    assert phone in str(cases.document("QD-20261123-00001")["assignments"])
    cases.erase_personal_data("QD-20261123-00001", scrub)
    assert phone not in str(cases.document("QD-20261123-00001"))

def test_erasure_reaches_the_words_of_a_hold():
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.ensure_indexes()
    cases.open(domain.open_case(assignment(), T0), [])
    event = lambda kind, body: {"event_id": kind, "body": body}  # noqa: E731
    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
    case = cases.load("QD-20261123-00001")
    cases.apply(case, case.sign_for("a", hours(1)), event)
    case = cases.load("QD-20261123-00001")
    cases.apply(case, case.propose_hold("a", "住户13853212345不同意施工", "2027-03-01", hours(2), clock), event)
    case = cases.load("QD-20261123-00001")
    cases.apply(case, case.decide_hold("s", True, "", hours(3)), event)
    cases.erase_personal_data("QD-20261123-00001", scrub)
    stored = cases.get("QD-20261123-00001")
    assert "13853212345" not in stored["hold"]["reason"] and "不同意施工" in stored["hold"]["reason"]
    assert not any("13853212345" in e["reason"] for e in stored["ledger"])


def test_a_part_counts_as_a_dispatch_to_its_unit_in_the_scorecard():
    """The street a case was passed down to, and the co-handler, each answer for their own
    part: its dispatch and its sign-for (the street's late one) are theirs, not the lead's."""
    from services.followup.domain import tree
    from services.followup.domain.scorecard import scorecard
    from services.followup.domain.timing import FollowupClock
    from shared.timelimits.calendar import ChineseCalendar
    from shared.timelimits.deadlines import DeadlinePolicy

    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    cases.open(domain.open_case(assignment(department="D"), T0), [])
    event = lambda kind, body: {"event_id": kind, "body": body}  # noqa: E731
    for step in (lambda c: c.add_co_handlers([tree.Unit("CO", "协办")], "调度员", hours(1), clock),
                 lambda c: c.sign_for("a", hours(1), "D"),
                 lambda c: c.pass_down("D", tree.Unit("S", "街道", "D"), "a", "", hours(1), clock),
                 lambda c: c.sign_for("b", hours(100), "S"),  # days later: late
                 lambda c: c.sign_for("c", hours(2), "CO")):
        case = cases.load("QD-20261123-00001")
        cases.apply(case, step(case), event)
    card = scorecard(cases.ledger_counts(T0, hours(200)), {"from": "x", "to": "y"}, parents={"S": "D"})
    lines = {line["department"]: line for line in card["departments"]}
    assert {code: (lines[code]["dispatched"], lines[code]["response_rate"]) for code in ("D", "S", "CO")} == {
        "D": (1, 1.0), "S": (1, 0.0), "CO": (1, 1.0)}
    district = next(line for line in card["rolled_up"] if line["department"] == "D")
    assert (district["dispatched"], district["response_rate"]) == (2, 0.5)


def test_a_parts_events_are_kept_and_published_again_as_they_were():
    """What intake's reconciler asks for a part notify lost (``republish_part``): the very events
    of the part's standing -- its opening and its sign-for, with their ids -- kept per unit (a
    unit code with a dot too), and scrubbed with the rest of the case."""
    from types import SimpleNamespace

    from services.followup.domain import tree
    from services.followup.handlers import intake

    clock = FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))
    cases = CaseRepository(mongomock.MongoClient(tz_aware=True)["t"], {})
    number, phone = "QD-20261123-00001", "13912345678"
    lead = dict(assignment(department="D"), deadline=T0 + dt.timedelta(days=30))  # room for a part's extension
    cases.open(domain.open_case(lead, T0), [])
    for step in (lambda c: c.add_co_handlers([tree.Unit("CO.2", "协办")], "调度员", hours(1), clock,
                                             f"联系市民{phone}"),
                 lambda c: c.sign_for("a", hours(2), "CO.2"),
                 lambda c: c.request_extension("a", 1, "需协调", hours(3), clock, "CO.2"),
                 lambda c: c.decide_part_extension("CO.2", tree.CENTRE, True, "", "审核员", hours(4), clock)):
        case = cases.load(number)
        cases.apply(case, step(case))  # the contract's events, as the service builds them
    sent = {entry["event_type"]: entry["payload"]["event_id"] for entry in cases.cases.find_one()["outbox"]}
    published = []
    deps = SimpleNamespace(cases=cases, dispatch=lambda kind, payload: published.append((kind, payload["event_id"])))
    assert intake.republish_part(deps, number, "CO.2") == {
        "unit_code": "CO.2", "open": True,
        "published": ["assignment_opened", "assignment_signed_for", "assignment_extension_decided"]}
    assert published == [("assignment_opened", sent["assignment_opened"]),
                         ("assignment_signed_for", sent["assignment_signed_for"]),
                         ("assignment_extension_decided", sent["assignment_extension_decided"])]  # its deadline
    assert intake.republish_part(deps, number, "NOBODY") is None
    assert intake.case_parts(deps, number)["parts"] == [
        {"unit_code": "CO.2", "role": "co", "state": "signed_for", "open": True}]
    assert phone in str(cases.cases.find_one()["last_events"]["parts"])
    cases.erase_personal_data(number, scrub)
    assert phone not in str(cases.cases.find_one()["last_events"])


def test_an_extension_of_an_earlier_round_is_not_published_again_with_a_reopened_part(monkeypatch):
    """A co-handler reopened after an extension: its new opening's deadline stands, not the old grant's."""
    from types import SimpleNamespace

    from services.followup.domain import tree
    from services.followup.handlers import intake

    kept = {"assignment_opened": {"event_id": "o2", "occurred_at": "2026-11-25T01:00:00+00:00"},
            "assignment_extension_decided": {"event_id": "x1", "occurred_at": "2026-11-24T01:00:00+00:00"}}
    case = SimpleNamespace()
    published = []
    deps = SimpleNamespace(cases=SimpleNamespace(load=lambda number: case,
                                                 last_part_events=lambda number, unit: dict(kept)),
                           dispatch=lambda kind, payload: published.append(payload["event_id"]))
    monkeypatch.setattr(tree, "standing_events",
                        lambda case, unit: ("assignment_opened", "assignment_extension_decided"))
    assert intake.republish_part(deps, "QD-20261123-00001", "CO")["published"] == ["assignment_opened"]
    kept["assignment_extension_decided"]["occurred_at"] = "2026-11-26T01:00:00+00:00"  # this round's
    assert intake.republish_part(deps, "QD-20261123-00001", "CO")["published"] == [
        "assignment_opened", "assignment_extension_decided"]
    assert published == ["o2", "o2", "x1"]
