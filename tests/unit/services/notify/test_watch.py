"""notify's Watch aggregate: transitions return what they change and the events they
cause. Pure: neither nameko nor a store."""
import datetime as dt
from zoneinfo import ZoneInfo

from services.notify.domain.ladder import Ladder
from services.notify.domain.watch import DeadlineWatched, TicketEscalated, Watch, new_watch, part_event, part_key
from shared.timelimits.calendar import WeekendCalendar

ZONE = ZoneInfo("Asia/Shanghai")


def local(*args):
    return dt.datetime(*args, tzinfo=ZONE).astimezone(dt.UTC)


def opened(attempt=1, department="HRSS", event_id="e1"):
    return {"event_id": event_id, "number": "QD-1", "department_code": department, "attempt": attempt,
            "opened_at": local(2026, 11, 23, 9), "deadline": local(2026, 11, 30, 9),
            "sign_for_deadline": local(2026, 11, 24, 9)}


def test_an_opened_case_starts_a_round_and_announces_its_watch():
    watch = Watch.from_doc(dict(new_watch("QD-1", local(2026, 11, 23, 9)), _id="w1"))
    learned = watch.learn("opened", opened(), local(2026, 11, 23, 9))
    assert learned.changes["round"] == 1 and learned.changes["department_code"] == "HRSS"
    assert learned.reschedules
    assert learned.watched(local(2026, 11, 24, 9)) == DeadlineWatched(
        number="QD-1", deadline=local(2026, 11, 30, 9), next_check_at=local(2026, 11, 24, 9),
        department_code="HRSS", attempt=1)
    assert [m.template for m in learned.messages] == ["receipt", "new_case"]
    assert watch.round == 0  # learning changes nothing until the repository saves it


def test_an_event_heard_twice_is_known_and_a_late_one_changes_nothing():
    doc = dict(new_watch("QD-1", None), _id="w1", applied=["e1"])
    doc.update(Watch.from_doc(doc).changes("opened", opened(attempt=2, department="ENERGY"), None))
    watch = Watch.from_doc(doc)
    assert watch.has_applied("e1") and not watch.has_applied("e2")
    late = watch.learn("opened", opened(attempt=1, event_id="e0"), None)
    assert late.changes is None and not late.reschedules


def test_the_steps_taken_are_the_ticket_escalated_events_of_this_round():
    doc = dict(new_watch("QD-1", None), _id="w1")
    doc.update(Watch.from_doc(doc).changes("opened", opened(), local(2026, 11, 23, 9)))
    watch, ladder = Watch.from_doc(doc), Ladder(WeekendCalendar(), ZONE)
    now = local(2026, 11, 30, 9)
    taken = watch.take_steps(ladder.due(doc, now), now)
    assert [(e.level, e.step_key) for e in taken] == [
        ("sign_for_reminder", "1:sign_for_reminder"), ("yellow_card", "1:yellow_card"), ("red_card", "1:red_card")]
    assert taken[-1] == TicketEscalated(number="QD-1", department_code="HRSS", level="red_card",
                                        reason="deadline passed", deadline=local(2026, 11, 30, 9),
                                        escalated_at=now, step_key="1:red_card")
    assert ladder.next_check(watch.after_steps(taken)) == local(2026, 12, 2, 9)


# -- a part of a case another unit holds (co-handling, passed down): a watch of its own ---------

def part(event_type, **more):
    body = {"event_id": f"p-{event_type}", "number": "QD-1", "department_code": "D-SHINAN",
            "unit_code": "S-BADAGUAN", "role": "down", "parent_unit_code": "D-SHINAN", **more}
    return part_event(event_type, body)


def learn_part(doc, event_type, now=None, **more):
    kind, event = part(event_type, **more)
    learned = Watch.from_doc(doc).learn(kind, event, now)
    return dict(doc, **(learned.changes or {})), learned


def test_a_part_has_its_own_watch_chasing_its_unit_and_told_as_the_ticket():
    kind, event = part("assignment_opened", assigned_at=local(2026, 11, 23, 9), deadline=local(2026, 11, 27, 9),
                       sign_for_deadline=local(2026, 11, 24, 9))
    assert event["number"] == part_key("QD-1", "S-BADAGUAN") == "QD-1@S-BADAGUAN"
    doc = dict(new_watch(event["number"], None), _id="w2")
    doc, learned = learn_part(doc, "assignment_opened", assigned_at=local(2026, 11, 23, 9),
                              deadline=local(2026, 11, 27, 9), sign_for_deadline=local(2026, 11, 24, 9))
    assert doc["department_code"] == "S-BADAGUAN" and doc["ticket_number"] == "QD-1"
    assert not learned.reschedules  # intake hears of the ticket's own watch only
    assert [m.audience for m in learned.messages if m.template == "new_case"] == ["department"]
    now = local(2026, 11, 27, 10)
    taken = Watch.from_doc(doc).take_steps(Ladder(WeekendCalendar(), ZONE).due(doc, now), now)
    assert {(e.number, e.department_code) for e in taken} == {("QD-1", "S-BADAGUAN")}
    assert "red_card" in [e.level for e in taken]


def test_a_parts_refusal_pauses_its_chase_until_reviewed_and_its_end_stops_it():
    doc = dict(new_watch("QD-1@S-BADAGUAN", None), _id="w2")
    doc, _ = learn_part(doc, "assignment_opened", assigned_at=local(2026, 11, 23, 9),
                        deadline=local(2026, 11, 27, 9), sign_for_deadline=local(2026, 11, 24, 9))
    doc, _ = learn_part(doc, "assignment_refused", refused_at=local(2026, 11, 23, 10), reason="r", reviewer="D")
    assert doc["state"] == "refused" and Ladder(WeekendCalendar(), ZONE).next_check(doc) is None
    doc, _ = learn_part(doc, "refusal_reviewed", approved=False, reviewed_at=local(2026, 11, 23, 11),
                        reviewer="D-SHINAN")
    assert doc["state"] == "watching"
    doc, _ = learn_part(doc, "assignment_replied", replied_at=local(2026, 11, 24, 9))
    doc, _ = learn_part(doc, "assignment_reviewed", accepted=True, reviewed_at=local(2026, 11, 24, 10),
                        reviewer="D-SHINAN")
    assert doc["state"] == "closed"
    assert part_event("assignment_refused", {"number": "QD-1", "unit_code": "D", "role": "lead"}) is None


def test_a_parts_granted_extension_moves_its_watchs_deadline_and_tells_its_unit():
    doc = dict(new_watch("QD-1@S-BADAGUAN", None), _id="w2")
    doc, _ = learn_part(doc, "assignment_opened", assigned_at=local(2026, 11, 23, 9),
                        deadline=local(2026, 11, 27, 9), sign_for_deadline=local(2026, 11, 24, 9))
    doc, learned = learn_part(doc, "assignment_extension_decided", granted=True, working_days=3,
                              deadline=local(2026, 12, 2, 9), reason="", reviewer="D-SHINAN",
                              decided_at=local(2026, 11, 24, 9))
    assert doc["deadline"] == local(2026, 12, 2, 9)
    assert [(m.template, m.audience) for m in learned.messages] == [("extension_decided", "department")]
    ladder, now = Ladder(WeekendCalendar(), ZONE), local(2026, 11, 27, 10)  # past the old deadline
    assert "red_card" not in [step.name for step in ladder.due(doc, now)]


OPENED = {"assigned_at": local(2026, 11, 23, 9), "deadline": local(2026, 11, 27, 9),
          "sign_for_deadline": local(2026, 11, 24, 9)}


def test_a_parts_end_stops_its_watch_whichever_way_it_ended():
    for outcome in ("done", "refused", "withdrawn"):
        doc = dict(new_watch("QD-1@S-BADAGUAN", None), _id="w2")
        doc, _ = learn_part(doc, "assignment_opened", **OPENED)
        doc, learned = learn_part(doc, "assignment_ended", outcome=outcome, ended_at=local(2026, 11, 24, 9))
        assert doc["state"] == "closed" and learned.messages == []
        assert Ladder(WeekendCalendar(), ZONE).next_check(doc) is None


def test_a_parts_end_heard_before_its_opening_keeps_it_ended_and_named():
    doc = dict(new_watch("QD-1@S-BADAGUAN", None), _id="w2")
    doc, _ = learn_part(doc, "assignment_ended", outcome="withdrawn", ended_at=local(2026, 11, 23, 10))
    assert (doc["state"], doc["ticket_number"]) == ("closed", "QD-1")  # the reconciler finds it by ticket
    doc, learned = learn_part(doc, "assignment_opened", **OPENED)
    assert learned.changes is None and doc["state"] == "closed"


def test_a_part_given_again_after_its_end_is_watched_again_in_a_new_round():
    """A co-handler's new round on reopening (重办), or a unit given a part once more: its watch
    ended, and starts again -- else the open part would have no running watch."""
    doc = dict(new_watch("QD-1@S-BADAGUAN", None), _id="w2")
    doc, _ = learn_part(doc, "assignment_opened", **OPENED)
    doc, _ = learn_part(doc, "assignment_ended", outcome="done", ended_at=local(2026, 11, 24, 9))
    again = {"assigned_at": local(2026, 11, 25, 9), "deadline": local(2026, 11, 30, 9),
             "sign_for_deadline": local(2026, 11, 26, 9)}
    doc, learned = learn_part(dict(doc, applied=[]), "assignment_opened", **again)
    assert (doc["state"], doc["round"], doc["deadline"]) == ("watching", 2, again["deadline"])
    assert doc["closed_at"] is None and not learned.reschedules


def test_a_parts_refusal_heard_before_its_opening_keeps_the_chase_paused():
    doc = dict(new_watch("QD-1@S-BADAGUAN", None), _id="w2")
    doc, _ = learn_part(doc, "assignment_refused", refused_at=local(2026, 11, 23, 10), reason="r", reviewer="D")
    doc, _ = learn_part(doc, "assignment_opened", **OPENED)
    assert doc["state"] == "refused" and doc["deadline"] == OPENED["deadline"]
    assert Ladder(WeekendCalendar(), ZONE).next_check(doc) is None


def held_watch(approved=True):
    doc = dict(new_watch("QD-1", None), _id="w1")
    doc.update(Watch.from_doc(doc).changes("opened", opened(), local(2026, 11, 23, 9)))
    doc.update(Watch.from_doc(doc).changes("signed_for", {"number": "QD-1", "department_code": "HRSS",
                                                          "signed_at": local(2026, 11, 23, 10)}, None))
    decided = {"event_id": "h1", "number": "QD-1", "department_code": "HRSS", "approved": approved,
               "recheck_at": local(2027, 3, 1, 0), "recheck_on": "2027-03-01",
               "decided_at": local(2026, 11, 24, 9), "reason": ""}
    learned = Watch.from_doc(doc).learn("hold_decided", decided, local(2026, 11, 24, 9))
    doc.update(learned.changes or {})
    return doc, learned


def test_a_case_on_hold_is_not_chased_and_is_rechecked_on_its_day():
    doc, learned = held_watch()
    assert [m.template for m in learned.messages] == ["hold_decided"]
    ladder = Ladder(WeekendCalendar(), ZONE)
    assert ladder.due(doc, local(2027, 2, 28, 23)) == []  # past the deadline: no card while on hold
    assert ladder.next_check(doc) == local(2027, 3, 1, 0)
    taken = Watch.from_doc(doc).take_steps(ladder.due(doc, local(2027, 3, 1, 8)), local(2027, 3, 1, 8))
    assert [(type(e).__name__, e.step_key) for e in taken] == [("HoldRecheckDue", "1:hold_recheck")]
    assert taken[0].recheck_at == local(2027, 3, 1, 0)
    assert ladder.next_check(Watch.from_doc(doc).after_steps(taken)) is None  # once


def test_a_rejected_hold_leaves_the_chase_as_it_was():
    doc, learned = held_watch(approved=False)
    assert learned.changes is None and not doc.get("on_hold")
    assert [m.template for m in learned.messages] == ["hold_decided"]


def test_the_case_back_from_hold_starts_a_new_round_signed_for():
    doc, _ = held_watch()
    back = {"event_id": "r1", "number": "QD-1", "department_code": "HRSS", "deadline": local(2027, 3, 8, 0),
            "sign_for_deadline": local(2026, 11, 24, 9), "recheck_on": "2027-03-01",
            "rechecked_at": local(2027, 3, 1, 8), "attempt": 1}
    learned = Watch.from_doc(doc).learn("hold_rechecked", back, local(2027, 3, 1, 8))
    assert learned.reschedules and learned.changes["round"] == 2
    assert learned.changes["on_hold"] is False and learned.changes["signed_for"] is True
    assert [m.template for m in learned.messages] == ["hold_rechecked"]
    doc.update(learned.changes)
    steps = [s.name for s in Ladder(WeekendCalendar(), ZONE).steps(doc)]
    assert "sign_for_reminder" not in steps and "red_card" in steps
    assert Watch.from_doc(doc).changes("hold_rechecked", back, None) is None  # heard again


def test_a_hold_heard_before_the_case_opened_still_holds():
    doc = dict(new_watch("QD-1", None), _id="w1")
    decided = {"event_id": "h1", "number": "QD-1", "department_code": "HRSS", "approved": True,
               "recheck_at": local(2027, 3, 1, 0), "recheck_on": "2027-03-01",
               "decided_at": local(2026, 11, 24, 9), "reason": ""}
    doc.update(Watch.from_doc(doc).changes("hold_decided", decided, None))
    doc.update(Watch.from_doc(doc).changes("opened", opened(), local(2026, 11, 23, 9)))
    assert [s.name for s in Ladder(WeekendCalendar(), ZONE).steps(doc)] == ["hold_recheck"]
