"""``hotline routing ...``: the directory, the dispatch queue and the model.

Talks to the routing service over RPC. Reading history files and the offline
tools need routing's code, so they are routing's own command
(``python -m services.routing --help``)::

    python -m services.routing import-history FILE     past tickets -> routing (over RPC), then train
    python -m services.routing evaluate --history FILE  how routing would have dispatched FILE
    python -m services.routing build-model --history FILE --out model.joblib
    python -m services.routing synth-history FILE       a synthetic history for demos
"""
import json
import sys

import click

from shared.contract.reasons import sentence
from shared.contract.request_types import label
from shared.platform.config import city_zone, load_config, local_time


def call(method, *args, timeout=10, by=None, **kwargs):
    """An RPC to routing (as the CLI's identity named ``by``); a refusal is printed
    as the reason, exit 2."""
    from nameko.exceptions import RemoteError

    from hotline.client import refused, rpc_call

    try:
        return rpc_call("routing", method, *args, timeout=timeout, by=by, **kwargs)
    except RemoteError as exc:
        if exc.exc_type not in ("RoutingError", "DirectoryInvalid", "ProposalInvalid", "NotAllowed"):
            raise
        refused(exc)


def echo_json(value):
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def words(value):
    return [w.strip() for w in value.split(",") if w.strip()] if value else None


@click.group()
def routing():
    """Dispatch: the department directory, the manual queue, learning from history."""


# -- the directory and catalogue ------------------------------------------------

@routing.command()
@click.option("--all", "include_retired", is_flag=True, help="Include retired departments.")
@click.option("--json", "as_json", is_flag=True)
def departments(include_retired, as_json):
    """List the department directory (职责清单)."""
    rows = call("list_departments", include_retired)
    if as_json:
        return echo_json(rows)
    for d in rows:
        flag = " [retired]" if d["retired"] else ""
        scope = ", ".join(d["areas"]) if d["areas"] else ", ".join(d["keywords"][:6])
        told = ", ".join(f"{k} {v}" for k, v in (d.get("contacts") or {}).items() if k != "language")
        under = f"  < {d['parent']}" if d.get("parent") else ""
        click.echo(f"{d['code']:<18} {d['kind']:<9} {d['name']}{flag}{under}  tel {d['phone'] or '-'}  | {scope}"
                   + (f"  | told by {told}" if told else ""))


@routing.command()
@click.option("--json", "as_json", is_flag=True)
def catalogue(as_json):
    """The dispatch catalogue (派单目录): category, department, time-limit class."""
    rows = call("get_catalogue")
    if as_json:
        return echo_json(rows)
    for c in rows:
        click.echo(f"{c['code']:<20} {c['class']:<10} {c['department']:<18} {c['name']}")


DEPT_OPTIONS = [
    click.option("--name"), click.option("--name-en"), click.option("--phone"),
    click.option("--kind", type=click.Choice(["municipal", "district", "street", "community", "zone"])),
    click.option("--parent", help="The code of the unit it belongs to (\"\" for the top: a city bureau, a district)."),
    click.option("--duties", help="Its 职责清单: lines separated by ';' (\"\" clears them)."),
    click.option("--keywords", help="Comma-separated responsibilities, Chinese or English."),
    click.option("--areas", help="Comma-separated places an office covers."),
    click.option("--district", help="The district a street office belongs to."),
    click.option("--email", help="Where notify e-mails the department its cases (\"\" removes it)."),
    click.option("--webhook", help="A URL notify POSTs the department's notifications to."),
    click.option("--sms", help="A phone number for the department's text messages."),
    click.option("--language", type=click.Choice(["zh", "en"]), help="The language it is written to in."),
    click.option("--by", required=True, help="Who makes the change."),
    click.option("--reason", default="", help="Why (kept with the version)."),
]


def dept_options(func):
    for option in reversed(DEPT_OPTIONS):
        func = option(func)
    return func


CONTACTS = ("email", "webhook", "sms", "language")


def dept_fields(options):
    contacts = {k: options.pop(k) for k in CONTACTS if options.get(k) is not None}
    fields = {k: v for k, v in options.items()
              if k not in ("by", "reason", *CONTACTS) and v is not None}
    if contacts:
        fields["contacts"] = contacts
    for key in ("keywords", "areas"):
        if key in fields:
            fields[key] = words(fields[key])
    if "duties" in fields:
        fields["duties"] = [line.strip() for line in fields["duties"].split(";") if line.strip()]
    return fields


@routing.command("add-department")
@click.argument("code")
@dept_options
def add_department(code, by, reason, **options):
    """Add a department; the directory gets a new version."""
    result = call("add_department", dict(dept_fields(options), code=code), by, reason)
    click.echo(f"{code} added: directory version {result['version']}")


@routing.command("update-department")
@click.argument("code")
@dept_options
def update_department(code, by, reason, **options):
    """Change a department's name, phone, keywords or areas; a new version."""
    result = call("update_department", code, dept_fields(options), by, reason)
    click.echo(f"{code} updated: directory version {result['version']}")


@routing.command("retire-department")
@click.argument("code")
@click.option("--by", required=True)
@click.option("--reason", default="")
def retire_department(code, by, reason):
    """Stop sending tickets to a department (it stays in history); a new version."""
    result = call("retire_department", code, by, reason)
    click.echo(f"{code} retired: directory version {result['version']}")


@routing.command("directory-history")
@click.argument("code", required=False)
def directory_history(code):
    """Every version of the directory: what changed, who, why."""
    zone = city_zone(load_config())
    for change in call("directory_history", code):
        click.echo(f"v{change['version']:<4} {local_time(change['at'], zone)}  {change['action']:<7} "
                   f"{change.get('code') or '':<18} by {change['by']}: {change.get('reason') or ''}")


# -- proposed catalogue edits ------------------------------------------------------

def describe_proposal(p):
    """One line of what a proposal would change."""
    if p["kind"] == "move_category":
        return f"move category {p['category']} from {p['source']} to {p['target']}"
    if p["kind"] == "add_keyword":
        return f"add keyword {p['keyword']} to {p['target']}"
    return f"add {p['target']} as standing co-handler of {p['category']}"


def figures(f):
    precision = "-" if f.get("precision") is None else f"{f['precision']:.1%}"
    return f"precision {precision}, automatic {f['automatic']:.1%}"


@routing.command()
@click.option("--state", type=click.Choice(["pending", "accepted", "rejected"]), default="pending",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
def proposals(state, as_json):
    """Proposed edits to the catalogue and the units' keywords, with their tickets and effect."""
    found = call("catalogue_proposals", state, 200)
    if as_json:
        return echo_json(found)
    for p in found["items"]:
        effect = p.get("effect") or {}
        click.echo(f"{p['key']}\n    {describe_proposal(p)}: {p['cases']} of {p['considered']} tickets "
                   f"({', '.join(f'{k} {v}' for k, v in (p.get('how') or {}).items()) or 'named by dispatchers'})")
        if effect:
            click.echo(f"    history before: {figures(effect['before'])}; after: {figures(effect['after'])}")
        click.echo(f"    tickets: {' '.join(p['tickets'][:10])}{' ...' if len(p['tickets']) > 10 else ''}")
    click.echo(f"{found['total']} {state}")


@routing.command()
def propose():
    """Mine refusals, re-dispatches, arbitrations and co-handlers for catalogue edits now."""
    result = call("propose_catalogue_edits", timeout=600)
    click.echo(f"{result['decisions_read']} decisions read, {result['history_replayed']} history rows replayed: "
               f"{result['found']} proposals, {result['new']} new, {result['pending']} pending "
               "(hotline routing proposals)")


@routing.command("decide-proposal")
@click.argument("key")
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.option("--reason", required=True, help="Why (recorded with the directory version).")
@click.option("--by", default=None, help="Who decides (an administrator).")
def decide_proposal(key, decision, reason, by):
    """Accept (the edit becomes the next directory version) or reject a proposed catalogue edit."""
    result = call("decide_catalogue_proposal", key, decision, reason, by=by)
    click.echo(f"{key}: {result['state']}")


# -- dispatching ---------------------------------------------------------------

def print_suggestions(suggestions, indent="    "):
    for n, s in enumerate(suggestions, 1):
        conf = "" if s.get("confidence") is None else f" {s['confidence']:.2f}"
        click.echo(f"{indent}{n}. {s['department_code']} {s.get('department_name', '')}{conf}")
        for reason in s.get("reasons") or []:
            click.echo(f"{indent}     {reason}")


def print_proposals(proposals, indent="    "):
    for p in proposals:
        kept = p.get("co_confidence")
        click.echo(f"{indent}co-handler proposed (协办): {p['department_code']} {p.get('department_name', '')} "
                   f"{p['confidence']:.2f}" + (f" (kept by dispatchers {kept:.0%})" if kept is not None else ""))


@routing.command()
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def queue(limit, as_json):
    """Tickets waiting for a dispatcher, with routing's suggestions and reasons."""
    rows = call("queue", limit)
    if as_json:
        return echo_json(rows)
    if not rows:
        click.echo("The dispatch queue is empty.")
        return
    zone = city_zone(load_config())
    for row in rows:
        ticket = row["ticket"]
        click.echo(f"{row['number']}  queued {local_time(row['decided_at'], zone)}  "
                   f"[{ticket.get('urgency') or 'normal'}, {row['rule']}]  "
                   f"{ticket.get('district') or ''} {ticket['title']}")
        if ticket.get("description"):
            click.echo(f"    {ticket['description']}")
        for reason in row["reasons"]:
            click.echo(f"    why: {reason}")
        print_suggestions(row.get("suggestions") or [])
        print_proposals(row.get("co_handler_proposals") or [])


@routing.command()
@click.argument("number")
@click.argument("department")
@click.option("--by", required=True, help="The dispatcher's name.")
@click.option("--reason", required=True, help="Why this department.")
@click.option("--type", "request_type", default=None,
              help="Set the request type: consultation, help, complaint, report, suggestion or praise.")
def assign(number, department, by, reason, request_type):
    """Dispatch a waiting ticket to DEPARTMENT (code or name)."""
    body = call("assign", number, department, by, reason, by=by, request_type=request_type)
    zone = city_zone(load_config())
    click.echo(f"{number} -> {body['department_name']} ({body['department_code']}) by {body['decided_by']}; "
               f"reply by {local_time(body['deadline'], zone)}")


@routing.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
def decision(number, as_json):
    """How routing decided a ticket: every attempt with its rule and reasons."""
    record = call("get_decision", number)
    if record is None:
        click.echo(f"routing has no ticket {number}", err=True)
        sys.exit(1)
    if as_json:
        return echo_json(record)
    zone = city_zone(load_config())
    click.echo(f"{number}  [{record['status']}]  {record.get('department_code') or 'waiting for a dispatcher'}")
    for n, attempt in enumerate(record.get("attempts") or [], 1):
        conf = "" if attempt.get("confidence") is None else f" confidence {attempt['confidence']:.2f}"
        click.echo(f"  {n}. {local_time(attempt['decided_at'], zone)} {attempt['rule']:<11} -> "
                   f"{attempt.get('department_code') or 'queue'} by {attempt['decided_by']}{conf} "
                   f"(directory v{attempt['directory_version']}, model v{attempt['model_version']})")
        for reason in attempt.get("reasons") or []:
            click.echo(f"       {reason}")
    for refusal in record.get("refusals") or []:
        click.echo(f"  refused by {refusal['department_code']}: {refusal['reason']}")


@routing.command("try")
@click.option("--title", required=True)
@click.option("--description", default="")
@click.option("--category", default=None)
@click.option("--district", default=None)
@click.option("--street", default=None)
@click.option("--type", "request_type", default=None, help="The request type, if the caller said.")
def try_(**ticket):
    """What routing would decide for a request, without recording anything."""
    result = call("suggest", {k: v for k, v in ticket.items() if v})
    click.echo(f"{result['rule']}: {result['department_code'] or 'a dispatcher decides'}  "
               f"(threshold {result['threshold']:.2f}, model v{result['model_version']})")
    for reason in result["reasons"]:
        click.echo(f"  {reason}")
    print_suggestions(result["suggestions"], "  ")
    print_proposals(result.get("co_handler_proposals") or [], "  ")
    if result.get("request_type"):
        sure = result.get("request_type_confidence")
        if (result.get("request_type_reason") or {}).get("code") == "request_type_learned":
            sure = None  # the sentence says the model's probability already
        click.echo(f"request type {label(result['request_type'])}: {sentence(result['request_type_reason'])}"
                   + (f" (right {sure:.0%} of the time)" if sure is not None else ""))


# -- the model (importing history and the offline tools: python -m services.routing) --

def print_training(result):
    meta = result["meta"]
    click.echo(f"model version {result['version']}: {meta['examples']} examples, "
               f"{meta['departments']} departments, {meta['size'] / 1024:.0f} KiB")
    if meta.get("cv_accuracy") is not None:
        click.echo(f"cross-validated accuracy {meta['cv_accuracy']:.3f}, macro-F1 {meta['cv_macro_f1']:.3f}; "
                   f"at precision {meta['target_precision']}: {meta['cv_coverage']:.1%} dispatched automatically")
    for note in meta.get("notes") or []:
        click.echo(f"note: {note}")
    click.echo(f"confidence threshold in force: {result['threshold']:.3f}")
    types = meta.get("request_type_model")
    if types:
        click.echo(request_type_line(types))


def request_type_line(types):
    """What the model of the request types people gave is worth, or why the rules type tickets."""
    if types.get("used"):
        return (f"request type: learned from {types['examples']} typed tickets, accuracy {types['cv_accuracy']:.3f} "
                f"against the rules' {types['rules_accuracy']:.3f} (cross-validated)")
    return f"request type: the rules ({types.get('why', 'no model')})"


@routing.command()
def train():
    """Train a new model on all history and closed tickets; every instance loads it."""
    print_training(call("train", timeout=3600))


@routing.command()
def model():
    """The model in use, its threshold and the versions stored."""
    info = call("model_info")
    click.echo(f"learner: {info['learner']} (model version {info['loaded_version'] or '-'}); "
               f"threshold {info['threshold']:.3f}; {info['examples']} examples to learn from")
    if (info.get("meta") or {}).get("request_type_model"):
        click.echo(request_type_line(info["meta"]["request_type_model"]))
    zone = city_zone(load_config())
    for m in info["models"]:
        meta = m["meta"]
        click.echo(f"  v{m['version']:<3} {local_time(m['saved_at'], zone)}  {meta.get('examples')} examples  "
                   f"threshold {meta.get('threshold')}  ({meta.get('reason')})")
