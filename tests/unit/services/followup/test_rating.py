"""The citizen's rating link: one use, expiry, and how its answer counts as a callback."""
import datetime as dt

import pytest

from services.followup import domain
from services.followup.domain import InvalidRequest, rating
from shared.contract.rating import link_digest, link_url, new_link_id
from tests.unit.services.followup.test_case import TICKET, apply, clock, hours, walk_to_replied  # noqa: F401

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def test_a_link_is_good_until_used_or_expired():
    link = {"number": "QD-20261126-00042", "used_at": None, "expires_at": rating.expires_at(NOW, 7)}
    assert rating.link_state(link, NOW + dt.timedelta(days=6, hours=23)) == rating.GOOD
    assert rating.link_state(link, NOW + dt.timedelta(days=7)) == rating.EXPIRED
    assert rating.link_state(dict(link, used_at=NOW), NOW) == rating.USED
    assert rating.link_state(dict(link, used_at=NOW), NOW + dt.timedelta(days=30)) == rating.USED
    assert rating.link_state(None, NOW) == rating.UNKNOWN


def test_link_ids_are_short_random_and_kept_only_as_digests():
    one, other = new_link_id(), new_link_id()
    assert len(one) == 12 and one != other and rating.well_formed(one)
    assert link_digest(one) != one and len(link_digest(one)) == 64
    assert link_url("https://12345.city.gov.cn/", one) == f"https://12345.city.gov.cn/r/{one}"
    for bad in ("", "short", "x" * 40, "../../etc/passwd", "有中文的链接标识符号", None, 12):
        assert not rating.well_formed(bad)


@pytest.mark.parametrize("solved, satisfaction, outcome", [
    ("solved", "satisfied", "resolved"), ("partly", "basically_satisfied", "partly_resolved"),
    ("unsolved", "dissatisfied", "unresolved")])
def test_the_pages_answers_are_a_callbacks(solved, satisfaction, outcome):
    said = rating.callback_answer(solved, satisfaction, " 谢谢 ")
    assert said == {"outcome": outcome, "satisfaction": satisfaction, "note": "谢谢"}


def test_bad_answers_are_refused_by_field():
    with pytest.raises(InvalidRequest) as refused:
        rating.callback_answer("yes", "very", "x" * 501)
    assert set(refused.value.errors) == {"solved", "satisfaction", "comment"}


@pytest.mark.parametrize("solved, satisfaction, state", [
    ("solved", "satisfied", "closed"), ("solved", "basically_satisfied", "closed"),
    ("solved", "dissatisfied", "assigned"), ("partly", "satisfied", "assigned"),
    ("unsolved", "basically_satisfied", "assigned")])
def test_the_link_closes_or_reopens_as_a_callback_does(clock, solved, satisfaction, state):  # noqa: F811
    case = walk_to_replied(clock)
    case = apply(case, domain.approve_reply(case, "审核员", TICKET, hours(6), clock))
    said = rating.callback_answer(solved, satisfaction, "")
    change = case.record_callback(rating.BY_LINK, True, None, said["satisfaction"], said["note"], hours(30),
                                  clock, said["outcome"], channel=rating.CHANNEL)
    assert change.set["state"] == state
    [recorded] = [body for kind, body in change.events if kind == "callback_recorded"]
    assert recorded["channel"] == "sms_link"
    entry = change.ledger[0]
    assert (entry["action"], entry["actor"], entry["channel"]) == ("callback", "市民（短信评价）", "sms_link")


def test_a_link_belongs_to_the_approval_it_was_sent_for():
    assert rating.same_moment(NOW, NOW.replace(tzinfo=None) + dt.timedelta(microseconds=400))  # as stored
    assert rating.same_moment(NOW, NOW.isoformat())  # as listed
    assert not rating.same_moment(NOW, NOW + dt.timedelta(days=3)) and not rating.same_moment(NOW, None)
