"""``hotline case ...`` on the tree of a case: what the centre reviews and decides of its units.

    hotline case refusals [--json]      refusals waiting for the centre (派单异议审核): the
                                        leads' and the co-handlers' (a unit reviews its child's)
    hotline case refusal NUMBER [--part UNIT] --approve | --reject --reason TEXT [--by NAME]
    hotline case extensions [--json]    extensions waiting for the centre: the leads', the co-handlers'
    hotline case add-co-handlers NUMBER UNIT... [--note TEXT] [--by NAME]

The same RPCs as the workbench's dispatchers and reviewers (``refusal_queue``,
``review_refusal``, ``extension_requests``, ``add_co_handlers``), as the person
named by ``--by``; ``hotline case extension NUMBER --part UNIT`` decides a
co-handler's extension, ``hotline case show`` prints the tree. What a unit does
on its own part and on the parts it passed down (pass down, reply, review its
child's refusal, reply and extension) is the unit's: the token API on :8001
(docs/followup.md) or the workbench.
"""
import click

from hotline import case_tree, followup_cli
from hotline.case_tree import pad
from hotline.followup_cli import call, default_operator, echo_json, get_case, when


def paging(found, rows, offset, noun):
    shown = len(found["items"])
    more = f"; cases {offset + 1}-{offset + shown} of {found['total']}: --offset {offset + shown} for more" \
        if found["total"] > offset + shown else ""
    click.echo(f"{len(rows)} {noun}{more}")


@click.command()
@click.option("--offset", default=0, type=click.IntRange(0), help="Cases to skip (a page is --limit cases).")
@click.option("--limit", default=20, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="One object per refusal.")
def refusals(offset, limit, as_json):
    """Refusals (退单) waiting for the centre's review, the longest waiting case first."""
    found = call("refusal_queue", None, offset, limit)
    rows = case_tree.waiting_refusals(found["items"])
    if as_json:
        return echo_json([{k: row.get(k) for k in ("number", "unit_code", "unit_name", "role", "state", "refusal")}
                          for row in rows])
    for row in rows:
        refusal = row.get("refusal") or {}
        click.echo(f"{row['number']:<20} {pad(case_tree.unit_label(row), 30)} "
                   f"{pad(case_tree.ROLES.get(row['role'], row['role']), 18)} "
                   f"{when(refusal.get('at'))}  {pad(refusal.get('actor') or '-', 10)} {refusal.get('reason') or ''}")
    paging(found, rows, offset, "refusal(s) waiting")
    if rows:
        click.echo("decide with: hotline case refusal NUMBER [--part UNIT] --approve | --reject --reason TEXT")


@click.command()
@click.argument("number")
@click.option("--approve", "decision", flag_value="approve", help="The refusal stands: the part ends "
              "(the lead's: routing re-routes the case).")
@click.option("--reject", "decision", flag_value="reject", help="The unit works on (needs --reason).")
@click.option("--reason", default="", help="Why (required to reject: the unit is told).")
@click.option("--part", "unit", default=None, metavar="UNIT",
              help="The co-handler whose refusal this is; default: the lead's.")
@click.option("--by", "dispatcher", default=default_operator, show_default="$HOTLINE_OPERATOR or your login",
              help="Who reviews.")
def refusal(number, decision, reason, unit, dispatcher):
    """Approve or reject a refusal (派单异议审核): the lead's, or with --part a co-handler's."""
    if decision is None:
        raise click.UsageError("say --approve or --reject")
    if decision == "reject" and not reason.strip():
        raise click.UsageError("say why with --reason: the unit is told")
    if not unit:
        case = get_case(number)
        if case["state"] != "refusal_review":
            waiting = [row["unit_code"] for row in case_tree.waiting_refusals([case])]
            raise click.UsageError(f"{number}'s lead has no refusal waiting ({case['state']})"
                                   + (f"; the parts' that do: --part {' | '.join(waiting)}" if waiting else ""))
        unit = case["department_code"]
    updated = call("review_refusal", number, unit, decision == "approve", reason, by=dispatcher)
    done = "approved" if decision == "approve" else "rejected"
    if unit == updated.get("department_code"):
        click.echo(f"{number}: refusal of {unit} {done} by {dispatcher}; the case is {updated['state']}")
        if updated["state"] == "refused":
            click.echo("routing re-routes it to another department")
    else:
        part = case_tree.part_of(updated, unit) or {}
        click.echo(f"{number}: refusal of {unit} {done} by {dispatcher}; its part is {part.get('state')}")

@click.command()
@click.option("--offset", default=0, type=click.IntRange(0), help="Cases to skip (a page is --limit cases).")
@click.option("--limit", default=20, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="One object per request.")
def extensions(offset, limit, as_json):
    """Extension requests (延期) the centre decides: the leads' and the co-handlers' of their parts."""
    found = call("extension_requests", offset, limit)
    rows = case_tree.waiting_extensions(found["items"])
    if as_json:
        return echo_json([{k: row.get(k) for k in ("number", "unit_code", "unit_name", "role", "state", "deadline",
                                                   "extension", "lead_deadline") if k in row} for row in rows])
    moment = followup_cli.now()
    for row in rows:
        asked = row.get("extension") or {}
        inside = f"  (never past the lead's {when(row['lead_deadline'])})" if row.get("lead_deadline") else ""
        click.echo(f"{row['number']:<20} {pad(case_tree.unit_label(row), 30)} "
                   f"{pad(case_tree.ROLES.get(row['role'], row['role']), 18)} "
                   f"{asked.get('working_days')} wd: {asked.get('reason') or ''}  "
                   f"(asked {when(asked.get('requested_at'))}; reply by {when(row.get('deadline'))}, "
                   f"{case_tree.countdown(row.get('deadline'), moment)}){inside}")
    paging(found, rows, offset, "extension request(s) waiting")
    if rows:
        click.echo("decide with: hotline case extension NUMBER [--part UNIT] --grant | --deny --reason TEXT")


@click.command("add-co-handlers")
@click.argument("number")
@click.argument("units", nargs=-1, required=True)
@click.option("--note", default="", help="What each co-handler is to do (they are told).")
@click.option("--by", "dispatcher", default=default_operator, show_default="$HOTLINE_OPERATOR or your login",
              help="Who adds them.")
def add_co_handlers(number, units, note, dispatcher):
    """Add co-handling units (协办, 加派) to an open case: UNIT is a code of routing's directory."""
    updated = call("add_co_handlers", number, list(units), note, by=dispatcher)
    for unit in units:
        part = case_tree.part_of(updated, unit) or {}
        click.echo(f"{number}: {case_tree.unit_label(part) if part else unit} co-handles; "
                   f"sign for by {when(part.get('sign_for_deadline'))}, reply by {when(part.get('deadline'))}")


COMMANDS = (refusals, refusal, extensions, add_co_handlers)
