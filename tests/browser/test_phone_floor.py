"""The phone floor in a real browser, a PBX posting Zammad-shaped CTI events with a plain HTTP
client: a call rings for the operator and their screen pops the caller's earlier ticket before
they answer; the form opened from the pop records a ticket carrying the call id and the
recording; a second call is abandoned, a callback agent claims it and reaches the caller; the
supervisor's floor shows the day's figures, and a simulated day short of operators at the
morning peak shows the gap on the plan-against-actual chart."""
import datetime as dt
import os
import shutil
from pathlib import Path

import requests

from tests.browser.conftest import SHOTS

CALLER, MISSED = "13905327788", "13905326655"
CALL, LOST = "floor-1764921600.1", "floor-1764921600.2"
RECORDING = "https://pbx.example.cn/rec/floor-1764921600.1.mp3"
EARLIER = {"title": "小区门口路灯不亮", "district": "崂山区", "address": "香港东路 100 号小区门口",
           "description": "小区门口两盏路灯一周都不亮，晚上走路看不清。", "caller_phone": CALLER,
           "caller_name": "孙女士", "channel": "web"}


def test_a_call_pops_is_recorded_a_missed_one_called_back_and_the_floor_counts(workbench):
    cti = workbench.cli("calls", "token", "rotate").strip().splitlines()[-1]

    def pbx(**event):
        answer = requests.post(cti, data=event, timeout=10)  # form-encoded, as Zammad's PBXs send
        assert answer.status_code == 200, answer.text

    workbench.user("f.op", "operator", name="冯接线")
    workbench.user("f.cb", "callback", name="付回拨")
    workbench.user("f.sup", "supervisor", name="范主管")
    earlier = workbench.stack.post(EARLIER).json()["number"]

    # The operator is ready; a call rings for them: the pop shows the caller's earlier ticket.
    operator = workbench.sign_in("f.op")
    operator.goto(f"{workbench.url}/operator")
    operator.wait_for_selector("#no-call")
    operator.click("#my-state button[value=ready]")
    operator.wait_for_selector("#my-state-now:has-text('就绪')")
    call = {"from": CALLER, "to": "12345", "direction": "in", "callId": CALL, "queue": "main"}
    pbx(event="newCall", **call, **{"user[]": "f.op"})
    operator.wait_for_selector("#pop-call")
    assert operator.inner_text("#pop-number") == CALLER  # in full: it rings for them
    assert earlier in operator.inner_text("#pop-open-tickets")
    workbench.shot(operator, "screen-pop-ringing")

    # They answer; the pop stays, and opens the new ticket's form by the call's id.
    pbx(event="answer", **call, answeringNumber="f.op")
    operator.wait_for_selector("#pop-call h2:has-text('通话中')")
    operator.click("#pop-open")
    operator.wait_for_url("**/operator?call_id=*")
    assert CALLER not in operator.url
    assert operator.input_value("#caller_phone") == CALLER
    assert earlier in operator.inner_text("#caller")
    assert CALL in operator.inner_text("#on-call")
    operator.wait_for_selector("#pop-call h2:has-text('通话中')")  # the pop stays with the call, briefly
    operator.fill("#title", "小区门口路灯还是不亮")
    operator.fill("#description", "上周反映的路灯仍然不亮，请尽快维修。")
    operator.select_option("#district", "崂山区")
    workbench.shot(operator, "form-opened-from-the-pop")
    pbx(event="hangup", **call, cause="normalClearing", answeringNumber="f.op", recordingUrl=RECORDING)
    operator.click("#ticket-form .actions button.primary")
    operator.wait_for_url("**/operator?done=*")
    number = operator.url.split("done=")[1]
    operator.goto(f"{workbench.url}/tickets/{number}")
    assert operator.inner_text("#call-id") == CALL
    assert operator.get_attribute("#recording", "href") == RECORDING
    workbench.shot(operator, "ticket-with-its-call")

    # A second caller hangs up before anyone answers: a missed caller to call back.
    lost = {"from": MISSED, "to": "12345", "direction": "in", "callId": LOST}
    pbx(event="newCall", **lost, **{"user[]": "f.op"})
    pbx(event="hangup", **lost, cause="cancel")
    agent = workbench.sign_in("f.cb")
    agent.goto(f"{workbench.url}/missed")
    row = agent.locator("#missed-queue tr", has_text="139****6655")
    assert MISSED not in agent.inner_text("#missed-queue")  # masked until claimed
    workbench.shot(agent, "missed-callers-queue")
    row.locator("button").click()
    agent.wait_for_selector(f"#missed-queue td.number:has-text('{MISSED}')")  # theirs to call now
    agent.select_option("#missed-queue select[name=outcome]", "reached")
    agent.fill("#missed-queue input[name=note]", "已回拨，市民重新描述了问题")
    workbench.shot(agent, "missed-caller-claimed")
    agent.click("#missed-queue form.outcome button")
    agent.wait_for_selector(".flash")
    assert "已记录：接通" in workbench.flash(agent)
    assert "按时回拨 1" in agent.inner_text("#missed-counts")

    # The supervisor's floor: today's two calls, the operator on it, the callback counted.
    supervisor = workbench.sign_in("f.sup")
    supervisor.goto(f"{workbench.url}/floor")
    totals = supervisor.inner_text("#floor-totals")
    assert "呼入" in totals and "50.0%" in totals  # one of two answered
    assert "冯接线" in supervisor.inner_text("#floor-operators") or "f.op" in supervisor.inner_text("#floor-operators")
    assert "f.op" in supervisor.inner_text("#floor-agents")
    assert MISSED not in supervisor.inner_text("main")
    workbench.shot(supervisor, "floor-today")

    # A simulated day, too few operators at the morning peak: the plan against actual shows the gap.
    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    sent = workbench.cli("calls", "simulate", "--url", cti, "--day", day, "--calls", "300",
                         "--operators", "0-24:1,8-9:2,9-12:2,12-18:6", "--seed", "7")
    assert "(0 refused)" in sent
    supervisor.goto(f"{workbench.url}/floor?day={day}")
    gaps = supervisor.inner_text("#floor-gaps")
    assert "低于 80%" in gaps and "少于来电所需" in gaps
    assert supervisor.locator("#floor-plan svg rect").count() > 20
    workbench.shot(supervisor, "floor-simulated-day")
    chart = SHOTS / "floor-plan-against-actual.png"
    supervisor.locator("#floor-plan").screenshot(path=str(chart))
    if os.environ.get("HOTLINE_DOCS_SCREENS"):  # the guide's picture, when asked for
        shutil.copy(chart, Path(os.environ["HOTLINE_DOCS_SCREENS"]) / "floor.png")
