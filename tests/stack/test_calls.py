"""The phone floor as a PBX and a duty manager meet it: a plain HTTP client posts Zammad-shaped
CTI events to callcentre; the call shows in the floor's figures and the missed callers."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import requests

CALLER = "13905321234"


def test_a_pbx_posts_calls_and_the_floor_counts_them(stack):
    rotated = stack.hotline("calls", "token", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    url = rotated.stdout.strip().splitlines()[-1]
    assert url.startswith(stack.http_url("callcentre") + "/cti/")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def at(seconds):
        return (now - dt.timedelta(seconds=seconds)).isoformat()

    answered = {"from": "13705320000", "to": "12345", "direction": "in", "callId": "stack-1"}
    missed = {"from": CALLER, "to": "12345", "direction": "in", "callId": "stack-2"}
    for body in (dict(answered, event="newCall", at=at(300), **{"user[]": "op-stack"}),
                 dict(answered, event="answer", answeringNumber="op-stack", at=at(290)),
                 dict(answered, event="hangup", cause="normalClearing", at=at(100)),
                 dict(missed, event="hangup", cause="cancel", at=at(40)),   # before its newCall
                 dict(missed, event="newCall", at=at(90))):
        assert requests.post(url, data=body, timeout=10).json() == {}
    assert requests.post(url.rsplit("/", 1)[0] + "/wrong", data=missed, timeout=10).status_code == 404

    day = now.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    report = stack.rpc("callcentre", "floor_figures", {"day": day, "by": "operator"})
    rows = {g["key"]: g for g in report["groups"]}
    assert rows["op-stack"]["answered"] == 1 and rows["op-stack"]["answered_in_target"] == 1
    assert rows["-"]["abandoned"] == 1 and rows["-"]["abandon_wait_mean"] == 50
    queue = stack.rpc("callcentre", "missed_callers")
    assert [m["caller_phone"] for m in queue] == [CALLER]
    listed = stack.hotline("calls", "missed")
    assert listed.returncode == 0, listed.stderr
    assert CALLER[-4:] in listed.stdout


def test_the_simulator_sends_a_day_through_the_door_and_the_cli_shows_its_figures(stack):
    url = stack.hotline("calls", "token", "rotate").stdout.strip().splitlines()[-1]
    day = "2026-11-02"
    sent = stack.hotline("calls", "simulate", "--url", url, "--day", day, "--calls", "40",
                         "--operators", "0-24:1,9-12:1", "--seed", "3", "--shuffle")
    assert sent.returncode == 0, sent.stderr
    made = int(sent.stdout.split(" calls,", 1)[0])
    assert made > 20 and "(0 refused)" in sent.stdout
    shown = stack.hotline("calls", "figures", "--day", day, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["total"]["offered"] == made
