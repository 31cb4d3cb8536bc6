"""``hotline case ...`` and ``hotline scorecard``: operators work cases over RPC.

    hotline case list [--department WATER] [--state replied]
    hotline case show NUMBER            the case, its deadlines, reply and tree of units
    hotline case history NUMBER         the ledger (台账), one line per step
    hotline case review NUMBER          the reply and the quality gate's findings
    hotline case review NUMBER --approve | --reject --reason TEXT [--by NAME]
    hotline case extension NUMBER [--part UNIT] --grant [--reason TEXT] | --deny --reason TEXT [--by NAME]
    hotline case extensions             extension requests the centre decides (leads', co-handlers')
    hotline case refusals               refusals the centre reviews (派单异议审核)
    hotline case refusal NUMBER [--part UNIT] --approve | --reject --reason TEXT [--by NAME]
    hotline case add-co-handlers NUMBER UNIT... [--note TEXT] [--by NAME]   协办, 加派
                                        (the last four: parts_cli.py; the tree drawn: case_tree.py)
    hotline case callback NUMBER --reached --resolved --satisfaction satisfied [--by NAME]
    hotline case callback NUMBER --not-reached

Who acts is ``--by`` on every command (default ``$HOTLINE_OPERATOR`` or your login).
    hotline case token create DEPT      a department's token for the HTTP/RPC API
    hotline scorecard [--from DATE] [--to DATE] [--json | --csv]

The quality gate over a file of past replies needs followup's code, so it is
followup's own command: ``python -m services.followup quality-report FILE``.
"""
import datetime as dt
import getpass
import json
import os
import sys

import click

from hotline import case_tree
from hotline.case_tree import pad
from hotline.client import rpc_call
from shared.platform.config import city_zone, load_config, local_time

REFUSALS = {"TransitionRefused", "InvalidRequest", "CaseChanged", "UnknownCase",
            "NotAuthorized", "NotYourCase", "NotAllowed", "CaseBusy", "AttachmentRefused"}


def default_operator():
    return os.environ.get("HOTLINE_OPERATOR") or getpass.getuser()


def call(method, *args, by=None):
    """Call followup over RPC as the CLI's identity named ``by``. A refusal is printed in
    one line, exit 2 (1 for an unknown case); any other error of the service too, exit 1."""
    from nameko.exceptions import RemoteError

    try:
        return rpc_call("followup", method, *args, timeout=15, by=by)
    except RemoteError as exc:
        if exc.exc_type not in REFUSALS:
            click.echo(f"followup failed: {exc.exc_type}: {one_line(exc.value)}", err=True)
            sys.exit(1)
        click.echo(f"Refused: {one_line(exc.value)}", err=True)
        sys.exit(1 if exc.exc_type == "UnknownCase" else 2)


def one_line(text):
    return " ".join(str(text).split())


def echo_json(value):
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def when(iso):
    return local_time(iso, city_zone(load_config()))


def now():
    """Now, in UTC: what the countdowns count from (as the workbench's)."""
    return dt.datetime.now(dt.UTC)


def entry_details(entry):
    parts = []
    for key in ("to", "to_unit", "role", "reviewed_unit", "reviewer", "previous_department_code",
                "working_days", "rejection_count", "attempt"):
        if entry.get(key) not in (None, ""):
            parts.append(f"{key}={entry[key]}")
    if entry["action"] == "callback":
        parts.append("reached" if entry.get("reached") else "not reached")
        if entry.get("reached"):
            parts.append(entry.get("outcome") or ("resolved" if entry.get("resolved") else "unresolved"))
            parts.append(entry.get("satisfaction") or "")
    if entry.get("on_time") is not None:
        parts.append("on time" if entry["on_time"] else "LATE")
    for key in ("deadline", "callback_due"):
        if entry.get(key):
            parts.append(f"{key.replace('_', ' ')} {when(entry[key])}")
    if entry.get("findings"):
        parts.append("findings: " + ",".join(f["code"] for f in entry["findings"]))
    return "  ".join(p for p in parts if p)


def print_history(case):
    zone = city_zone(load_config())
    click.echo(f"case {case['number']}  [{case['state']}]  {case['department_name']} "
               f"({case['department_code']})   times in {zone.key}")
    for entry in case["ledger"]:
        click.echo(f"  {when(entry['at'])}  {entry['action']:<20} {entry['department_code']:<12} "
                   f"{pad(entry.get('actor') or '-', 10)} {entry_details(entry)}".rstrip())
        if entry.get("reason"):
            click.echo(f"  {'':16}  {'':20} {entry['reason']}")


def print_case(case):
    click.echo(f"case         {case['number']}  [{case['state']}]")
    click.echo(f"department   {case['department_name']} ({case['department_code']})")
    click.echo(f"urgency      {case['urgency']}  class {case['time_limit_class']}")
    click.echo(f"sign for by  {when(case.get('sign_for_deadline'))}"
               f"{'  (signed ' + when(case['signed_at']) + ')' if case.get('signed_at') else ''}")
    click.echo(f"reply by     {when(case.get('deadline'))}")
    if case.get("extension"):
        ext = case["extension"]
        click.echo(f"extension    {ext['working_days']} working days asked: {ext['reason']}")
    if case.get("reply"):
        click.echo(f"reply        {case['reply']['text']}")
        for link in case["reply"].get("attachments") or []:
            click.echo(f"             {link}")
    if case["state"] == "approved":
        click.echo(f"callback by  {when(case.get('callback_due'))}")
    click.echo(f"rejections   {case.get('rejection_count', 0)}   refusals {case.get('refusal_count', 0)}"
               f"   reopened {case.get('reopen_count', 0)}")
    if (case.get("refusal") and case["state"] == "refusal_review") or case.get("assignments"):
        click.echo(f"units        lead (主办), co-handlers (协办), passed down (下派); "
                   f"times in {city_zone(load_config()).key}")
        for line in case_tree.tree_lines(case, when, now()):
            click.echo(line)


def get_case(number):
    case = call("get_case", number)
    if case is None:
        click.echo(f"No case {number}.", err=True)
        sys.exit(1)
    return case


@click.group()
def case():
    """Work on cases: history, review, refusals, extensions, co-handlers, callbacks, department tokens."""


@case.command("list")
@click.option("--department", default=None, help="A department code, e.g. WATER.")
@click.option("--state", default=None, help="assigned, signed_for, refusal_review, replied, approved, closed, refused")
@click.option("--json", "as_json", is_flag=True)
def list_cases(department, state, as_json):
    """Open cases (or those in --state), soonest deadline first."""
    cases = call("list_cases", department, state)
    if as_json:
        return echo_json(cases)
    for c in cases:
        click.echo(f"{c['number']:<20} {c['state']:<11} {c['department_code']:<14} "
                   f"reply by {when(c.get('deadline'))}  rejections {c.get('rejection_count', 0)}")
    click.echo(f"{len(cases)} case(s)")


@case.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
def show(number, as_json):
    """A case: its state, deadlines, extension request and reply, and its tree of units
    (lead 主办, co-handlers 协办, parts passed down 下派) with their deadlines."""
    found = get_case(number)
    echo_json(found) if as_json else print_case(found)


@case.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
def history(number, as_json):
    """The case's ledger (台账): every step with who, when and why."""
    found = get_case(number)
    echo_json(found["ledger"]) if as_json else print_history(found)


@case.command()
@click.argument("number")
@click.option("--approve", "decision", flag_value="approve", help="Accept the reply.")
@click.option("--reject", "decision", flag_value="reject", help="Send it back (needs --reason).")
@click.option("--reason", default="", help="Why (required to reject).")
@click.option("--by", "reviewer", default=default_operator, show_default="$HOTLINE_OPERATOR or your login",
              help="Who reviews.")
def review(number, decision, reason, reviewer):
    """Show the reply and the quality gate's findings; or approve / reject it."""
    if decision is None:
        checked = call("check_reply", number)
        click.echo(f"reply to {number} ({checked['department_code']}), "
                   f"rejected {checked['rejection_count']} time(s) so far:")
        click.echo(f"  {checked['reply']['text']}")
        for link in checked["reply"].get("attachments") or []:
            click.echo(f"  {link}")
        if checked.get("ticket"):
            click.echo(f"citizen asked: {checked['ticket']['title']} - {checked['ticket']['description']}")
        click.echo("quality gate:" if checked["findings"] else "quality gate: nothing found")
        for found in checked["findings"]:
            click.echo(f"  ! {found['code']}: {found['message']}")
        click.echo(f"decide with: hotline case review {number} --approve | --reject --reason TEXT")
        return
    updated = call("review_reply", number, reviewer, decision == "approve", reason, by=reviewer)
    last = updated["ledger"][-1]
    click.echo(f"{number}: {last['action']} by {reviewer}; now {updated['state']}")
    for found in last.get("findings") or []:
        click.echo(f"  (gate) {found['code']}: {found['message']}")
    if updated["state"] == "approved":
        click.echo(f"callback due by {when(updated['callback_due'])}")


@case.command()
@click.argument("number")
@click.option("--grant/--deny", default=None, help="Required: the decision.")
@click.option("--reason", default="", help="Why (required to deny: the department is told).")
@click.option("--part", "unit", default=None, metavar="UNIT",
              help="The unit whose part's extension this is (a co-handler's); default: the lead's.")
@click.option("--by", "operator", default=default_operator, show_default="$HOTLINE_OPERATOR or your login",
              help="Who decides.")
def extension(number, grant, reason, unit, operator):
    """Grant or deny the extension (延期) a department asked for: the lead's, or with --part a
    co-handler's of its part (`hotline case extensions` lists those waiting)."""
    if grant is None:
        raise click.UsageError("say --grant or --deny")
    if not grant and not reason.strip():
        raise click.UsageError("say why with --reason: the department is told")
    decided = "granted" if grant else "denied"
    if unit:
        updated = call("decide_part_extension", number, unit, grant, reason, by=operator)
        part = case_tree.part_of(updated, unit) or {}
        click.echo(f"{number}: extension of {unit}'s part {decided}; its reply by {when(part.get('deadline'))}")
        return
    updated = call("decide_extension", number, operator, grant, reason, by=operator)
    click.echo(f"{number}: extension {decided}; reply by {when(updated['deadline'])}")


@case.command()
@click.argument("number")
@click.option("--reached/--not-reached", default=None, help="Required: did the citizen answer?")
@click.option("--resolved/--unresolved", default=None, help="The citizen says it is (not) solved.")
@click.option("--outcome", type=click.Choice(["resolved", "partly_resolved", "unresolved", "untrue"]),
              help="What the callback found (已解决/部分解决/未解决/不属实); instead of --resolved.")
@click.option("--satisfaction", type=click.Choice(["satisfied", "basically_satisfied", "dissatisfied"]))
@click.option("--note", default="")
@click.option("--by", "operator", default=default_operator, show_default="$HOTLINE_OPERATOR or your login",
              help="Who called.")
def callback(number, reached, resolved, outcome, satisfaction, note, operator):
    """Record a callback (回访); partly resolved, unresolved or dissatisfied reopens the case
    (or raises it a level after too many reopenings)."""
    if reached is None:
        raise click.UsageError("say --reached or --not-reached")
    extra = (outcome,) if outcome else ()
    updated = call("record_callback", number, operator, reached, resolved, satisfaction, note, *extra, by=operator)
    click.echo(f"{number}: callback recorded; now {updated['state']}"
               + (f" ({updated['outcome']})" if updated.get("outcome") else ""))
    if updated["state"] == "assigned":
        click.echo(f"reopened to {updated['department_name']}: sign for by "
                   f"{when(updated['sign_for_deadline'])}, reply by {when(updated['deadline'])}")


@case.group()
def token():
    """Department tokens for the followup HTTP and RPC API."""


@token.command("create")
@click.argument("department")
@click.option("--label", default="", help="Who holds it, e.g. a desk or a person.")
def token_create(department, label):
    """Create a token for DEPARTMENT; it is shown once, last, and stored hashed."""
    made = call("create_department_token", department, label)
    click.echo(f"token for {made['department_name']} ({made['department_code']}); "
               "keep it secret, it is not shown again:", err=True)
    click.echo(made["token"])


@token.command("revoke")
@click.argument("department")
def token_revoke(department):
    """Revoke every token of DEPARTMENT."""
    click.echo(f"revoked {call('revoke_department_tokens', department)} token(s) of {department}")


@click.command()
@click.option("--from", "date_from", default=None, help="First local date (default 30 days ago).")
@click.option("--to", "date_to", default=None, help="Last local date, inclusive (default today).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
def scorecard(date_from, date_to, as_json, as_csv):
    """Per unit, rolled up for each unit with units below it, and for the city:
    response, on-time, resolution and satisfaction rates."""
    card = call("scorecard", date_from, date_to)
    if as_json:
        echo_json(card)
    elif as_csv:
        click.echo(scorecard_csv(card), nl=False)
    else:
        click.echo(scorecard_table(card))


def scorecard_lines(card):
    """The units' own lines, the rolled-up ones (a unit with those below it), the city."""
    return [dict(line, scope=line.get("scope") or scope)
            for lines, scope in ((card["departments"], "unit"), (card.get("rolled_up") or [], "rolled_up"),
                                 ([card["city"]], "city"))
            for line in lines]


def scorecard_csv(card):
    """The scorecard as CSV: the columns in followup's order (as its ``/scorecard?format=csv``)."""
    import csv
    import io

    columns = [c for c in card["city"] if c != "units"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for line in scorecard_lines(card):
        writer.writerow(["" if line.get(c) is None else line[c] for c in columns])
    return out.getvalue()


def shown(value, column):
    if value is None:
        return "-"
    if column.endswith(("_rate", "_rate_after_appeal")):
        return f"{value * 100:.1f}%"
    return str(value)


def scorecard_table(card):
    headers = ("department", "disp", "to sign", "resp%", "replies", "ontime%", "reached",
               "resolved%", "satisf%", "avg wd", "refused", "rejected", "closed", "open", "held%",
               "appeals", "resp%*", "ontime%*", "resolved%*", "satisf%*")
    keys = ("department", "dispatched", "awaiting_sign_for", "response_rate", "replies",
            "on_time_reply_rate", "callbacks_reached", "resolution_rate", "satisfaction_rate",
            "avg_handling_working_days", "refusals", "rejected_replies", "closed", "still_open", "held_rate",
            "appeals_accepted", "response_rate_after_appeal", "on_time_reply_rate_after_appeal",
            "resolution_rate_after_appeal", "satisfaction_rate_after_appeal")
    # a server from before appeals has no after-appeal figures: "-"
    rows = [[shown(line.get(k), k) + (" (rolled up)" if k == "department" and line.get("scope") == "rolled_up" else "")
             for k in keys] for line in scorecard_lines(card)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [f"scorecard {card['period']['from']} .. {card['period']['to']}", fmt.format(*headers)]
    lines += [fmt.format(*r) for r in rows]
    lines.append("held%: closures that held (防反弹), no request back within the rebound window")
    lines.append("* after appeals (考核申诉): the events of accepted appeals taken out")
    return "\n".join(lines)
