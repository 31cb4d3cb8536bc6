"""The citizen's rating link in followup's container: notify registers it, the console's
public page answers it -- once, even when two answers arrive at the same moment."""
import eventlet
import pytest

import services.followup.handlers.ratings as ratings
from services.followup.service import FollowupService
from shared.contract import rating
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person
from tests.service.followup.test_exits_service import GOOD_REPLY, KINDS
from tests.service.followup.test_followup_service import NUMBER, assigned


@pytest.fixture
def approved(start_service, recorder, publish, service_config, routing_directory):
    seen = recorder(*[("followup", kind) for kind in KINDS])
    _container, cases = start_service(FollowupService)

    def rpc(method, *args, who=None, principal=None):
        with ServiceRpcProxy("followup", service_config, timeout=15, principal=principal,
                             context_data=context(who or person("李审核"), service_config)) as followup_rpc:
            return getattr(followup_rpc, method)(*args)

    publish("routing", "ticket_assigned", assigned())
    seen.wait_for("followup", "case_opened")
    token = rpc("create_department_token", "WATER")["token"]
    rpc("sign_for", token, NUMBER, "张工")
    rpc("submit_reply", token, NUMBER, GOOD_REPLY, [], "张工")
    case = rpc("review_reply", NUMBER, "李审核", True, "")
    link_id = rating.new_link_id()
    rpc("register_rating_link", NUMBER, rating.link_digest(link_id), case["approved_at"], principal="notify")
    return rpc, seen, cases, link_id


def test_two_answers_at_once_take_the_link_once(approved, monkeypatch):
    """Both answers read the link as good before either takes it (held on purpose);
    the store's conditional take lets one through: one callback, the other told "used"."""
    rpc, seen, cases, link_id = approved
    read, both_read = [], eventlet.event.Event()
    checked = ratings._checked

    def held_link(deps, link_id):
        found = checked(deps, link_id)
        read.append(found[2])
        if len(read) == 2:
            both_read.send(True)
        both_read.wait(timeout=10)
        return found
    monkeypatch.setattr(ratings, "_checked", held_link)

    def answer(satisfaction):
        return rpc("submit_rating", link_id, "solved", satisfaction, "", principal="console")["state"]
    first = eventlet.spawn(answer, "satisfied")
    second = eventlet.spawn(answer, "dissatisfied")
    results = sorted([first.wait(), second.wait()])
    assert read == ["good", "good"]
    assert results == ["recorded", "used"]
    callbacks = seen.wait_for("followup", "callback_recorded")
    eventlet.sleep(0.3)
    assert len(seen.of("followup", "callback_recorded")) == 1 and callbacks[0]["channel"] == "sms_link"
    ledger = [e for e in cases.get(NUMBER)["ledger"] if e["action"] == "callback"]
    assert len(ledger) == 1 and ledger[0]["actor"] == "市民（短信评价）"


def test_a_callback_agent_first_then_the_link_is_refused_politely(approved):
    rpc, seen, cases, link_id = approved
    shown = rpc("rating_form", link_id, principal="console")
    assert shown["state"] == "good" and shown["reply"] == GOOD_REPLY and set(shown) == {
        "state", "number", "category", "reply", "expires_at"}  # nothing of the citizen's
    old = rating.new_link_id()  # one sent for an approval 8 days ago: expired (7 days by default)
    rpc("register_rating_link", NUMBER, rating.link_digest(old), "2020-01-01T00:00:00+00:00", principal="notify")
    assert rpc("submit_rating", old, "solved", "satisfied", "", principal="console")["state"] == "expired"
    assert rpc("callbacks_due")["items"][0]["rating_link"] is not None  # the team sees the link waits
    rpc("record_callback", NUMBER, "", True, None, "satisfied", "", "resolved", who=person("赵回访", roles=("callback",)))
    assert rpc("submit_rating", link_id, "unsolved", "dissatisfied", "", principal="console")["state"] == "answered"
    assert cases.get(NUMBER)["state"] == "closed"
    assert rpc("rating_form", "x" * 12, principal="console") == {"state": "unknown"}
