"""A simulated day through the CTI door: the floor's figures are what a hand count of the
generated events gives, hour by hour (too few operators at the morning peak)."""
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import requests

from hotline import simulate as sim
from services.callcentre.service import CallcentreService
from shared.platform.principals import ServiceRpcProxy
from tests.people import context, person

ZONE = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 30)
SHORT_MORNING = "0-24:1,8-9:3,9-12:2,12-18:6,18-21:3"   # the morning peak has a third of the afternoon's


def by_hand(events, target=15):
    """Per local hour of ringing: offered, answered within ``target`` s, abandoned."""
    calls = defaultdict(dict)
    for e in events:
        calls[e["callId"]][e["event"]] = dt.datetime.fromisoformat(e["at"])
    hours = defaultdict(lambda: {"offered": 0, "answered_in_target": 0, "abandoned": 0})
    for seen in calls.values():
        row = hours[seen["newCall"].astimezone(ZONE).strftime("%Y-%m-%d %H:00")]
        row["offered"] += 1
        if "answer" in seen:
            row["answered_in_target"] += (seen["answer"] - seen["newCall"]).total_seconds() <= target
        else:
            row["abandoned"] += 1
    return dict(hours)


def test_a_simulated_day_is_measured_as_counted_by_hand(start_service, service_config, web_config_port):
    start_service(CallcentreService)
    admin = context(person("管理员", roles=("admin",), user_id="ad1"), service_config)
    with ServiceRpcProxy("callcentre", service_config, context_data=admin) as proxy:
        path = proxy.rotate_cti_token()["path"]
    made = sim.simulate(DAY, ZONE, 400, sim.parse_operators(SHORT_MORNING), aht=240, patience=60, seed=7)
    events = sim.events(made)
    with requests.Session() as session:
        assert sim.send(f"http://127.0.0.1:{web_config_port}{path}", events, session, shuffle_seed=3) == 0

    supervisor = context(person("张督", roles=("supervisor",), user_id="sv1"), service_config)
    with ServiceRpcProxy("callcentre", service_config, context_data=supervisor) as proxy:
        report = proxy.floor_figures({"day": DAY.isoformat(), "by": "hour"})
    measured = {g["key"]: {k: g[k] for k in ("offered", "answered_in_target", "abandoned")}
                for g in report["groups"]}
    expected = by_hand(events)
    assert measured == expected
    assert report["total"]["offered"] == len(made)

    def level(hours):
        rows = [expected[f"{DAY.isoformat()} {h:02d}:00"] for h in hours]
        return sum(r["answered_in_target"] for r in rows) / sum(r["offered"] for r in rows)
    assert level(range(9, 12)) < 0.5 < level(range(14, 17))   # the gap the short morning makes
    assert sum(expected[f"{DAY.isoformat()} {h:02d}:00"]["abandoned"] for h in (9, 10, 11)) > 10
    assert report["callbacks"]["missed_callers"] > 0            # each abandoned caller, once a day
