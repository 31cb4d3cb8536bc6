"""The reconciler's ``parts`` check: every open part of a case other units hold (co-handling,
passed down) has one running watch in notify, and a part that is over has none.

intake hears a part open or end (``assignment_opened``, ``assignment_ended``) and owes the
check; when it is due, the reconciler asks followup which parts are open and notify which
it watches, and has followup publish again the parts that differ -- here with the other
services played by a stand-in that answers as they would."""
import contextlib
import datetime as dt
from types import SimpleNamespace

import pytest

from services.intake import domain
from services.intake.adapters.tickets import TicketRepository
from services.intake.domain.checks import changed
from services.intake.domain.reconcile import PartsFinding, ReconcileRules, compare_parts
from services.intake.handlers import reconcile
from shared.contract import events
from shared.platform import memory_store
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.conftest import intake_worker

NUMBER = "QD-20261127-00007"
T0 = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
STREET, HOUSING = "S-BADAGUAN", "HOUSING"
RULES = ReconcileRules.from_config({})  # parts_seconds 120, repairs 3


def at(seconds):
    return T0 + dt.timedelta(seconds=seconds)


# -- the comparison ---------------------------------------------------------------------------

def test_an_open_part_without_a_running_watch_is_missing():
    parts = [{"unit_code": STREET, "open": True}, {"unit_code": HOUSING, "open": True}]
    assert compare_parts(parts, [{"unit_code": HOUSING, "state": "watching"}]) == PartsFinding(missing=(STREET,))
    # a watch that ended is no watch: the part reopened (重办) and nobody chases it
    assert compare_parts(parts, [{"unit_code": STREET, "state": "closed"},
                                 {"unit_code": HOUSING, "state": "refused"}]).missing == (STREET,)


def test_a_watch_running_for_a_withdrawn_part_is_extra():
    parts = [{"unit_code": STREET, "open": False}, {"unit_code": HOUSING, "open": True}]
    found = compare_parts(parts, [{"unit_code": STREET, "state": "watching"},
                                  {"unit_code": HOUSING, "state": "watching"},
                                  {"unit_code": "NOBODY", "state": "watching"}])
    assert found == PartsFinding(extra=("NOBODY", STREET))
    assert "still running for the finished part of NOBODY, S-BADAGUAN" in found.say()
    assert compare_parts(parts, [{"unit_code": STREET, "state": "closed"},
                                 {"unit_code": HOUSING, "state": "watching"}]).agree


# -- the round --------------------------------------------------------------------------------

class City:
    """followup's parts and notify's part watches, as their RPCs answer; what was asked."""

    def __init__(self, parts, watches):
        self.parts, self.watches, self.republished = parts, watches, []
        self.followup = SimpleNamespace(case_parts=self.case_parts, republish_part=self.republish_part)
        self.notify = SimpleNamespace(part_watches=lambda number: [
            {"unit_code": unit, "state": state} for unit, state in self.watches.items()])

    def case_parts(self, number):
        return {"number": number, "state": "signed_for",
                "parts": [{"unit_code": unit, "open": is_open} for unit, is_open in self.parts.items()]}

    def republish_part(self, number, unit):
        self.republished.append(unit)
        return {"unit_code": unit, "open": self.parts[unit], "published": ["..."]} if unit in self.parts else None


@pytest.fixture
def intake():
    repo = TicketRepository(memory_store.client()[f"intake_{id(object())}"], {})
    repo.ensure_indexes()
    request = {"title": "工地夜间施工噪音", "description": "", "caller_name": None, "caller_phone": None,
               "channel": "phone", "urgency": "normal"}
    repo.add(domain.new_ticket(NUMBER, request, T0), [])
    return repo


def hear(repo, schema, **body):
    part = {"number": NUMBER, "department_code": "D-SHINAN", "unit_code": STREET, "role": "down",
            "parent_unit_code": "D-SHINAN"}
    getattr(intake_worker(repo), f"on_{schema.event_type}")(events.new_event(schema, **dict(part, **body)))


def opened(repo, seconds):
    hear(repo, events.AssignmentOpened, assigned_at=at(seconds), sign_for_deadline=at(seconds + 86400),
         deadline=at(seconds + 5 * 86400))


def run_round(repo, city, seconds):
    """One round at ``at(seconds)``, with ``city`` answering; the round's report and what was published."""
    published = []
    deps = SimpleNamespace(tickets=repo, metrics=None, clock=SimpleNamespace(now=lambda: at(seconds)),
                           dispatch=lambda kind, payload: published.append((kind, payload)),
                           reconciling=SimpleNamespace(rules=RULES, cluster=lambda: contextlib.nullcontext(city)))
    deps.uow = lambda retries=3: UnitOfWork(deps.dispatch, retries)
    return reconcile.reconcile_round(deps, at(seconds)), published


def parts_check(repo):
    return (repo.tickets.find_one({"number": NUMBER}).get("check") or {}).get("parts")


def test_a_missing_part_watch_is_found_and_repaired(intake):
    opened(intake, 0)
    assert parts_check(intake)["due"] == at(120)
    city = City({STREET: True}, {})  # notify never heard of the street's part
    report, _ = run_round(intake, city, 60)
    assert report["looked_at"]["parts"] == 0 and city.republished == []  # not yet due
    report, _ = run_round(intake, city, 121)
    assert (report["looked_at"]["parts"], report["repairs"]) == (1, 1)
    assert city.republished == [STREET]  # followup publishes the part's opening again
    assert parts_check(intake)["repairs"] == 1
    city.watches[STREET] = "watching"  # notify learned it
    report, _ = run_round(intake, city, 250)
    assert report["settled"] == 1 and parts_check(intake) is None
    assert intake.round_record()[0]["healed"] == 1


def test_a_withdrawn_parts_watch_is_found_and_reported_to_the_supervisors(intake):
    opened(intake, 0)
    hear(intake, events.AssignmentEnded, outcome="withdrawn", ended_at=at(30))
    assert parts_check(intake)["attempt"] == 2 and parts_check(intake)["due"] == at(150)
    city = City({STREET: False}, {STREET: "watching"})  # notify chases a part that is over
    seconds = 150
    for _ in range(RULES.repairs):
        report, published = run_round(intake, city, seconds)
        assert report["repairs"] == 1 and published == []
        seconds += 121
    assert city.republished == [STREET] * RULES.repairs  # its assignment_ended, again each time
    report, published = run_round(intake, city, seconds)
    assert report["escalations"] == 1
    [(kind, stalled)] = published
    assert (kind, stalled["stage"], stalled["number"]) == ("ticket_stalled", "parts", NUMBER)
    assert "a watch still running for the finished part of S-BADAGUAN" in stalled["reason"]


def test_a_watch_for_a_part_the_case_never_had_is_reported_at_once(intake):
    opened(intake, 0)
    city = City({STREET: True}, {STREET: "watching", "NOBODY": "watching"})
    report, published = run_round(intake, city, 121)
    assert report["escalations"] == 1 and [kind for kind, _ in published] == ["ticket_stalled"]
    assert "the case has no part for NOBODY" in published[0][1]["reason"]


def test_parts_that_agree_settle_the_check_unless_a_part_changed_meanwhile(intake):
    opened(intake, 0)
    read = parts_check(intake)
    intake.check(NUMBER, [changed("parts", at(90), RULES.due("parts", at(90)))])  # another part, meanwhile
    assert not intake.settle(NUMBER, "parts", read["attempt"])
    assert parts_check(intake)["due"] == at(210)  # looked at once the new part has had its time
    report, _ = run_round(intake, City({STREET: True}, {STREET: "watching"}), 211)
    assert report["settled"] == 1 and parts_check(intake) is None
    assert not intake.round_record()[0].get("healed")  # nothing was repaired
