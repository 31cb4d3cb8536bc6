"""intake in a container: HTTP and RPC in, ticket_created out."""
import time

from services.intake.service import IntakeService
from shared.contract import events
from shared.platform.principals import ServiceRpcProxy
from tests.people import context

TICKET = {"title": "工地夜间施工噪音扰民", "description": "每天晚上十一点以后还在施工",
          "caller_name": "李强", "caller_phone": "13853212345", "district": "市南区"}


def test_post_stores_publishes_and_answers_with_a_number(start_service, recorder, web_session):
    seen = recorder(("intake", "ticket_created"))
    _, tickets = start_service(IntakeService)

    response = web_session.post("/tickets", json=TICKET)

    assert response.status_code == 201
    number = response.json()["number"]
    assert number.startswith("QD-")
    created = seen.wait_for("intake", "ticket_created")[0]
    assert created["number"] == number
    assert created["caller_phone"] == "138****2345"  # masked on the wire
    assert created["title"] == TICKET["title"]
    assert tickets.get(number)["caller"]["phone"] == "13853212345"
    receipt = response.json()
    assert set(receipt) == {"number", "lookup_code", "status", "received_at"}
    status = web_session.get(f"/tickets/{number}", headers={"X-Lookup-Code": receipt["lookup_code"]}).json()
    assert status["status"] == "received"
    assert "caller_phone" not in status and "description" not in status and "history" not in status
    by_phone = web_session.get(f"/tickets/{number}", headers={"X-Phone-Last4": "2345"})
    assert by_phone.status_code == 200 and by_phone.json() == status


def test_invalid_post_gets_400_with_field_errors_and_stores_nothing(start_service, web_session):
    _, tickets = start_service(IntakeService)

    response = web_session.post("/tickets", json={"title": "", "caller_phone": "12", "district": "朝阳区",
                                                  "urgency": "soon"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "caller_phone", "district", "urgency"}
    # the same errors coded beside the English (shared/contract/field_errors.py)
    codes = response.json()["error_codes"]
    assert codes["caller_phone"] == [{"code": "phone", "params": {}}]
    assert codes["urgency"][0]["code"] == "one_of" and codes["district"][0]["code"] == "unknown_district"
    assert tickets.tickets.count_documents({}) == 0


def test_body_that_is_not_json_gets_400(start_service, web_session):
    _, tickets = start_service(IntakeService)
    response = web_session.post("/tickets", data="{not json",
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "_body" in response.json()["errors"]
    assert tickets.tickets.count_documents({}) == 0


def test_an_unknown_number_and_a_wrong_proof_answer_alike(start_service, web_session):
    start_service(IntakeService)
    number = web_session.post("/tickets", json=TICKET).json()["number"]

    unknown = web_session.get("/tickets/QD-19990101-00001", headers={"X-Lookup-Code": "12345678"})
    wrong = web_session.get(f"/tickets/{number}", headers={"X-Lookup-Code": "12345678"})
    wrong_phone = web_session.get(f"/tickets/{number}", headers={"X-Phone-Last4": "0000"})
    no_proof = web_session.get(f"/tickets/{number}")

    assert unknown.status_code == wrong.status_code == wrong_phone.status_code == 404
    assert unknown.content == wrong.content == wrong_phone.content
    assert no_proof.status_code == 401
    assert web_session.get("/tickets/QD-19990101-00001").content == no_proof.content


def test_numbers_are_unique_and_sequential(start_service, service_config):
    start_service(IntakeService)
    with ServiceRpcProxy("intake", service_config, context_data=context()) as intake:
        numbers = [intake.submit_ticket(dict(TICKET, caller_phone=f"1385321234{i}"))["number"]
                   for i in range(3)]
    assert len(set(numbers)) == 3
    assert [int(n[-5:]) for n in numbers] == sorted(int(n[-5:]) for n in numbers)


def operator_view(config, number):
    with ServiceRpcProxy("intake", config, context_data=context()) as intake:
        return intake.get_ticket(number)


def test_status_view_follows_assignment_once(start_service, publish, web_session, service_config):
    _, tickets = start_service(IntakeService)
    number = web_session.post("/tickets", json=TICKET).json()["number"]
    now = events.utcnow()
    assigned = events.new_event(
        events.TicketAssigned, number=number, department_code="HOUSING",
        department_name="市住房和城乡建设局", time_limit_class="general", deadline=now,
        sign_for_deadline=now, assigned_at=now, decided_by="routing")

    publish("routing", "ticket_assigned", assigned)
    publish("routing", "ticket_assigned", assigned)  # redelivered

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and operator_view(service_config, number)["status"] != "assigned":
        time.sleep(0.05)
    time.sleep(0.3)
    view = operator_view(service_config, number)
    assert view["status"] == "assigned"
    assert view["department"]["code"] == "HOUSING"
    assert [h["status"] for h in view["history"]] == ["received", "assigned"]


def test_a_late_event_does_not_move_the_status_back(start_service, publish, web_session, service_config):
    """Events of different types come on different queues: a reply approval handled
    after the case closed must not reopen the status view (it still enters the history)."""
    start_service(IntakeService)
    number = web_session.post("/tickets", json=TICKET).json()["number"]
    now = events.utcnow()
    approved = events.new_event(events.ReplyApproved, number=number, department_code="HOUSING",
                                reviewer="审核员", text="已协调停工", approved_at=now, callback_due=now)
    time.sleep(0.01)  # the store keeps milliseconds
    closed = events.new_event(events.CaseClosed, number=number, department_code="HOUSING",
                              reply="已协调停工", resolved=True, satisfaction="satisfied", closed_at=now)

    publish("followup", "case_closed", closed)
    publish("followup", "reply_approved", approved)

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(operator_view(service_config, number)["history"]) < 3:
        time.sleep(0.05)
    view = operator_view(service_config, number)
    assert [h["status"] for h in view["history"]] == ["received", "closed", "reply_approved"]
    assert view["status"] == "closed"


def test_the_status_shows_a_hold_and_then_how_the_case_ended(start_service, publish, web_session, service_config):
    start_service(IntakeService)
    receipt = web_session.post("/tickets", json=TICKET).json()
    number, proof = receipt["number"], {"X-Lookup-Code": receipt["lookup_code"]}
    now = events.utcnow()
    publish("followup", "hold_decided", events.new_event(
        events.HoldDecided, number=number, department_code="HOUSING", approved=True, reason="纳入明年预算",
        recheck_on="2027-03-01", recheck_at=now, decided_by="王督办", decided_at=now))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and operator_view(service_config, number)["status"] != "on_hold":
        time.sleep(0.05)
    assert web_session.get(f"/tickets/{number}", headers=proof).json()["status"] == "on_hold"

    time.sleep(0.01)  # the store keeps milliseconds
    publish("followup", "case_closed", events.new_event(
        events.CaseClosed, number=number, department_code="HOUSING", reply="经核实，反映情况不属实。",
        resolved=False, satisfaction="satisfied", closed_at=events.utcnow(), outcome="untrue"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and operator_view(service_config, number)["status"] != "closed":
        time.sleep(0.05)
    view = operator_view(service_config, number)
    assert view["outcome"] == "untrue" and [h["status"] for h in view["history"]][-1] == "closed"
    public = web_session.get(f"/tickets/{number}", headers=proof).json()
    assert (public["status"], public["outcome"]) == ("closed", "untrue")
    open311 = web_session.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert (open311["status"], open311["outcome"]) == ("closed", "untrue")


def test_a_request_that_comes_back_after_the_case_closed_is_a_rebound(start_service, recorder, publish,
                                                                      web_session, service_config):
    """The same caller about the same matter after followup closed the case as resolved: created and
    dispatched, marked a rebound of the closed ticket, and ``ticket_rebounded`` says so without the phone."""
    seen = recorder(("intake", "ticket_rebounded"))
    start_service(IntakeService)
    first = web_session.post("/tickets", json=TICKET).json()["number"]
    publish("followup", "case_closed", events.new_event(
        events.CaseClosed, number=first, department_code="D-SHINAN", reply="已协调工地停止夜间施工。",
        resolved=True, satisfaction="satisfied", closed_at=events.utcnow(), outcome="resolved"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and operator_view(service_config, first)["status"] != "closed":
        time.sleep(0.05)
    again = dict(TICKET, title="工地又在夜间施工", description="上次处理后停了几天，现在晚上十一点以后又在施工",
                 caller_phone="+86 138 5321 2345")
    second = web_session.post("/tickets", json=again).json()["number"]
    said = seen.wait_for("intake", "ticket_rebounded")[0]
    assert (said["number"], said["rebound_of"], said["basis"]) == (second, first, "caller")
    assert "5321" not in str(said)
    assert operator_view(service_config, second)["rebound_of"] == first
    assert operator_view(service_config, first)["rebounds"] == [second]
