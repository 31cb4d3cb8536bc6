"""notify and a case on hold (挂账): no card while it is held, and on its recheck
day (a moved clock) one ``hold_recheck_due``; the case back with its department
(``hold_rechecked``) is chased again."""
import datetime as dt

from services.notify.service import NotifyService
from shared.contract import events
from tests.service.conftest import settle
from tests.service.notify.test_notify import (  # noqa: F401  (fixtures)
    move_clock_to,
    notify_config,
    notify_rpc,
    open_case,
    smtp,
    webhooks,
)
from tests.service.receivers import wait_until


def test_a_case_on_hold_is_not_chased_and_is_rechecked_on_its_day(
        container_factory, notify_config, notify_rpc, recorder, publish, smtp):  # noqa: F811
    seen = recorder(("notify", "ticket_escalated"), ("notify", "hold_recheck_due"),
                    ("notify", "deadline_watched"))
    container_factory(NotifyService, notify_config).start()
    case = open_case(publish, "QD-H", days_to_reply=2)
    now = events.utcnow()
    publish("followup", "case_signed_for", events.new_event(
        events.CaseSignedFor, number="QD-H", department_code="ENVIRONMENT", signed_at=now))
    recheck_at = (now + dt.timedelta(days=30)).replace(microsecond=0)
    publish("followup", "hold_decided", events.new_event(
        events.HoldDecided, number="QD-H", department_code="ENVIRONMENT", approved=True, reason="纳入预算",
        recheck_on=recheck_at.date().isoformat(), recheck_at=recheck_at, decided_by="王督办",
        decided_at=now + dt.timedelta(seconds=1)))
    wait_until(lambda: smtp.to("dept@city.test") and any(
        "挂账" in m["Subject"] for m in smtp.to("dept@city.test")), what="the department told of the hold")

    # well past the reply deadline, before the recheck day: nothing
    move_clock_to(notify_rpc, dt.datetime.fromisoformat(case["deadline"]) + dt.timedelta(days=5))
    settle(1.0)
    assert seen.of("notify", "ticket_escalated") == [] and seen.of("notify", "hold_recheck_due") == []

    move_clock_to(notify_rpc, recheck_at)
    [due] = seen.wait_for("notify", "hold_recheck_due")
    assert due["number"] == "QD-H" and due["department_code"] == "ENVIRONMENT"
    assert dt.datetime.fromisoformat(due["recheck_at"]) == recheck_at
    settle(1.0)  # ten more ticks: once
    assert len(seen.of("notify", "hold_recheck_due")) == 1 and seen.of("notify", "ticket_escalated") == []

    # followup takes it back: a new round, chased again against its new deadline
    deadline = recheck_at + dt.timedelta(days=2)
    publish("followup", "hold_rechecked", events.new_event(
        events.HoldRechecked, number="QD-H", department_code="ENVIRONMENT", deadline=deadline,
        recheck_on=recheck_at.date().isoformat(), rechecked_at=recheck_at + dt.timedelta(seconds=61)))
    # the new round's watch is announced; the first round's announcement can be heard more than
    # once (seen in about one run in three), so look for the new one by its deadline
    wait_until(lambda: any(dt.datetime.fromisoformat(w["deadline"]) == deadline
                           for w in seen.of("notify", "deadline_watched")), what="the new round's watch")
    move_clock_to(notify_rpc, deadline)
    levels = [e["level"] for e in seen.wait_for("notify", "ticket_escalated", count=2)]
    assert levels[:2] == ["yellow_card", "red_card"]  # signed for already: no sign-for reminder
