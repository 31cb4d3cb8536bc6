"""A call's record is the same whatever order its events came in, and however often."""
import datetime as dt
import itertools

import pytest

from services.callcentre.domain.calls import CallEvent, fold, tally

T0 = dt.datetime(2026, 12, 1, 9, 0, 0, tzinfo=dt.UTC)


def ev(event, seconds, **extra):
    base = dict(call_id="c1", event=event, at=T0 + dt.timedelta(seconds=seconds), from_number="13853212345",
                to_number="12345", direction="in")
    return CallEvent(**dict(base, **extra))


ANSWERED = [ev("newCall", 0, users=("op7", "op8"), queue="main"),
            ev("answer", 12, answering_number="op7", seat="A-12"),
            ev("hangup", 200, cause="normalClearing", recording_url="https://pbx.example/rec/c1.wav")]
# A PBX that reports the hangup twice, seconds apart, with another cause and another queue.
TWICE = ANSWERED + [ev("hangup", 203, cause="busy", queue="overflow", answering_number="op8")]
ABANDONED = [ev("newCall", 0, users=("op7",), queue="main"), ev("hangup", 40, cause="cancel")]


@pytest.mark.parametrize("events", [ANSWERED, TWICE, ABANDONED], ids=["answered", "hangup-twice", "abandoned"])
def test_every_order_of_a_calls_events_gives_one_record(events):
    records = {fold(list(order)) for order in itertools.permutations(events)}
    assert len(records) == 1


@pytest.mark.parametrize("events", [ANSWERED, ABANDONED], ids=["answered", "abandoned"])
def test_a_repeated_event_counts_once(events):
    once = fold(events)
    assert fold(events + events[:1] + events) == once
    assert once.events == len(events)


def test_an_answered_call_is_derived_from_its_events():
    record = fold(reversed(ANSWERED))
    assert record.outcome == "answered" and not record.missed
    assert (record.agent, record.queue, record.seat, record.users) == ("op7", "main", "A-12", ("op7", "op8"))
    assert record.wait_seconds == 12 and record.talk_seconds == 188
    assert record.answered_within(15) and not record.answered_within(10)
    assert record.recording_url.endswith("c1.wav")


def test_of_two_hangups_the_first_ends_the_call():
    record = fold(reversed(TWICE))
    assert (record.ended_at, record.cause, record.queue, record.agent) == (ANSWERED[2].at, "normalClearing", "main", "op7")


def test_a_caller_who_gave_up_is_abandoned_and_missed():
    record = fold(ABANDONED)
    assert record.outcome == "abandoned" and record.missed and record.wait_seconds == 40
    assert fold([ev("newCall", 0), ev("hangup", 30, cause="noAnswer")]).outcome == "unanswered"
    assert not fold([ev("newCall", 0), ev("hangup", 30, cause="forwarded")]).missed
    assert not fold([ev("newCall", 0, direction="out"), ev("hangup", 9, direction="out", cause="cancel")]).missed


def test_a_call_still_ringing_or_talking_is_not_ended():
    assert fold(ANSWERED[:1]).outcome == "ringing"
    assert fold(ANSWERED[:2]).outcome == "talking"
    assert fold(ANSWERED[1:2]).ringing_at == ANSWERED[1].at  # no newCall yet: the first event's time


def test_the_figures_count_ended_inbound_calls():
    late = [ev("newCall", 0, call_id="c2"), ev("answer", 20, call_id="c2", answering_number="op8"),
            ev("hangup", 80, call_id="c2")]
    group = tally([fold(ANSWERED), fold(ABANDONED[:1] + [ev("hangup", 40, cause="cancel")]), fold(late),
                   fold(ANSWERED[:2])], 15).figures()
    assert (group["offered"], group["answered"], group["answered_in_target"], group["abandoned"]) == (3, 2, 1, 1)
    assert group["abandon_wait_mean"] == 40 and group["aht_seconds"] == (188 + 60) / 2 and group["agents"] == 2


def test_the_events_of_two_calls_are_not_one_record():
    with pytest.raises(ValueError):
        fold([ev("newCall", 0), ev("hangup", 3, call_id="other")])
