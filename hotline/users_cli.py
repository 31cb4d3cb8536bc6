"""``hotline users ...``: the people who may sign in to the workbench.

    hotline users create NAME --role ROLE [--role ROLE] [--department CODE] [--display-name 张伟]
    hotline users list
    hotline users disable NAME | enable NAME
    hotline users reset-password NAME
    hotline users reset-second-factor NAME

``create`` and ``reset-password`` print the generated password as the last line
of their output (the person changes it at first sign-in). The first
administrator is made this way, and adds the second factor (TOTP) that
administrators and supervisors need at the first sign-in; from then on
administrators manage people in the workbench (/admin/users).
``reset-second-factor`` is for an administrator who lost their authenticator. The CLI acts as ``cli:<login>`` (see ``hotline.people``).
"""
import json
import sys

import click

from shared.platform.identity import ROLES


def call(method, *args):
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

    from hotline.client import rpc_call

    try:
        return rpc_call("console", method, *args)
    except (UnknownService, RpcTimeout):
        click.echo("the console does not answer: start the stack first (make run)", err=True)
        sys.exit(1)
    except RemoteError as exc:
        if exc.exc_type not in ("UserInvalid", "NotAllowed"):
            raise
        click.echo(f"Refused: {exc.value}", err=True)
        sys.exit(2)


@click.group()
def users():
    """People who sign in to the workbench, and their roles."""


@users.command()
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="operator, dispatcher, reviewer, callback, supervisor, department, admin (repeatable).")
@click.option("--department", default=None, help="For department staff: the department's code, e.g. WATER.")
@click.option("--display-name", default="", help="The name the ledger shows (default: NAME).")
def create(name, roles, department, display_name):
    """Create a user; the generated password is the last line printed."""
    made = call("create_user", name, list(roles), department, display_name)
    click.echo(f"user {made['login']} ({made['display_name']}): {', '.join(made['roles'])}"
               f"{' of ' + made['department'] if made.get('department') else ''}")
    click.echo("password (shown once; to be changed at the first sign-in):")
    click.echo(made["password"])


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_users(as_json):
    """Every user with roles, department and state."""
    found = call("list_users")
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for user in found:
        state = "disabled" if user.get("disabled") else "active"
        state += " 2fa" if user.get("totp_enrolled_at") else ""
        click.echo(f"{user['login']:<20} {user.get('display_name') or '':<12} {','.join(user['roles']):<28} "
                   f"{user.get('department') or '-':<12} {state}")
    click.echo(f"{len(found)} user(s)")


@users.command()
@click.argument("name")
def disable(name):
    """Disable a user and end their sessions."""
    call("disable_user", name, True)
    click.echo(f"{name} disabled; their sessions are ended")


@users.command()
@click.argument("name")
def enable(name):
    call("disable_user", name, False)
    click.echo(f"{name} enabled")


@users.command("reset-password")
@click.argument("name")
def reset_password(name):
    """A new generated password (last line); the user's sessions end."""
    made = call("reset_password", name)
    click.echo(f"new password for {made['login']} (to be changed at the next sign-in):")
    click.echo(made["password"])


@users.command("reset-second-factor")
@click.argument("name")
def reset_second_factor(name):
    """Remove a user's second factor (a lost phone); they enrol again at the next sign-in."""
    made = call("reset_user_second_factor", name)
    click.echo(f"second factor of {made['login']} removed; they add a new one at the next sign-in")
