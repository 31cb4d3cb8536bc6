"""The rules of a case, tried as people would, against the running stack (demo mode):
a department added at runtime works the same minute and its mailbox hears of its
cases; an urgent ticket gets no card until its warning time; the calendar says
what it does not know."""
import datetime as dt
import time

import pytest
import requests

from tests.service.receivers import SmtpServer, wait_until
from tests.stack.conftest import running_stack

REPLY = "经核查，海尔路停车场已按规定公示收费标准，多收的费用已退还市民，并责令停车场整改。"


@pytest.fixture(scope="module")
def mailbox():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_stack(vhost_pipeline, tmp_path_factory, mailbox):
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("rules-stack"),
                       HOTLINE_DEMO="1", NOTIFY_TICK_INTERVAL="0.5", NOTIFY_DELIVERY_INTERVAL="0.5",
                       SMTP_HOST="127.0.0.1", SMTP_PORT=str(mailbox.port), SMTP_SENDER="12345@city.test",
                       NOTIFY_DEPARTMENT_EMAIL="desk@city.test", CLOCK_SYNC_INTERVAL="2") as stack:
        yield stack


def cli(stack, *args):
    done = stack.hotline(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def department_post(stack, token, number, action, **body):
    return requests.post(f"http://{stack.env['FOLLOWUP_HTTP']}/cases/{number}/{action}", json=body,
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_department_added_at_runtime_signs_for_and_replies_at_once(demo_stack, mailbox):
    stack = demo_stack
    added = cli(stack, "routing", "add-department", "PARKING", "--name", "市停车管理中心",
                "--keywords", "停车场,停车收费", "--email", "parking@city.test", "--by", "张管理",
                "--reason", "新设机构")
    assert "PARKING added" in added
    response = stack.post({"title": "停车场乱收停车收费", "description": "海尔路停车场每小时收二十元，没有公示",
                           "district": "崂山区"})
    assert response.status_code == 201
    number = response.json()["number"]
    assert stack.get(number)["channel"] == "web"  # no channel given over HTTP: web, never a phone call
    view = stack.wait_until(number, lambda v: v["case_opened"])
    assert view["department"]["code"] == "PARKING"

    token = cli(stack, "case", "token", "create", "PARKING").strip().splitlines()[-1]
    assert department_post(stack, token, number, "sign-for", actor="刘科员").json()["state"] == "signed_for"
    assert department_post(stack, token, number, "reply", text=REPLY, actor="刘科员").status_code == 200

    [new_case] = wait_until(lambda: mailbox.to("parking@city.test"), timeout=20,
                            what="the new-case notice in PARKING's mailbox")
    assert number in new_case["Subject"] and "停车场乱收停车收费" in new_case["Subject"]
    assert new_case["Date"] and new_case["Message-ID"].endswith("@city.test>")

    cli(stack, "case", "review", number, "--reject", "--reason", "未说明退还金额", "--by", "李审核")
    sent_back = wait_until(lambda: [m for m in mailbox.to("parking@city.test") if "退回" in m["Subject"]],
                           timeout=20, what="the sent-back notice")
    assert "未说明退还金额" in sent_back[0].get_content() and number in sent_back[0]["Subject"]


def test_the_calendar_says_what_it_does_not_know(demo_stack):
    stack = demo_stack
    coverage = wait_until(lambda: (lambda out: out if "followup: same city files" in out
                                   and "notify: same city files" in out else None)(
        cli(stack, "calendar", "coverage", "--from", "2026", "--to", "2027")), timeout=20,
        what="followup and notify with routing's city files")
    assert "2026: official" in coverage and "2027: NOT fully official" in coverage
    assert "working weekends (调休) unknown" in coverage
    table = cli(stack, "calendar", "deadline", "--from", "2027-02-05T09:00", "--limit", "general")
    assert "NOT covered" in table and "general" in table

    refused = stack.hotline("case", "extension", "QD-0", "--deny", "--by", "李审核")
    assert refused.returncode == 2 and "--reason" in refused.stderr


def test_a_calendar_file_an_administrator_loads_is_used_everywhere_at_once(demo_stack, tmp_path):
    stack = demo_stack
    path = tmp_path / "2027.yaml"  # GB18030, as a Chinese editor saves it; a made-up rehearsal file
    path.write_bytes("year: 2027\nsource: 演练文件（不是官方通知）\ncomplete: false\n"
                     "holidays: [{name: 春节, from: 2027-02-05, to: 2027-02-11}]\n"
                     "workdays: [{name: 春节调休, date: 2027-02-20}]\n".encode("gb18030"))
    loaded = cli(stack, "calendar", "load", str(path), "--by", "张管理", "--reason", "演练")
    assert "2027 loaded as calendar version 2" in loaded
    table = cli(stack, "calendar", "deadline", "--from", "2027-02-19T09:00", "--limit", "general")
    assert "2027-02-20 09:00 Sat" in table  # the working Saturday the file names counts
    wait_until(lambda: "notify: same city files" in cli(stack, "calendar", "coverage", "--from", "2027",
                                                        "--to", "2027"), timeout=10,
               what="notify using the new file")
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nholidays: [{date: 2027-02-06}]\nworkdays: [{date: 2027-02-17}]\n",
                   encoding="utf-8")
    refused = stack.hotline("calendar", "load", str(bad), "--by", "张管理")
    assert refused.returncode == 2 and "source" in refused.stderr and "Wednesday" in refused.stderr
    bad.write_text("year: 2027\nsource: x\nholidays: [{date: 2027-02-30}]\n", encoding="utf-8")
    refused = stack.hotline("calendar", "load", str(bad), "--by", "张管理")
    assert refused.returncode == 2 and "day is out of range" in refused.stderr


def test_an_urgent_ticket_gets_no_card_until_its_warning_time(demo_stack, mailbox):
    stack = demo_stack
    submitted = cli(stack, "submit", "--title", "小区停水一天了", "--description", "整栋楼停水，家里有老人",
                    "--phone", "13853212345", "--district", "崂山区", "--urgency", "urgent", "--json")
    number = __import__("json").loads(submitted)["number"]
    stack.wait_until(number, lambda v: v["deadline_watched"])
    case = stack.rpc("followup", "get_case", number)
    assert (case["time_limit_class"], case["urgency"]) == ("utilities", "urgent")
    assigned_at = dt.datetime.fromisoformat(case["assigned_at"])
    warning = assigned_at + dt.timedelta(hours=18)  # 75% of the 24 hours
    shown = cli(stack, "notifications", "--ticket", number)
    assert "yellow_card" not in shown and "new_case" in shown

    def move_to(moment):
        offset = (moment - dt.datetime.now(dt.UTC)).total_seconds()
        cli(stack, "clock", "--set-offset", f"{offset:.0f}s", "--by", "演示")

    move_to(warning - dt.timedelta(minutes=5))
    time.sleep(3)  # six ladder ticks
    assert "yellow_card" not in cli(stack, "notifications", "--ticket", number)
    move_to(warning + dt.timedelta(minutes=1))
    wait_until(lambda: "yellow_card" in cli(stack, "notifications", "--ticket", number), timeout=20,
               what="the yellow card after its warning time")
    # followup follows the same clock: signing for it now is late in the ledger
    token = cli(stack, "case", "token", "create", "WATER").strip().splitlines()[-1]

    def signed():
        answer = department_post(stack, token, number, "sign-for", actor="王工")
        return answer.json() if answer.status_code == 200 else None
    ledger = wait_until(signed, timeout=10, what="signed for")["ledger"]
    assert ledger[-1]["action"] == "signed_for" and ledger[-1]["on_time"] is False
    cli(stack, "clock", "--set-offset", "0", "--by", "演示")
