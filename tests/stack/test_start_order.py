"""Whatever starts first, nothing is lost: on a fresh broker, without `hotline topology`.

Each service declares the platform's whole topology as it starts, so a ticket
sent while the services that follow it are not running waits in their queues.
"""
import pytest

from operate.local import SERVICES
from tests.stack.conftest import running_stack

pytestmark = pytest.mark.stack


def submit(stack, index, tag):
    response = stack.post({"title": f"路灯不亮 {tag}-{index}", "description": f"第{index}盏路灯不亮 ({tag})",
                           "caller_phone": f"1390000{index:04d}", "district": "市南区", "channel": "web"})
    assert response.status_code == 201, response.text
    return response.json()["number"]


@pytest.mark.parametrize("late", [("routing", "followup", "notify", "insight"), ("followup", "notify")],
                         ids=["everything-after-intake", "followup-and-notify-late"])
def test_tickets_sent_before_the_other_services_start_reach_a_department_and_a_watch(
        vhost_pipeline, tmp_path, late):
    first = [name for name in SERVICES if name not in late]
    with running_stack(vhost_pipeline, tmp_path, services=first, topology=False) as stack:
        numbers = [submit(stack, index, "-".join(late)) for index in range(5)]
        if "routing" in first:  # assigned already, with no case yet: followup is not running
            for number in numbers:
                stack.wait_until(number, lambda view: view["status"] == "assigned")
        stack.start(*late)
        for number in numbers:
            view = stack.wait_until(number, lambda v: v.get("deadline_watched") and v["department"], timeout=30)
            assert view["status"] in ("assigned", "signed_for") and view["deadline"]
        assert stack.hotline("dead-letters", "list").stdout.startswith("0 dead letter(s)")
