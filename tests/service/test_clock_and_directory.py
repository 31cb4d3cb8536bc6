"""One clock and one directory, in containers against the real broker.

The demo clock: notify moves it only in demo mode, checks every number, survives a
bad stored value, and every other service follows it. The directory: notify tells
departments by the contacts routing announced, by their current names.
"""
import copy
import datetime as dt

import pytest
from nameko.exceptions import RemoteError

from services.followup.service import FollowupService
from services.notify.service import NotifyService
from shared.contract import events
from shared.platform.mongo import database_for
from shared.platform.principals import ServiceRpcProxy
from tests.people import context
from tests.service.conftest import settle
from tests.service.receivers import SmtpServer, wait_until


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def config_for(service_config, demo, smtp=None):
    config = copy.deepcopy(service_config)
    config.update(HOTLINE_DEMO="1" if demo else "0", NOTIFY_TICK_INTERVAL=0.1,
                  NOTIFY_DELIVERY_INTERVAL=0.1, CLOCK_SYNC_INTERVAL=0.5)
    config["NOTIFY"] = dict(config.get("NOTIFY") or {}, contacts={"default": {"email": "desk@city.test"}},
                            smtp={"host": "127.0.0.1", "port": smtp.port if smtp else 1,
                                  "sender": "12345@city.test"})
    return config


def rpc(config, service, method, *args):
    with ServiceRpcProxy(service, config, timeout=10, context_data=context()) as proxy:
        return getattr(proxy, method)(*args)


def test_outside_demo_mode_the_clock_does_not_move(container_factory, service_config):
    config = config_for(service_config, demo=False)
    container_factory(NotifyService, config).start()
    with pytest.raises(RemoteError, match="only in demo mode"):
        rpc(config, "notify", "set_clock_offset", 3600)
    with pytest.raises(RemoteError, match="only in demo mode"):
        rpc(config, "notify", "advance_clock", 86400)
    assert rpc(config, "notify", "get_clock")["offset_seconds"] == 0


@pytest.mark.parametrize("bad", ["nan", float("nan"), float("inf"), 1e12, True, None, [1]])
def test_every_number_is_checked(container_factory, service_config, bad):
    config = config_for(service_config, demo=True)
    container_factory(NotifyService, config).start()
    with pytest.raises(RemoteError, match="ClockRefused"):
        rpc(config, "notify", "set_clock_offset", bad)
    assert rpc(config, "notify", "get_clock")["offset_seconds"] == 0


def test_a_bad_stored_offset_cannot_stop_notify(container_factory, service_config, routing_directory):
    config = config_for(service_config, demo=True)
    database_for(config, "notify")["settings"].insert_one(
        {"_id": "clock", "offset_seconds": float("nan"), "version": 3})
    container = container_factory(NotifyService, config)
    container.start()
    settle(1.0)  # ten ladder and delivery ticks read the clock
    clock = rpc(config, "notify", "get_clock")
    assert clock["offset_seconds"] == 0 and clock["version"] == 3
    assert rpc(config, "notify", "advance_clock", 3600) == 3600.0  # and it can be set again
    assert not container._died.ready()


def test_every_service_follows_the_demo_clock(container_factory, service_config, routing_directory):
    config = config_for(service_config, demo=True)
    followup = container_factory(FollowupService, config)
    followup.start()
    container_factory(NotifyService, config).start()
    rpc(config, "notify", "advance_clock", 2 * 86400, "测试")

    def followups_day():
        today = events.utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        return rpc(config, "followup", "scorecard")["period"]["to"] == str(today + dt.timedelta(days=2))
    wait_until(followups_day, what="followup two days ahead (clock_moved)")

    # A service that missed the move catches up by asking notify.
    database_for(config, "followup")["settings"].delete_many({})
    followup.stop()
    container_factory(FollowupService, config).start()
    wait_until(followups_day, what="a restarted followup two days ahead (get_clock)")


def test_departments_are_told_by_the_contacts_and_names_routing_announced(
        container_factory, service_config, smtp, publish, routing_directory):
    config = config_for(service_config, demo=True, smtp=smtp)
    container_factory(NotifyService, config).start()
    publish("routing", "department_changed", events.new_event(
        events.DepartmentChanged, action="add", version=9, changed_at=events.utcnow(), department={
            "code": "PARKING", "name": "市停车管理中心", "name_en": "Parking Authority", "kind": "municipal",
            "retired": False, "contacts": {"email": "parking@city.test", "language": "en"}}))
    now = events.utcnow()
    opened = dict(number="QD-P", department_code="PARKING", opened_at=now, title="小区停车场乱收费",
                  sign_for_deadline=now + dt.timedelta(hours=20), deadline=now + dt.timedelta(days=7))
    wait_until(lambda: rpc(config, "notify", "ping") == "notify", what="notify up")
    settle(0.5)  # the department's event first
    publish("followup", "case_opened", events.new_event(events.CaseOpened, **opened))
    [new_case] = wait_until(lambda: smtp.to("parking@city.test"), what="the new case, in English")
    assert new_case["Subject"] == "[New case] QD-P 小区停车场乱收费"
    assert "Parking Authority" in new_case.get_content()

    # Re-dispatched away from it: PARKING is told where the case went.
    publish("followup", "case_opened", events.new_event(
        events.CaseOpened, **dict(opened, department_code="URBAN_MGMT", attempt=2,
                                  previous_department_code="PARKING")))
    moved = wait_until(lambda: [m for m in smtp.to("parking@city.test") if "moved" in m["Subject"]],
                       what="the case moved away")
    assert "Urban Management Bureau" in moved[0].get_content()  # the new one, by its English name

    # An extension denied, with the reason, to the department holding it now.
    publish("followup", "extension_decided", events.new_event(
        events.ExtensionDecided, number="QD-P", department_code="URBAN_MGMT", granted=False,
        deadline=opened["deadline"], decided_by="李审核", reason="已超出可延期限", decided_at=now))
    [denied] = wait_until(lambda: [m for m in smtp.to("desk@city.test") if "延期" in m["Subject"]],
                          what="the extension decision")
    assert "未同意" in denied["Subject"] and "已超出可延期限" in denied.get_content()
