"""followup in a container against the real broker: departments with tokens,
refusal and re-routing, races, rejections, and intake being away."""
import eventlet
import pytest
from nameko.exceptions import RemoteError

from services.followup.service import FollowupService
from shared.contract import events
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person
from tests.service.conftest import settle

NUMBER = "QD-20261126-00042"


def assigned(department="WATER", name="市水务管理局", **extra):
    now = events.utcnow()
    return events.new_event(
        events.TicketAssigned, number=NUMBER, department_code=department, department_name=name,
        time_limit_class="general", deadline=now.replace(year=now.year + 1),
        sign_for_deadline=now.replace(year=now.year + 1), assigned_at=now, decided_by="routing",
        reasons=["停水"], **extra)


@pytest.fixture
def followup(start_service, recorder, publish, service_config, routing_directory):
    seen = recorder(*[("followup", kind) for kind in (
        "case_opened", "case_refused", "case_signed_for", "reply_rejected", "reply_approved")])
    container, cases = start_service(FollowupService)

    def rpc(method, *args, who=None):
        """A real RPC call over the broker, as a department's system (token) or the
        hotline's staff (signed identity) make it."""
        with ServiceRpcProxy("followup", service_config, timeout=15,
                             context_data=context(who or person("李审核"), service_config)) as followup_rpc:
            return getattr(followup_rpc, method)(*args)

    publish("routing", "ticket_assigned", assigned())
    seen.wait_for("followup", "case_opened")
    return rpc, seen, cases


def test_refused_case_goes_to_the_department_routing_chooses_next(followup, publish):
    rpc, seen, cases = followup
    water = rpc("create_department_token", "WATER")["token"]
    rpc("refuse_case", water, NUMBER, "供水管网不属于我局，属小区物业自管", "张工")
    refused = seen.wait_for("followup", "case_refused")[0]
    assert refused["department_code"] == "WATER" and refused["refusal_count"] == 1

    # Routing re-routes with additive fields; a redelivery of it changes nothing.
    rerouted = dict(assigned("D-LAOSHAN", "崂山区人民政府", request_type="complaint"), attempt=2,
                    previous_department_code="WATER")
    publish("routing", "ticket_assigned", rerouted)
    publish("routing", "ticket_assigned", rerouted)
    opened = seen.wait_for("followup", "case_opened", count=2)
    settle()
    assert len(seen.of("followup", "case_opened")) == 2
    assert opened[1]["department_code"] == "D-LAOSHAN" and opened[1]["attempt"] == 2
    # the first assignment had no request type (an older routing); the re-route has one
    assert (opened[0]["request_type"], opened[1]["request_type"]) == (None, "complaint")
    assert rpc("case_detail", NUMBER)["request_type"] == "complaint"
    case = cases.get(NUMBER)
    assert (case["state"], case["department_code"], case["version"]) == ("assigned", "D-LAOSHAN", 2)
    assert [e["action"] for e in case["ledger"]] == ["assigned", "refused", "assigned"]

    # WATER's token no longer reaches the case; the district's does.
    with pytest.raises(Exception, match="not with WATER"):
        rpc("sign_for", water, NUMBER, "张工")
    laoshan = rpc("create_department_token", "D-LAOSHAN")["token"]
    assert [c["number"] for c in rpc("department_cases", laoshan)] == [NUMBER]
    assert rpc("department_cases", water) == []


def test_a_reroute_to_the_co_handler_withdraws_its_part_and_adds_the_co_handlers_named(followup, publish,
                                                                                      recorder):
    """Routing's new assignment (attempt 2) makes the co-handler the lead: followup withdraws its
    co-handling part (``assignment_ended``, notify's watch stops) and adds the co-handler routing
    names now -- once, whatever is redelivered -- never the department whose refusal re-routed it."""
    rpc, seen, cases = followup
    parts = recorder(("followup", "assignment_opened"), ("followup", "assignment_ended"))
    number = "QD-20261126-00045"
    first = dict(assigned(co_handlers=[{"department_code": "HRSS", "department_name": "市人力资源和社会保障局"}]),
                 number=number)
    publish("routing", "ticket_assigned", first)
    parts.wait_for("followup", "assignment_opened")
    water = rpc("create_department_token", "WATER")["token"]
    rpc("refuse_case", water, number, "属于人社局职责", "张工")
    seen.wait_for("followup", "case_refused")
    rerouted = dict(assigned("HRSS", "市人力资源和社会保障局", co_handlers=[
        {"department_code": "HRSS", "department_name": "市人力资源和社会保障局"},
        {"department_code": "WATER", "department_name": "市水务管理局"},
        {"department_code": "D-LAOSHAN", "department_name": "崂山区人民政府"}]),
        number=number, attempt=2, previous_department_code="WATER")
    for event in (rerouted, rerouted, first):  # redelivered, and the first heard again
        publish("routing", "ticket_assigned", event)
    [ended] = parts.wait_for("followup", "assignment_ended")
    opened = parts.wait_for("followup", "assignment_opened", count=2)
    settle()
    assert len(parts.of("followup", "assignment_opened")) == 2 and len(parts.of("followup", "assignment_ended")) == 1
    assert (ended["unit_code"], ended["role"], ended["outcome"]) == ("HRSS", "co", "withdrawn")
    assert (opened[1]["unit_code"], opened[1]["parent_unit_code"]) == ("D-LAOSHAN", "HRSS")
    case = cases.get(number)
    assert case["department_code"] == "HRSS" and "co_handlers_event" in case
    assert [(a["unit_code"], a["state"]) for a in case["assignments"]] == [("HRSS", "withdrawn"),
                                                                           ("D-LAOSHAN", "assigned")]
    assert [(e["action"], e["department_code"]) for e in case["ledger"]][-3:] == [
        ("assigned", "HRSS"), ("part_withdrawn", "HRSS"), ("co_assigned", "D-LAOSHAN")]
    hrss = rpc("create_department_token", "HRSS")["token"]
    assert rpc("sign_for", hrss, number, "刘科员")["state"] == "signed_for"  # as the lead


def test_two_sign_fors_at_once_one_wins(followup):
    rpc, seen, cases = followup
    token = rpc("create_department_token", "WATER")["token"]
    results = []

    def sign(actor):
        try:
            results.append(rpc("sign_for", token, NUMBER, actor)["state"])
        except RemoteError as exc:
            results.append(f"{exc.exc_type}: {exc.value}")

    pool = eventlet.GreenPool()
    for actor in ("甲", "乙", "丙"):
        pool.spawn(sign, actor)
    pool.waitall()
    assert results.count("signed_for") == 1
    assert sum(r.startswith("TransitionRefused") and "cannot sign for it" in r for r in results) == 2
    assert len(seen.wait_for("followup", "case_signed_for")) == 1
    ledger = cases.get(NUMBER)["ledger"]
    assert [e["action"] for e in ledger].count("signed_for") == 1


def test_each_rejection_is_counted_and_published(followup):
    rpc, seen, cases = followup
    token = rpc("create_department_token", "WATER")["token"]
    rpc("sign_for", token, NUMBER, "张工")
    for n in range(3):
        rpc("submit_reply", token, NUMBER, "已转相关部门", [], "张工")
        checked = rpc("check_reply", NUMBER)  # intake is not running here
        assert {"boilerplate", "overlap_not_checked"} <= {f["code"] for f in checked["findings"]}
        rpc("review_reply", NUMBER, "李审核", False, f"第{n + 1}次：答非所问")
    counts = [e["rejection_count"] for e in seen.wait_for("followup", "reply_rejected", count=3)]
    assert counts == [1, 2, 3]
    ledger = cases.get(NUMBER)["ledger"]
    assert [e["findings"][0]["code"] for e in ledger if e["action"] == "rejected"] == ["too_short"] * 3


def test_unknown_department_and_bad_token(followup):
    rpc, _, _ = followup
    with pytest.raises(Exception, match="no department NOPE in routing's directory"):
        rpc("create_department_token", "NOPE")
    with pytest.raises(Exception, match="valid department token"):
        rpc("sign_for", "forged", NUMBER)
    # An empty or garbled token is a token that fails, never "no token" (then the
    # signed-in person would be asked instead), on every RPC that takes one.
    for token in ("", "-", " ", "x" * 31, "Bearer"):
        for method, args in (("case_detail", (NUMBER, token)), ("case_contact", (NUMBER, token)),
                             ("get_attachment", (NUMBER, "f", token)), ("sign_for", (token, NUMBER)),
                             ("department_cases", (token,)), ("department_inbox", (token,)),
                             ("add_attachment", (NUMBER, "a.png", "", token))):
            with pytest.raises(RemoteError, match="NotAuthorized"):
                rpc(method, *args)


def test_http_for_departments(followup, web_session):
    rpc, _, _ = followup
    token = rpc("create_department_token", "WATER")["token"]
    other = rpc("create_department_token", "HRSS")["token"]
    auth = {"Authorization": f"Bearer {token}"}

    assert web_session.get("/cases").status_code == 401
    # Another department's case and a missing one read the same: no existence oracle.
    theirs = web_session.get(f"/cases/{NUMBER}", headers={"Authorization": f"Bearer {other}"})
    missing = web_session.get("/cases/QD-20261126-09999", headers={"Authorization": f"Bearer {other}"})
    assert theirs.status_code == missing.status_code == 404 and theirs.content == missing.content
    assert theirs.json() == {"errors": {"number": ["no such case for your unit"]}}
    assert web_session.get("/cases/QD-0", headers=auth).status_code == 404
    listed = web_session.get("/cases", headers=auth).json()
    assert listed[0]["number"] == NUMBER and listed[0]["refuse_by"] and listed[0]["deadline"]

    assert web_session.post(f"/cases/{NUMBER}/reply", headers=auth, json={"text": "x"}).status_code == 409
    assert web_session.post(f"/cases/{NUMBER}/sign-for", headers=auth, data="{oops").status_code == 400
    assert web_session.post(f"/cases/{NUMBER}/sign-for", headers=auth, json={"actor": "张工"}).json()["state"] == "signed_for"
    bad = web_session.post(f"/cases/{NUMBER}/extension", headers=auth, json={"working_days": 11, "reason": ""})
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
    bad = web_session.post(f"/cases/{NUMBER}/reply", headers=auth, json={"text": "ok", "attachments": ["ftp://x"]})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"attachments"}
    replied = web_session.post(f"/cases/{NUMBER}/reply", headers=auth, json={
        "text": "海尔路小区供水管道11月24日修复", "attachments": ["https://files.example/a.jpg"]})
    assert replied.status_code == 200 and replied.json()["reply"]["attachments"] == ["https://files.example/a.jpg"]
    csv = web_session.get("/scorecard?format=csv")
    assert csv.status_code == 200 and csv.text.splitlines()[1].startswith("WATER,1,0,1,1.0,1,1.0,0,,")


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer -"}, {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer " + "A" * 31}, {"Authorization": "Bearer " + "A" * 32 + " x"},
    {"X-Department-Token": "irrelevant"}])
def test_every_case_route_refuses_a_missing_empty_or_garbled_token(followup, web_session, headers):
    rpc, _, _ = followup
    token = rpc("create_department_token", "WATER")["token"]
    if "X-Department-Token" in headers:  # a valid token, in a header this door does not read
        headers = {"X-Department-Token": token}
    for method, path in (("GET", "/cases"), ("GET", f"/cases/{NUMBER}"), ("GET", f"/cases/{NUMBER}/contact"),
                         ("GET", f"/cases/{NUMBER}/attachments/x"), ("POST", f"/cases/{NUMBER}/sign-for"),
                         ("POST", f"/cases/{NUMBER}/refuse"), ("POST", f"/cases/{NUMBER}/extension"),
                         ("POST", f"/cases/{NUMBER}/reply"), ("POST", f"/cases/{NUMBER}/attachments?filename=a.png"),
                         ("POST", f"/cases/{NUMBER}/unreasonable"), ("POST", f"/cases/{NUMBER}/hold"),
                         ("GET", "/holds")):
        answered = web_session.request(method, path, headers=headers, json={})
        assert answered.status_code == 401, (method, path, answered.text)
        assert set(answered.json()["errors"]) == {"token"}


def department_changed(action, code, version, **fields):
    department = {"code": code, "name": fields.pop("name", f"{code} 局"), "kind": "municipal",
                  "retired": action == "retire", **fields}
    return events.new_event(events.DepartmentChanged, action=action, department=department,
                            version=version, changed_by="张管理", changed_at=events.utcnow())


def test_a_department_routing_adds_gets_a_token_before_its_event_arrives(followup, routing_directory):
    rpc, _, _ = followup
    routing_directory.extra = {"PARKING": {"code": "PARKING", "name": "市停车管理中心", "kind": "municipal",
                                           "retired": False, "version": 7}}
    made = rpc("create_department_token", "PARKING")  # asked of routing on the miss
    assert (made["department_code"], made["department_name"]) == ("PARKING", "市停车管理中心")


def test_followup_learns_renames_and_retirements_from_routings_events(followup, publish, routing_directory):
    rpc, _, cases = followup
    publish("routing", "department_changed", department_changed("add", "PORT", 5, name="港口办"))
    deadline = eventlet.Timeout(5)
    try:
        while True:
            try:
                assert rpc("create_department_token", "PORT")["department_name"] == "港口办"
                break
            except RemoteError:
                eventlet.sleep(0.1)
    finally:
        deadline.cancel()
    publish("routing", "department_changed", department_changed("update", "PORT", 6, name="市港口办"))
    publish("routing", "department_changed", department_changed("update", "PORT", 5, name="旧名"))  # late
    settle(0.5)
    assert rpc("create_department_token", "PORT")["department_name"] == "市港口办"
    publish("routing", "department_changed", department_changed("retire", "PORT", 8, name="市港口办"))
    settle(0.5)
    with pytest.raises(RemoteError, match="PORT is retired"):
        rpc("create_department_token", "PORT")


def test_the_scorecard_rolls_a_street_up_into_its_district(followup, publish, web_session):
    rpc, seen, _ = followup
    street = dict(assigned("S-BADAGUAN", "市南区八大关街道办事处"), number="QD-20261126-00043")
    publish("routing", "ticket_assigned", street)
    seen.wait_for("followup", "case_opened", count=2)
    deadline = eventlet.Timeout(30)  # followup learns the tree from routing's directory at start (slow when busy)
    try:
        while True:
            card = rpc("scorecard")
            if any(line["department"] == "D-SHINAN" for line in card["rolled_up"]):
                break
            eventlet.sleep(0.2)
    finally:
        deadline.cancel()
    assert {line["department"]: line["scope"] for line in card["departments"]} == \
        {"WATER": "unit", "S-BADAGUAN": "unit"}
    district = next(line for line in card["rolled_up"] if line["department"] == "D-SHINAN")
    assert (district["scope"], district["units"], district["dispatched"]) == ("rolled_up", ["S-BADAGUAN"], 1)
    assert card["city"]["dispatched"] == 2
    csv = web_session.get("/scorecard?format=csv").text.splitlines()
    assert any(line.startswith("D-SHINAN,1,") and line.endswith(",rolled_up") for line in csv)
    assert web_session.get("/scorecard").json()["rolled_up"][0]["scope"] == "rolled_up"

def test_a_rebound_from_intake_counts_against_the_unit_that_closed_the_case(followup, publish, web_session):
    """intake's ``ticket_rebounded`` over the broker: the closed case's ledger takes it once under the
    unit that closed it, and the scorecard's closures that held (防反弹) count it."""
    from datetime import datetime

    from tests.service.followup.test_exits_service import GOOD_REPLY

    rpc, seen, cases = followup
    token = rpc("create_department_token", "WATER")["token"]
    rpc("sign_for", token, NUMBER, "张工")
    rpc("submit_reply", token, NUMBER, GOOD_REPLY, [], "张工")
    rpc("review_reply", NUMBER, "李审核", True, "")
    closed = rpc("record_callback", NUMBER, "", True, None, "satisfied", "", "resolved",
                 who=person("赵回访", roles=("callback",)))
    assert (closed["state"], closed["outcome"]) == ("closed", "resolved")
    came_back = events.new_event(
        events.TicketRebounded, number="QD-20261126-00077", rebound_of=NUMBER, basis="caller",
        reason="same caller, same matter", channel="phone", received_at=events.utcnow(),
        closed_at=datetime.fromisoformat(closed["closed_at"]))
    publish("intake", "ticket_rebounded", came_back)
    publish("intake", "ticket_rebounded", came_back)  # a redelivery counts once
    deadline = eventlet.Timeout(15)
    try:
        while not any(e["action"] == "rebounded" for e in cases.get(NUMBER)["ledger"]):
            eventlet.sleep(0.1)
    finally:
        deadline.cancel()
    settle()
    case = cases.get(NUMBER)
    [entry] = [e for e in case["ledger"] if e["action"] == "rebounded"]
    assert (entry["department_code"], entry["rebound"]) == ("WATER", "QD-20261126-00077")
    water = next(line for line in rpc("scorecard")["departments"] if line["department"] == "WATER")
    assert (water["closures_checked"], water["rebounded"], water["held_rate"]) == (1, 1, 0.0)
    header, *rows = web_session.get("/scorecard?format=csv").text.splitlines()
    assert "held_rate" in header.split(",")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_department_appeals_a_late_sign_for_and_a_supervisor_accepts_it(followup, publish, recorder,
                                                                           web_session):
    rpc, _, cases = followup
    seen = recorder(("followup", "appeal_filed"), ("followup", "appeal_decided"))
    late, now = "QD-20261126-00043", events.utcnow()
    publish("routing", "ticket_assigned", dict(assigned(), number=late, received_at=now,
                                               sign_for_deadline=now.replace(year=now.year - 1)))
    water = rpc("create_department_token", "WATER")["token"]
    hrss = rpc("create_department_token", "HRSS")["token"]
    auth = {"Authorization": f"Bearer {water}"}
    for _ in range(50):
        if cases.get(late):
            break
        eventlet.sleep(0.1)
    assert web_session.post(f"/cases/{NUMBER}/sign-for", headers=auth, json={"actor": "张工"}).status_code == 200
    assert web_session.post(f"/cases/{late}/sign-for", headers=auth, json={"actor": "张工"}).status_code == 200
    case = web_session.get(f"/cases/{late}", headers=auth).json()
    entry = next(e for e in case["ledger"] if e["action"] == "signed_for")
    assert (entry["scored"], entry["appealable"], entry["appeal_state"]) == ("late_sign_for", True, None)
    assert not any(e.get("appealable") for e in case["ledger"] if e is not entry)

    body = {"entry_id": entry["entry_id"], "reason": "签收系统当日故障，附运维记录", "actor": "李科长"}
    theirs = web_session.post(f"/cases/{late}/appeals", headers={"Authorization": f"Bearer {hrss}"}, json=body)
    assert theirs.status_code == 404  # only the unit the entry is scored against
    bad = web_session.post(f"/cases/{late}/appeals", headers=auth, json=dict(body, reason=" ", links=["ftp://x"]))
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"reason"}
    upload = web_session.post(f"/cases/{late}/attachments?filename=log.png&purpose=appeal", headers=auth, data=PNG)
    assert upload.status_code == 201
    filed = web_session.post(f"/cases/{late}/appeals", headers=auth, json=dict(
        body, links=["https://ops.example/log/1"], files=[upload.json()["id"]]))
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert (appeal["state"], appeal["scored"], appeal["department_code"]) == ("open", "late_sign_for", "WATER")
    assert appeal["files"][0]["filename"] == "log.png"
    assert web_session.post(f"/cases/{late}/appeals", headers=auth, json=body).status_code == 409  # one open
    assert [a["appeal_id"] for a in web_session.get("/appeals", headers=auth).json()["items"]] == [
        appeal["appeal_id"]]
    assert web_session.get("/appeals", headers={"Authorization": f"Bearer {hrss}"}).json()["total"] == 0
    assert seen.wait_for("followup", "appeal_filed")[0]["entry_id"] == entry["entry_id"]

    def water_line():
        return next(d for d in rpc("scorecard")["departments"] if d["department"] == "WATER")
    line = water_line()
    assert (line["response_rate"], line["response_rate_after_appeal"], line["appeals_accepted"]) == (0.5, 0.5, 0)

    clerk = person("王科员", ("department",), "WATER")
    with pytest.raises(RemoteError, match="NotAllowed"):
        rpc("decide_appeal", appeal["appeal_id"], True, "自己批", who=clerk)
    supervisor = person("赵主任", ("supervisor",))
    with pytest.raises(RemoteError, match="reason"):
        rpc("decide_appeal", appeal["appeal_id"], True, "", who=supervisor)
    decided = rpc("decide_appeal", appeal["appeal_id"], True, "故障属实，不计超时", who=supervisor)
    assert (decided["state"], decided["decided_by"]) == ("accepted", "赵主任")
    with pytest.raises(RemoteError, match="TransitionRefused"):
        rpc("decide_appeal", appeal["appeal_id"], False, "再议", who=supervisor)
    assert seen.wait_for("followup", "appeal_decided")[0]["outcome"] == "accepted"
    line = water_line()
    assert (line["response_rate"], line["response_rate_after_appeal"], line["appeals_accepted"]) == (0.5, 1.0, 1)
    assert rpc("list_appeals", "decided", who=supervisor)["items"][0]["decision_reason"] == "故障属实，不计超时"
    assert rpc("list_appeals", "open", who=supervisor)["total"] == 0

    ledger = web_session.get(f"/cases/{late}", headers=auth).json()["ledger"]
    assert [(e["action"], e["actor"], e["actor_id"], e["department_code"]) for e in ledger[-2:]] == [
        ("appeal_filed", "李科长", "token:WATER", "WATER"), ("appeal_accepted", "赵主任", "test:赵主任", "WATER")]
    assert next(e for e in ledger if e["action"] == "signed_for")["appeal_state"] == "accepted"


def test_a_co_handler_asks_for_an_extension_of_its_part_and_the_centre_grants_it(followup, publish, recorder,
                                                                                   web_session):
    """Over the token API: the co-handler asks for more time for its part (the route the lead uses);
    the lead and other units cannot decide it (404, as for a missing case); the centre's reviewer does."""
    rpc, _, _ = followup
    seen = recorder(("followup", "assignment_opened"), ("followup", "assignment_extension_requested"),
                    ("followup", "assignment_extension_decided"))
    number = "QD-20261126-00044"
    publish("routing", "ticket_assigned", dict(assigned(co_handlers=[
        {"department_code": "HRSS", "department_name": "市人力资源和社会保障局"}]), number=number))
    seen.wait_for("followup", "assignment_opened")
    hrss, water = (rpc("create_department_token", code)["token"] for code in ("HRSS", "WATER"))
    as_hrss, as_water = ({"Authorization": f"Bearer {t}"} for t in (hrss, water))
    assert web_session.post(f"/cases/{number}/sign-for", headers=as_hrss, json={"actor": "刘科员"}).status_code == 200
    asked = web_session.post(f"/cases/{number}/extension", headers=as_hrss,
                             json={"working_days": 2, "reason": "需核查社保缴费记录", "actor": "刘科员"})
    assert asked.status_code == 200, asked.text
    part = next(a for a in asked.json()["assignments"] if a["unit_code"] == "HRSS")
    assert (part["extension"]["working_days"], part["extension"]["reviewer"]) == (2, "centre")
    assert seen.wait_for("followup", "assignment_extension_requested")[0]["unit_code"] == "HRSS"
    for who in (as_water, as_hrss):  # the lead, the unit itself: the centre decides a co-handler's
        refused = web_session.post(f"/cases/{number}/parts/HRSS/extension", headers=who, json={"grant": True})
        assert refused.status_code == 404 and refused.json() == {"errors": {"number": ["no such case for your unit"]}}
    with pytest.raises(RemoteError, match="NotAllowed"):
        rpc("decide_part_extension", number, "HRSS", True, "", who=person("调度员", ("dispatcher",)))
    case = rpc("decide_part_extension", number, "HRSS", True, "同意", who=person("王审核", ("reviewer",)))
    part = next(a for a in case["assignments"] if a["unit_code"] == "HRSS")
    decided = seen.wait_for("followup", "assignment_extension_decided")[0]
    assert (decided["granted"], decided["reviewer"], part["extension"], part["extension_days_granted"]) == (
        True, "centre", None, 2)
    assert [(e["action"], e["actor"], e["department_code"]) for e in case["ledger"][-2:]] == [
        ("extension_requested", "刘科员", "HRSS"), ("extension_granted", "王审核", "HRSS")]


def test_the_centre_works_a_cases_tree_from_the_servers_cli(followup, service_config):
    """``hotline case`` over the real broker, as the CLI's signed identity named by ``--by``:
    the centre adds a co-handler, reviews its refusal, decides its extension, and sees the tree."""
    from click.testing import CliRunner

    from hotline.cli import main

    rpc, _, cases = followup

    def hotline(*args):
        done = CliRunner().invoke(main, ["case", *args], env={"AMQP_URI": service_config["AMQP_URI"]})
        assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
        return done

    added = hotline("add-co-handlers", NUMBER, "HRSS", "--note", "核查社保缴费", "--by", "王调度")
    assert added.exit_code == 0 and "市人力资源和社会保障局 (HRSS) co-handles" in added.output, added.output
    hrss = rpc("create_department_token", "HRSS")["token"]
    rpc("refuse_case", hrss, NUMBER, "不属于我局职责", "刘科员")
    queue = hotline("refusals")
    assert queue.output.splitlines()[0].split()[:3] == [NUMBER, "市人力资源和社会保障局", "(HRSS)"], queue.output
    not_the_lead = hotline("refusal", NUMBER, "--reject", "--reason", "欠薪属社保职责")
    assert not_the_lead.exit_code == 2 and "--part HRSS" in not_the_lead.output
    rejected = hotline("refusal", NUMBER, "--part", "HRSS", "--reject", "--reason", "欠薪属社保职责", "--by", "王调度")
    assert rejected.output == f"{NUMBER}: refusal of HRSS rejected by 王调度; its part is assigned\n"

    rpc("sign_for", hrss, NUMBER, "刘科员")
    rpc("request_extension", hrss, NUMBER, 2, "需核查缴费记录", "刘科员")
    assert "1 extension request(s) waiting" in hotline("extensions").output
    granted = hotline("extension", NUMBER, "--part", "HRSS", "--grant", "--by", "李审核")
    assert granted.exit_code == 0 and "extension of HRSS's part granted; its reply by" in granted.output
    again = hotline("extension", NUMBER, "--part", "HRSS", "--grant")
    assert again.exit_code == 2 and again.output.startswith("Refused: ") and "no extension request" in again.output

    tree = hotline("show", NUMBER).output
    assert "└─ 市人力资源和社会保障局 (HRSS)" in tree and "co-handler (协办)" in tree
    ledger = cases.get(NUMBER)["ledger"]
    assert [(e["action"], e["actor"], e["actor_id"].split(":")[0]) for e in ledger
            if e["action"] in ("co_assigned", "refusal_rejected", "extension_granted")] == [
        ("co_assigned", "王调度", "cli"), ("refusal_rejected", "王调度", "cli"), ("extension_granted", "李审核", "cli")]
