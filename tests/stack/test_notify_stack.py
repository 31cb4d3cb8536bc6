"""notify in the whole stack: a ticket goes overdue, the ladder reaches a webhook, the CLI shows it."""
import time

import pytest

from services.notify.adapters.channels import SIGNATURE_HEADER, verify
from tests.service.receivers import wait_until
from tests.stack.conftest import running_stack

SECRET = "stack-webhook-secret"


@pytest.fixture(scope="module")
def notified_stack(vhost_pipeline, tmp_path_factory, webhooks):
    with running_stack(vhost_pipeline, tmp_path_factory.mktemp("notify-stack"),
                       NOTIFY_TICK_INTERVAL="0.5", HOTLINE_DEMO="1",
                       NOTIFY_DELIVERY_INTERVAL="0.5", WEBHOOK_SECRET=SECRET,
                       NOTIFY_DEPARTMENT_WEBHOOK=webhooks.url("/department"),
                       NOTIFY_LEVEL2_WEBHOOK=webhooks.url("/supervising-office")) as stack:
        yield stack


def test_an_overdue_ticket_climbs_the_ladder_to_a_webhook(notified_stack, webhooks):
    stack = notified_stack
    response = stack.post({"title": "路灯坏了一个月", "description": "市南区香港中路路灯不亮",
                           "district": "市南区", "channel": "web"})
    number = response.json()["number"]
    stack.wait_until(number, lambda view: view["deadline_watched"])

    moved = stack.hotline("clock", "--advance", "40d")
    assert moved.returncode == 0, moved.stderr
    assert "+40.00 days" in moved.stdout

    wait_until(lambda: len(webhooks.received("/department")) == 7, timeout=30,
               what="the new case and six ladder steps at the department's webhook")
    time.sleep(1.5)  # three more ticks: nothing comes twice
    received = webhooks.received("/department")
    assert all(verify(SECRET, body, headers[SIGNATURE_HEADER]) for headers, body in received)
    assert [(d["template"], d["level"]) for d in webhooks.documents("/department")] == [
        ("new_case", 0), ("sign_for_reminder", 0), ("yellow_card", 0), ("red_card", 0),
        ("supervision", 1), ("supervision", 2), ("supervision", 3)]
    [order] = webhooks.documents("/supervising-office")
    assert order["number"] == number and "督办" in order["subject"]

    shown = stack.hotline("notifications", "--ticket", number)
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if number in line]
    assert len([line for line in lines if " webhook " in line and " sent " in line]) == 8
    stack.hotline("clock", "--set-offset", "0")
