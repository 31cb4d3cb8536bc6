"""notify's rating SMS: one per approval however often the event comes, and the link never listed."""
from types import SimpleNamespace

from services.notify.handlers import ratings
from shared.contract import rating
from shared.contract.events import utcnow
from tests.unit.services.notify.test_notify_store import repository, rules

NUMBER = "QD-20261126-00042"


def test_one_rating_sms_per_approval_and_its_link_is_the_citizens_alone():
    repo, (_ladder, notices) = repository(), rules()
    registered = []

    def register(number, digest, approved_at):
        registered.append((number, digest))
        return {"number": number, "expires_at": "2026-12-03T02:00:00+00:00"}
    deps = SimpleNamespace(watches=repo, clock=SimpleNamespace(now=utcnow),
                           rules=SimpleNamespace(notices=notices, console_url="https://12345.city.example"),
                           register_rating_link=register)
    event = {"number": NUMBER, "event_id": "ev-1", "approved_at": utcnow().isoformat()}
    ratings.send_rating_link(deps, event)
    ratings.send_rating_link(deps, event)  # redelivered
    [sms] = list(repo.notifications.find({"template": "rating_link"}))
    assert len(registered) == 1 and sms["audience"] == "citizen" and sms["channel"] == "citizen"
    link_id = sms["body"].split("/r/")[1].split()[0]
    assert rating.link_digest(link_id) == registered[0][1] and NUMBER in sms["body"]
    assert "2026-12-03" in sms["body"]  # until when, in the city's time
    [listed] = repo.list_notifications(NUMBER)
    assert link_id not in listed["body"] and "/r/…" in listed["body"]

    ratings.send_rating_link(deps, dict(event, event_id="ev-2"))  # approved again after a reopening
    assert len(registered) == 2 and repo.notifications.count_documents({"template": "rating_link"}) == 2


def test_followup_away_means_no_link_and_no_sms():
    repo, (_ladder, notices) = repository(), rules()
    deps = SimpleNamespace(watches=repo, clock=SimpleNamespace(now=utcnow),
                           rules=SimpleNamespace(notices=notices, console_url="https://12345.city.example"),
                           register_rating_link=lambda *args: None)
    ratings.send_rating_link(deps, {"number": NUMBER, "event_id": "ev-1", "approved_at": utcnow().isoformat()})
    assert repo.notifications.count_documents({}) == 0  # a link followup does not know would be a 404


def test_a_proactive_case_tells_no_citizen_anything_and_sends_no_rating_link():
    from services.notify.domain.messages import messages

    repo, (_ladder, notices) = repository(), rules()
    registered = []
    deps = SimpleNamespace(watches=repo, clock=SimpleNamespace(now=utcnow),
                           rules=SimpleNamespace(notices=notices, console_url="https://12345.city.example"),
                           register_rating_link=lambda *args: registered.append(args) or {"expires_at": None})
    ratings.send_rating_link(deps, {"number": NUMBER, "event_id": "ev-1", "approved_at": utcnow().isoformat(),
                                    "callback": False})
    assert registered == [] and repo.notifications.count_documents({}) == 0
    opened = {"number": NUMBER, "department_code": "WATER", "attempt": 1}
    assert [m.audience for m in messages("opened", opened)] == ["citizen", "department"]
    assert [m.audience for m in messages("opened", dict(opened, request_type="proactive"))] == ["department"]
    assert messages("assigned", dict(opened, request_type="proactive")) == []
    approved = {"number": NUMBER, "event_id": "ev-1", "text": "已整改"}
    assert [m.audience for m in messages("reply_approved", approved)] == ["citizen"]
    assert messages("reply_approved", dict(approved, callback=False)) == []
