"""``hotline case`` on a case's tree of units, against a fake followup.

The fake answers with cases followup's own domain made (a lead 市南区, a co-handler
市住建局, 八大关街道 passed down and its community), as its RPC would hand them to the
client; each test checks the calls the command makes and what it prints.
"""
import json

import pytest
from click.testing import CliRunner
from nameko.exceptions import RemoteError

from hotline import followup_cli
from hotline.cli import main
from services.followup.domain import tree
from services.followup.domain.timing import FollowupClock
from services.followup.handlers.views import case_view
from shared.timelimits.calendar import ChineseCalendar
from shared.timelimits.deadlines import DeadlinePolicy
from tests.unit.services.followup.test_case import apply, hours
from tests.unit.services.followup.test_tree import COMMUNITY, DISTRICT, HOUSING, STREET, noise_case

NUMBER = "QD-20261123-00002"


@pytest.fixture
def clock():
    return FollowupClock(DeadlinePolicy(calendar=ChineseCalendar()))


def over_rpc(case):
    """The case as followup's RPC hands it to the client."""
    return json.loads(json.dumps(case_view(case.to_doc()), default=str))


def the_tree(clock):
    """市南区 leads and passed the case to 八大关街道 (signed late), which passed it to 太平角社区
    (which refused: the street reviews that); the co-handler 市住建局 refused (the centre reviews)."""
    case = noise_case(clock)
    case = apply(case, case.sign_for("区值班员", hours(1), DISTRICT))
    case = apply(case, case.pass_down(DISTRICT, STREET, "区值班员", "请街道核查施工许可", hours(1), clock))
    case = apply(case, case.sign_for("街道", hours(30), STREET.code))
    case = apply(case, case.pass_down(STREET.code, COMMUNITY, "街道", "社区上门", hours(30), clock))
    case = apply(case, case.refuse("社区", "不是社区职责", hours(31), clock, COMMUNITY.code))
    return apply(case, case.refuse("住建", "不涉及建设工地", hours(31), clock, HOUSING.code))


class Followup:
    """followup's RPC as the CLI reaches it: each method answers from ``answers`` (a value, a
    function of the arguments, or an exception to raise); every call is kept."""

    def __init__(self, **answers):
        self.answers, self.calls = answers, []

    def __call__(self, service, method, *args, timeout=None, by=None):
        assert service == "followup"
        self.calls.append((method, args, by))
        answer = self.answers[method]
        if isinstance(answer, Exception):
            raise answer
        return answer(*args) if callable(answer) else answer


@pytest.fixture
def run(monkeypatch):
    def run(followup, *args, now=hours(32)):  # Tuesday 24 Nov, 17:00 in the city
        monkeypatch.setattr(followup_cli, "now", lambda: now)
        monkeypatch.setattr(followup_cli, "rpc_call", followup)
        result = CliRunner().invoke(main, ["case", *args], env={"HOTLINE_OPERATOR": "值班长"})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result
    return run


def test_show_draws_the_tree_with_each_units_deadlines(clock, run):
    followup = Followup(get_case=over_rpc(the_tree(clock)))
    shown = run(followup, "show", NUMBER)
    assert shown.exit_code == 0, shown.output
    assert followup.calls == [("get_case", (NUMBER,), None)]
    lines = shown.output.splitlines()
    units = lines[lines.index(next(line for line in lines if line.startswith("units"))) + 1:]
    assert units[0].split()[:4] == ["市南区", "(D-SHINAN)", "lead", "(主办)"]
    assert "reply by 2026-11-30 09:00 (5d 16h left)" in units[0]
    assert units[1].startswith("  ├─ 市住房和城乡建设局 (HOUSING)") and "co-handler (协办)" in units[1]
    assert "refusal_review" in units[1]
    assert "refused 2026-11-24 16:00 by 住建: 不涉及建设工地  [the centre reviews]" in units[2]
    assert units[3].startswith("  └─ 八大关街道 (S-BADAGUAN)") and "passed down (下派)" in units[3]
    assert "(signed 2026-11-24 15:00, LATE)" in units[3]  # due at 10:00
    community = next(line for line in units if "太平角社区" in line)
    assert community.startswith("     └─ 太平角社区")  # under the street, not under the lead
    assert "[S-BADAGUAN reviews]" in shown.output


def test_a_deadline_passed_is_said_late(clock, run):
    followup = Followup(get_case=over_rpc(noise_case(clock)))  # the co-handler is due to sign for at 09:00
    early = run(followup, "show", NUMBER, now=hours(23)).output.splitlines()[-1]
    assert early.startswith("  └─ 市住房和城乡建设局") and "sign for by 2026-11-24 09:00 (1h 0m left)" in early
    late = run(followup, "show", NUMBER, now=hours(26)).output.splitlines()[-1]
    assert "sign for by 2026-11-24 09:00 (LATE by 2h 0m)" in late


def test_refusals_lists_what_the_centre_reviews_not_what_a_unit_does(clock, run):
    case = the_tree(clock)
    lead_refused = noise_case(clock, co=())
    lead_refused = apply(lead_refused, lead_refused.refuse("区", "属于住建局职责", hours(1), clock, DISTRICT))
    other = over_rpc(lead_refused)
    other["number"] = "QD-20261123-00003"
    followup = Followup(refusal_queue={"items": [over_rpc(case), other], "total": 2})
    listed = run(followup, "refusals")
    assert listed.exit_code == 0, listed.output
    assert followup.calls == [("refusal_queue", (None, 0, 20), None)]
    rows = listed.output.splitlines()
    assert rows[0].split()[:4] == [NUMBER, "市住房和城乡建设局", "(HOUSING)", "co-handler"]
    assert "2026-11-24 16:00  住建" in rows[0] and rows[0].endswith(" 不涉及建设工地")
    assert rows[1].split()[:3] == ["QD-20261123-00003", "市南区", "(D-SHINAN)"] and "属于住建局职责" in rows[1]
    assert "太平角社区" not in listed.output  # the street reviews its child's refusal, not the centre
    assert rows[2] == "2 refusal(s) waiting"
    as_json = json.loads(run(followup, "refusals", "--json", "--offset", "20", "--limit", "5").output)
    assert followup.calls[-1] == ("refusal_queue", (None, 20, 5), None)
    assert [(r["number"], r["unit_code"], r["role"]) for r in as_json] == [
        (NUMBER, "HOUSING", "co"), ("QD-20261123-00003", DISTRICT, "lead")]


def test_refusal_of_a_part_reviewed_by_the_person_named(clock, run):
    case = the_tree(clock)
    sent_back = case.review_refusal(HOUSING.code, tree.CENTRE, False, "涉及工地扬尘", "值班长", hours(32))
    followup = Followup(review_refusal=over_rpc(apply(case, sent_back)))
    done = run(followup, "refusal", NUMBER, "--part", "HOUSING", "--reject", "--reason", "涉及工地扬尘",
               "--by", "李调度")
    assert done.exit_code == 0, done.output
    assert followup.calls == [("review_refusal", (NUMBER, "HOUSING", False, "涉及工地扬尘"), "李调度")]
    assert done.output == f"{NUMBER}: refusal of HOUSING rejected by 李调度; its part is assigned\n"


def test_refusal_of_the_lead_finds_the_lead_and_says_the_case_is_rerouted(clock, run):
    case = noise_case(clock, co=())
    case = apply(case, case.refuse("区", "属于住建局职责", hours(1), clock, DISTRICT))
    approved = apply(case, case.review_refusal(DISTRICT, tree.CENTRE, True, "", "值班长", hours(2)))
    followup = Followup(get_case=over_rpc(case), review_refusal=over_rpc(approved))
    done = run(followup, "refusal", NUMBER, "--approve")
    assert done.exit_code == 0, done.output
    assert followup.calls == [("get_case", (NUMBER,), None),
                              ("review_refusal", (NUMBER, DISTRICT, True, ""), "值班长")]  # $HOTLINE_OPERATOR
    assert "refusal of D-SHINAN approved by 值班长; the case is refused" in done.output
    assert "routing re-routes it to another department" in done.output


def test_refusal_without_a_decision_or_a_reason_or_of_a_lead_not_refusing_asks_nothing(clock, run):
    followup = Followup(get_case=over_rpc(the_tree(clock)))
    no_decision = run(followup, "refusal", NUMBER)
    assert no_decision.exit_code == 2 and "say --approve or --reject" in no_decision.output
    no_reason = run(followup, "refusal", NUMBER, "--part", "HOUSING", "--reject")
    assert no_reason.exit_code == 2 and "say why with --reason" in no_reason.output
    assert followup.calls == []
    not_the_lead = run(followup, "refusal", NUMBER, "--approve")
    assert not_the_lead.exit_code == 2
    assert "lead has no refusal waiting (signed_for); the parts' that do: --part HOUSING" in not_the_lead.output
    assert [method for method, _, _ in followup.calls] == ["get_case"]


def test_extensions_lists_the_leads_and_the_co_handlers_and_extension_part_decides(clock, run):
    case = noise_case(clock, days=21)  # the lead's reply due 14 Dec: room for the co-handler's
    case = apply(case, case.sign_for("区", hours(1), DISTRICT))
    case = apply(case, case.sign_for("住建", hours(1), HOUSING.code))
    case = apply(case, case.request_extension("住建", 1, "需现场复核", hours(2), clock, HOUSING.code))
    case = apply(case, case.request_extension("区", 2, "需协调施工方", hours(2), clock, DISTRICT))
    followup = Followup(extension_requests={"items": [over_rpc(case)], "total": 1})
    listed = run(followup, "extensions")
    assert listed.exit_code == 0, listed.output
    assert followup.calls == [("extension_requests", (0, 20), None)]
    lead, co = listed.output.splitlines()[:2]
    assert lead.split()[1:3] == ["市南区", "(D-SHINAN)"] and "2 wd: 需协调施工方" in lead
    assert co.split()[1:3] == ["市住房和城乡建设局", "(HOUSING)"] and "1 wd: 需现场复核" in co
    assert "reply by 2026-11-30 09:00, 5d 16h left" in co and "never past the lead's 2026-12-14 09:00" in co

    denied = apply(case, case.decide_part_extension(HOUSING.code, tree.CENTRE, False, "工期足够", "王审核",
                                                    hours(3), clock))
    followup = Followup(decide_part_extension=over_rpc(denied))
    done = run(followup, "extension", NUMBER, "--part", "HOUSING", "--deny", "--reason", "工期足够",
               "--by", "王审核")
    assert done.exit_code == 0, done.output
    assert followup.calls == [("decide_part_extension", (NUMBER, "HOUSING", False, "工期足够"), "王审核")]
    assert done.output == f"{NUMBER}: extension of HOUSING's part denied; its reply by 2026-11-30 09:00\n"
    no_reason = run(followup, "extension", NUMBER, "--part", "HOUSING", "--deny")
    assert no_reason.exit_code == 2 and "say why with --reason" in no_reason.output
    assert len(followup.calls) == 1


def test_add_co_handlers_names_the_units_and_their_deadlines(clock, run):
    case = noise_case(clock, co=())
    added = apply(case, case.add_co_handlers([HOUSING], "值班长", hours(1), clock, "核查施工许可"))
    followup = Followup(add_co_handlers=over_rpc(added))
    done = run(followup, "add-co-handlers", NUMBER, "HOUSING", "--note", "核查施工许可")
    assert done.exit_code == 0, done.output
    assert followup.calls == [("add_co_handlers", (NUMBER, ["HOUSING"], "核查施工许可"), "值班长")]
    assert done.output.startswith(f"{NUMBER}: 市住房和城乡建设局 (HOUSING) co-handles; sign for by 2026-11-24")
    assert run(followup, "add-co-handlers", NUMBER).exit_code == 2  # no unit named: a usage error


@pytest.mark.parametrize("error, code, said", [
    (RemoteError("TransitionRefused", "case QD-20261123-00002 is closed: cannot review a refusal"), 2,
     "Refused: case QD-20261123-00002 is closed: cannot review a refusal"),
    (RemoteError("NotYourCase", "the refusal of C-TAIPINGJIAO on case QD-20261123-00002 is for\nS-BADAGUAN "
                                "to review"), 2, "Refused: the refusal of C-TAIPINGJIAO on case "
                                                 "QD-20261123-00002 is for S-BADAGUAN to review"),
    (RemoteError("UnknownCase", "no case QD-20261123-00002"), 1, "Refused: no case QD-20261123-00002"),
    (RemoteError("KeyError", "'assignments'"), 1, "followup failed: KeyError: 'assignments'"),
])
def test_followups_errors_are_one_line_never_a_traceback(run, error, code, said):
    done = run(Followup(review_refusal=error), "refusal", NUMBER, "--part", "C-TAIPINGJIAO", "--approve")
    assert done.exit_code == code
    assert done.output == said + "\n"
